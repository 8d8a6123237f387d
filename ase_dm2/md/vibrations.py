"""Vibrational density of states of a whole cell: LAMMPS Hessian, phonopy frequencies.

A glass cell is its own supercell: the force constants of all atom pairs
come from LAMMPS' `dynamical_matrix` (finite differences of analytic forces,
PHONON package) and phonopy diagonalises them at Gamma. Structures are
minimised first; imaginary modes are counted and reported, not hidden.
"""
from pathlib import Path

import numpy as np
import scipy.integrate
import scipy.linalg
from scipy.constants import Boltzmann as BOLTZMANN
from scipy.constants import Planck as PLANCK
from tqdm.auto import tqdm

from ase_dm2.md.lammps import run_lammps
from ase_dm2.md.refine import minimise

IMAGINARY_TOLERANCE = 0.05  # THz; the three translations sit at ~0


def force_constants(atoms, potential, displacement: float = 1e-3, workdir=None) -> np.ndarray:
    """(N, N, 3, 3) force constants in eV/Å^2 of the cell as given."""
    import tempfile

    n = len(atoms)
    with tempfile.TemporaryDirectory(prefix="ase_dm2_dynmat_") as scratch:
        folder = Path(workdir or scratch)
        run_lammps(atoms, potential, f"dynamical_matrix all regular {displacement} file dynmat.bin binary yes\n",
                   workdir=folder)
        dynamical = np.fromfile(folder / "dynmat.bin", dtype=np.float64)
    if dynamical.size != (3 * n) ** 2:
        raise RuntimeError(f"LAMMPS wrote {dynamical.size} matrix entries, expected {(3 * n) ** 2}")
    # LAMMPS writes H_ij / sqrt(m_i m_j) in the orientation of its own (rotated) cell
    _, rotation = atoms.cell.standard_form()
    masses = np.repeat(atoms.get_masses(), 3)
    hessian = (dynamical.reshape(3 * n, 3 * n) * np.sqrt(np.outer(masses, masses))).reshape(n, 3, n, 3)
    hessian = np.einsum("ai,xayb,bj->xiyj", rotation, hessian, rotation)
    return 0.5 * (hessian + hessian.transpose(2, 3, 0, 1)).transpose(0, 2, 1, 3)


def phonopy_at_gamma(atoms, constants: np.ndarray, temperature: float = 300.0) -> dict:
    """Gamma-point frequencies (THz, imaginary negative) and harmonic heat capacity.

    phonopy builds the dynamical matrix from the force constants; at Gamma it is
    real, so its eigenvalues come from LAPACK's real divide-and-conquer solver
    (4x faster than phonopy's complex one; equal to 1e-7 THz, tested).
    """
    from phonopy import Phonopy
    from phonopy.structure.atoms import PhonopyAtoms

    cell = PhonopyAtoms(symbols=atoms.get_chemical_symbols(), cell=atoms.cell.array,
                        scaled_positions=atoms.get_scaled_positions(), masses=atoms.get_masses())
    phonon = Phonopy(cell, supercell_matrix=np.eye(3, dtype=int), primitive_matrix="P", is_symmetry=False,
                     log_level=0)
    phonon.force_constants = constants
    phonon.dynamical_matrix.run([0.0, 0.0, 0.0])
    eigenvalues = scipy.linalg.eigh(phonon.dynamical_matrix.dynamical_matrix.real, eigvals_only=True, driver="evd")
    frequencies = np.sign(eigenvalues) * np.sqrt(np.abs(eigenvalues)) * phonon.unit_conversion_factor
    return {"frequencies": frequencies, "heat_capacity_kB_per_atom": harmonic_heat_capacity(frequencies, temperature)
            / len(atoms)}


def harmonic_heat_capacity(frequencies: np.ndarray, temperature: float) -> float:
    """Sum over real modes of x^2 e^x / (e^x - 1)^2, x = h nu / kB T: C_v in units of kB."""
    x = PLANCK * frequencies[frequencies > IMAGINARY_TOLERANCE] * 1e12 / (BOLTZMANN * temperature)
    return float(np.sum(x**2 * np.exp(x) / np.expm1(x) ** 2))


def dos_curve(frequencies: np.ndarray, width: float = 0.25, points: int = 400, max_frequency=None):
    """(frequency grid in THz, g normalised to 1) by Gaussian smearing of the real modes."""
    real = frequencies[frequencies > IMAGINARY_TOLERANCE]
    top = max_frequency or (real.max() + 4 * width if len(real) else 1.0)
    grid = np.linspace(0.0, top, points)
    g = np.exp(-0.5 * ((grid[:, None] - real[None]) / width) ** 2).sum(axis=1)
    area = scipy.integrate.trapezoid(g, grid)  # numpy < 2 has no np.trapezoid
    return grid, g / area if area > 0 else g


def vibrational_dos(atoms, potential, relax: bool = True, width: float = 0.25, max_frequency=None,
                    temperature: float = 300.0, progress: bool = False) -> dict:
    """VDOS g(nu), reduced g(nu)/nu^2 (boson peak), modes, imaginary count and heat capacity at `temperature`;
    `progress`: a bar of the three stages (minimise, force constants, diagonalise)."""
    if not atoms.pbc.all():
        raise ValueError("the VDOS needs a periodic cell (the cell is its own supercell)")
    with tqdm(total=3, desc="vibrational DOS", unit="stage", disable=not progress) as bar:
        if relax:
            atoms = minimise(atoms, potential, ftol=1e-8, max_steps=20000)
        bar.update(1)
        constants = force_constants(atoms, potential)
        bar.update(1)
        gamma = phonopy_at_gamma(atoms, constants, temperature)
        bar.update(1)
    frequencies = gamma["frequencies"]
    grid, g = dos_curve(frequencies, width, max_frequency=max_frequency)
    with np.errstate(divide="ignore", invalid="ignore"):
        reduced = np.where(grid > 0.2, g / grid**2, np.nan)
    return {"frequencies": frequencies, "modes": len(frequencies),
            "imaginary_modes": int(np.sum(frequencies < -IMAGINARY_TOLERANCE)),
            "grid": grid, "dos": g, "reduced_dos": reduced,
            "heat_capacity_kB_per_atom": gamma["heat_capacity_kB_per_atom"], "atoms": atoms}

