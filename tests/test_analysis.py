"""Analysis against exact answers: silica crystals, fcc/bcc Voronoi, ideal gas, QUESTS, reference glasses."""
import importlib.util
import json

import ase.io
import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.spacegroup import crystal
from scipy.spatial import ConvexHull

from ase_dm2.analysis import (bond_angles, compare, coordination_fractions, differential_entropy, first_peak,
                              motif_fractions, nbo_surface_density, overlap, partial_rdfs, pore_radius,
                              silica_defects, silica_rings, structure_entropy, structure_figures, voronoi_analysis,
                              write_report)
from ase_dm2.analysis.pdf import first_minimum, shape_function
from ase_dm2.build import porous_structure
from ase_dm2.cli import main


def cristobalite():
    """Ideal beta-cristobalite (Fd-3m, C9): straight Si-O-Si, perfect tetrahedra."""
    return crystal(["Si", "O"], basis=[(0, 0, 0), (0.125, 0.125, 0.125)], spacegroup=227,
                   cellpar=[7.16, 7.16, 7.16, 90, 90, 90])


def quartz():
    """alpha-quartz (P3_221, Levien et al. 1980): Si-O 1.604 and 1.613 Å, Si-O-Si 143.7 deg."""
    return crystal(["Si", "O"], basis=[(0.4697, 0, 2 / 3), (0.4135, 0.2669, 0.1191 + 2 / 3)], spacegroup=154,
                   cellpar=[4.9134, 4.9134, 5.4052, 90, 90, 120])


def test_beta_cristobalite_exact():
    atoms = cristobalite()
    assert silica_defects(atoms)["si_fourfold"] == 1.0 and silica_defects(atoms)["o_twofold"] == 1.0
    np.testing.assert_allclose(bond_angles(atoms, ("O", "Si", "O")), np.degrees(np.arccos(-1 / 3)), atol=1e-6)
    np.testing.assert_allclose(bond_angles(atoms, ("Si", "O", "Si")), 180.0, atol=1e-6)
    assert silica_rings(atoms) == {6: 2 * 8}  # each Si is in 12 six-rings of 6 Si: 2 rings per Si


def test_silica_defects_count_onefold_and_threefold_oxygen_apart():
    atoms = cristobalite()
    o = atoms.get_chemical_symbols().index("O")
    across = np.array([1, -1, 0]) / np.sqrt(2)  # normal to the linear Si-O-Si, which runs along (1, 1, 1)
    interstitial = atoms + Atoms("Si", positions=[atoms.positions[o] + 1.62 * across])
    defects = silica_defects(interstitial)  # bonded to that O only: the next O lies 2.22 Å away
    assert defects["overcoordinated_oxygens"] == 1 and defects["non_bridging_oxygens"] == 0
    assert defects["o_twofold"] == 15 / 16 and defects["si_fourfold"] == 8 / 9
    vacancy = atoms.copy()
    del vacancy[atoms.get_chemical_symbols().index("Si")]
    assert silica_defects(vacancy)["non_bridging_oxygens"] == 4
    assert silica_defects(vacancy)["overcoordinated_oxygens"] == 0


def test_alpha_quartz():
    atoms = quartz()
    assert coordination_fractions(atoms, "Si", "O", 2.0) == {4: 1.0}
    si_o_si = bond_angles(atoms, ("Si", "O", "Si"))
    assert len(si_o_si) == 6 and si_o_si == pytest.approx(143.7, abs=0.3)
    o_si_o = bond_angles(atoms, ("O", "Si", "O"))
    assert len(o_si_o) == 18 and o_si_o.mean() == pytest.approx(109.47, abs=0.05) and o_si_o.std() < 1.0
    assert silica_rings(atoms) == {6: 3, 8: 15}  # per Si: 6 six-rings / 6 and 40 eight-rings / 8


needs_ovito = pytest.mark.skipif(importlib.util.find_spec("ovito") is None,
                                 reason="OVITO not installed (pip install 'ase_dm2[voronoi]')")


@needs_ovito
@pytest.mark.parametrize("lattice, index", [("fcc", (0, 12, 0, 0)), ("bcc", (0, 6, 0, 8))])
def test_voronoi_indices_of_crystals(lattice, index):
    atoms = bulk("Cu", lattice, a=3.6 if lattice == "fcc" else 2.87, cubic=True).repeat(3)
    result = voronoi_analysis(atoms, radii={"Cu": 1.35})
    assert (result["indices"] == index).all()
    assert result["volumes"] == pytest.approx(atoms.get_volume() / len(atoms))
    assert motif_fractions(result["indices"]) == {"<{},{},{},{}>".format(*index): 1.0}


@needs_ovito
def test_metallic_structures_get_voronoi_figures(tmp_path):
    from ase_dm2.analysis.chemical_order import warren_cowley
    from ase_dm2.analysis.figures import kind_of, scalars

    alloy = bulk("Ni", "fcc", a=3.6, cubic=True).repeat(3)
    alloy.symbols[::3] = "Pd"  # an AET-like Ni-Pd lattice: plain Voronoi (no radii for these elements)
    figures = structure_figures(alloy, entropy=False)
    assert figures["kind"] == "metallic" and figures["voronoi"]["motifs"] == {"<0,12,0,0>": 1.0}
    assert 3.6 / np.sqrt(2) < figures["chemical_order"]["cutoff"] < 3.6  # the first shell ends before the second
    faces = {k: v for k, v in scalars(figures).items() if "faces" in k}
    assert faces == {"3-edged Voronoi faces": 0.0, "4-edged Voronoi faces": 1.0, "5-edged Voronoi faces": 0.0,
                     "6-edged Voronoi faces": 0.0}
    volume = alloy.get_volume() / len(alloy)
    assert scalars(figures)["atomic volume Ni (Å3)"] == pytest.approx(volume)
    assert scalars(figures)["atomic volume Pd (Å3)"] == pytest.approx(volume)
    assert scalars(figures)["<0,0,12,0> fraction"] == 0.0
    assert scalars(figures)["Warren-Cowley Pd-Pd"] == pytest.approx(warren_cowley(alloy, 3.0)[("Pd", "Pd")])
    assert [kind_of(Atoms(s)) for s in ("CuZr", "NiPdPt", "SiO2", "CH4", "SiOPt")] == \
        ["metallic", "metallic", "silica", "generic", "generic"]
    rattled = alloy.copy()
    rattled.rattle(0.2, seed=1)
    summary = compare([rattled], [alloy, alloy], entropy=False, progress=False)
    motifs = summary["distances"]["voronoi motifs"]
    assert motifs["gen_vs_sim"][0] > motifs["sim_vs_sim"][0] == 0.0
    report = write_report(summary, tmp_path)
    assert {p.name for p in tmp_path.glob("*.png")} == {"pdfs.png", "voronoi.png"}
    assert "![voronoi](voronoi.png)" in report.read_text()


@needs_ovito
def test_figures_count_the_marked_atoms_with_the_others_as_their_neighbours():
    from ase_dm2.analysis.entropy import descriptors
    from ase_dm2.analysis.figures import scalars

    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(3)
    atoms.symbols[::2] = "Ni"
    marked = np.arange(len(atoms)) % 3 == 0
    atoms.set_array("amorphous", marked)
    x = descriptors([atoms])
    whole = atoms.copy()
    del whole.arrays["amorphous"]
    np.testing.assert_allclose(x, descriptors([whole])[marked])
    assert not np.allclose(x, descriptors([atoms[marked]]))  # removed neighbours would change every environment
    figures = structure_figures(atoms, entropy=False)
    assert figures["atoms"] == marked.sum() and figures["formula"] == atoms[marked].get_chemical_formula()
    assert scalars(figures)["atomic volume Cu (Å3)"] == pytest.approx(3.6 ** 3 / 4)  # not the larger cells alone
    atoms.arrays["amorphous"][:] = False
    with pytest.raises(ValueError, match="marks no atom"):
        structure_figures(atoms, entropy=False)


def test_figures_are_defined_once_and_measured_ones_come_from_the_caller():
    from ase_dm2.analysis.figures import FIGURES, MEASURED, distributions, scalars

    assert len({f.key for f in FIGURES}) == len(FIGURES) and set(MEASURED) == {"minimised_energy", "moduli", "tension",
                                                                                 "vdos"}
    figures = structure_figures(cristobalite(), entropy=False, measured={"minimised_energy": -18.5})
    assert scalars(figures)["energy after minimising (eV/atom)"] == -18.5 and scalars(figures)["si_fourfold"] == 1.0
    assert set(distributions(figures)) == {"g(r) O-O", "g(r) O-Si", "g(r) Si-Si", "angles O-Si-O", "angles Si-O-Si",
                                           "rings"}
    with pytest.raises(ValueError, match="unknown measured figure.*'energy'.*minimised_energy"):
        structure_figures(cristobalite(), measured={"energy": -18.5})


@needs_ovito
def test_voronoi_radical_tessellation_and_finite_particle():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(3)
    atoms.symbols[::2] = "Zr"
    volumes = voronoi_analysis(atoms, radii={"Cu": 1.35, "Zr": 1.55})["volumes"]
    assert volumes[0] > volumes[1] and volumes.sum() == pytest.approx(atoms.get_volume())
    cluster = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(5)
    cluster.pbc = False
    cluster.arrays["amorphous"] = np.ones(len(cluster), bool)  # arrays OVITO cannot take are left out
    result = voronoi_analysis(cluster)
    assert 0 < result["kept"].sum() < len(cluster)
    assert (result["indices"][result["kept"]] == (0, 12, 0, 0)).mean() > 0.9
    with pytest.raises(ValueError, match="no Voronoi radius for Zr"):
        voronoi_analysis(atoms, radii={"Cu": 1.35})


def test_ideal_gas_pdf_is_one():
    rng = np.random.default_rng(0)
    gas = Atoms(["Ar"] * 16000 + ["Ne"] * 4000, cell=[60, 60, 60], pbc=True)
    gas.set_scaled_positions(rng.random((len(gas), 3)))
    rdf = partial_rdfs(gas)
    tail = rdf["r"] > 3.0
    for key in [("Ar", "Ar"), ("Ar", "Ne"), ("Ne", "Ne"), "total"]:
        assert abs(rdf[key][tail].mean() - 1.0) < 0.02, key
    assert np.abs(rdf["total"][tail] - 1).max() < 0.1


def test_quests_figures_equal_direct_calls():
    from quests.descriptor import get_descriptors
    from quests.entropy import delta_entropy, entropy

    a, b = cristobalite().repeat(2), quartz().repeat(3)
    b.rattle(0.05, seed=1)
    xa = get_descriptors([a], k=32, cutoff=5.0)
    xb = get_descriptors([b], k=32, cutoff=5.0)
    assert structure_entropy(b) == pytest.approx(entropy(xb, h=0.015))
    np.testing.assert_allclose(differential_entropy(a, [b]), delta_entropy(xa, xb, h=0.015))
    assert overlap(a, [b]) == pytest.approx(np.mean(delta_entropy(xa, xb, h=0.015) <= 0))
    assert overlap(b, [b]) == 1.0


def test_quests_leaves_torch_threads_alone():
    """numba (inside QUESTS) resets OpenMP, and so torch after its first use, to all cores on its first call."""
    import subprocess
    import sys

    code = ("import torch; torch.set_num_threads(1); assert torch.get_num_threads() == 1\n"
            "from ase_dm2.analysis.entropy import structure_entropy\n"
            "from ase_dm2.build import random_structure\n"
            "structure_entropy(random_structure('SiO2', n_atoms=90, density=2.2, seed=0))\n"
            "print(torch.get_num_threads())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-1] == "1"


def test_reference_glass_matches_design_figures(shared_data):
    atoms = ase.io.read(shared_data / "a-SiO2" / "sio2_3000_glass_1k_sample0.dat", format="lammps-data")
    defects = silica_defects(atoms)
    assert defects["si_fourfold"] >= 0.999 and defects["o_twofold"] >= 0.994
    rdf = partial_rdfs(atoms)
    for pair, peak in [(("O", "Si"), 1.64), (("O", "O"), 2.68), (("Si", "Si"), 3.24)]:
        assert first_peak(rdf["r"], rdf[pair]) == pytest.approx(peak, abs=0.05)
    assert bond_angles(atoms, ("O", "Si", "O")).mean() == pytest.approx(109.38, abs=0.3)
    assert bond_angles(atoms, ("Si", "O", "Si")).mean() == pytest.approx(150.8, abs=1.0)


def test_shape_function_of_a_sphere_and_a_uniform_cluster_has_g_one():
    rng = np.random.default_rng(1)
    radius = 15.0
    surface = rng.normal(size=(2000, 3))
    surface *= radius / np.linalg.norm(surface, axis=1, keepdims=True)
    r = np.array([0.0, 3.0, 8.0, 15.0, 25.0])
    x = r / radius  # the sphere's: 1 - 3x/4 + x^3/16
    np.testing.assert_allclose(shape_function(ConvexHull(surface), r), 1 - 0.75 * x + x**3 / 16, atol=0.01)
    n = 8000
    inside = rng.normal(size=(n, 3))
    inside *= radius * rng.random((n, 1)) ** (1 / 3) / np.linalg.norm(inside, axis=1, keepdims=True)
    gas = partial_rdfs(Atoms(["Ar"] * n, positions=inside))
    tail = gas["r"] > 3.0  # uncorrected, g would fall to 0.61 at 8 Å; the hull of the centres is a few % small
    assert np.abs(gas[("Ar", "Ar")][tail] - 1).max() < 0.08 and abs(gas[("Ar", "Ar")][tail].mean() - 1) < 0.05


def test_finite_cluster_pdf():
    cluster = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(6)
    cluster.pbc = False
    rdf = partial_rdfs(cluster)
    assert first_peak(rdf["r"], rdf[("Cu", "Cu")]) == pytest.approx(3.6 / np.sqrt(2), abs=0.05)
    assert 3.6 / np.sqrt(2) < first_minimum(rdf["r"], rdf["total"]) < 3.6
    with pytest.raises(ValueError, match="before its first shell"):
        first_minimum(rdf["r"][:35], rdf["total"][:35])


def test_porous_radius_and_nbo_density():
    atoms = porous_structure("SiO2", pore_radius=8.0, n_atoms=3000, density=2.2, seed=1)
    del atoms.info["pore_axis"]  # found from the structure itself
    assert pore_radius(atoms) == pytest.approx(8.0, abs=0.5)
    result = nbo_surface_density(atoms)
    nbo = silica_defects(atoms)["non_bridging_oxygens"]
    assert result["nbo"] == nbo
    assert result["nbo_per_nm2"] == pytest.approx(nbo / (2 * np.pi * result["pore_radius"] * atoms.cell[2, 2] / 100))


def test_missing_species_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match="has no Si, O atoms"):
        silica_defects(bulk("Cu", "fcc", a=3.6))
    empty = tmp_path / "empty.extxyz"
    empty.write_text("")
    assert main(["analyze", str(empty)]) == 2


def test_compare_report_and_cli(tmp_path):
    crystals = [cristobalite().repeat(2)]
    rattled = []
    for seed in range(3):
        atoms = cristobalite().repeat(2)
        atoms.rattle(0.1, seed=seed)
        rattled.append(atoms)
    summary = compare(crystals, rattled, progress=False)
    assert summary["scalars"]["si_fourfold"]["generated"] == [1.0, 0.0]
    distances = summary["distances"]
    assert distances["g(r) O-Si"]["gen_vs_sim"][0] > distances["g(r) O-Si"]["sim_vs_sim"][0]
    assert 0.0 <= distances["QUESTS overlap"]["sim_vs_sim"][0] <= 1.0
    report = write_report(summary, tmp_path / "report")
    assert "| si_fourfold |" in report.read_text()
    assert {p.name for p in report.parent.glob("*.png")} == {"pdfs.png", "angles.png", "rings.png", "entropy.png"}
    gen, ref = tmp_path / "gen.extxyz", tmp_path / "ref.extxyz"
    ase.io.write(gen, crystals)
    ase.io.write(ref, rattled)
    assert main(["compare", str(gen), "--reference", str(ref), "-o", str(tmp_path / "cli")]) == 0
    assert json.loads((tmp_path / "cli" / "report.json").read_text())["reference"] == 3
    assert main(["analyze", str(ref), "--json", str(tmp_path / "a.json")]) == 0
    assert len(json.loads((tmp_path / "a.json").read_text())) == 3


def test_warren_cowley_is_minus_one_and_one_in_b2_and_near_zero_in_a_random_fcc_alloy():
    from ase_dm2.analysis.chemical_order import warren_cowley
    from ase_dm2.analysis.crystals import b2_cuzr

    ordered = warren_cowley(b2_cuzr().repeat(3), cutoff=3.0)  # first shell: 8 unlike neighbours at 2.82 Å
    assert ordered[("Cu", "Cu")] == pytest.approx(1.0) and ordered[("Cu", "Zr")] == pytest.approx(-1.0)
    alloy = bulk("Ni", "fcc", a=3.6, cubic=True).repeat(8)
    alloy.numbers[np.random.default_rng(0).random(len(alloy)) < 0.3] = 78
    random = warren_cowley(alloy, cutoff=2.8)
    assert max(abs(v) for v in random.values()) < 0.05
    cluster = alloy[alloy.numbers == 78]
    cluster.pbc = False  # a finite cluster, its interior counted: neighbours still come from everywhere
    assert warren_cowley(cluster, 2.8, counted=[0, 1])[("Pt", "Pt")] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="no atoms counted"):
        warren_cowley(alloy, 2.8, counted=[])


@needs_ovito
def test_icosahedral_cluster_counts_its_centre_as_a_full_icosahedron():
    from ase.cluster import Icosahedron

    from ase_dm2.analysis.figures import FIGURES, Structure

    cluster = Icosahedron("Cu", noshells=3, latticeconstant=3.6)  # 55 atoms: 13 inside the surface shell
    centre = int(np.argmin(np.linalg.norm(cluster.positions - cluster.positions.mean(axis=0), axis=1)))
    cluster.symbols[centre] = "Zr"
    assert tuple(voronoi_analysis(cluster, exclude_surface=False)["indices"][centre]) == (0, 0, 12, 0)
    voronoi = next(f for f in FIGURES if f.key == "voronoi").compute(Structure(cluster))  # surface excluded
    assert voronoi["icosahedra"] == pytest.approx(1 / 13)  # the centre among the 13 atoms inside the surface
    assert voronoi["volumes"]["Zr"] > voronoi["volumes"]["Cu"]  # radical tessellation: the larger radius
