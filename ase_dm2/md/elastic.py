"""Elastic constants from finite strains with internal relaxation (LAMMPS, or any ASE calculator), and
isotropic moduli.

For each of the six Voigt strains e_j = +/- delta the cell and positions are
deformed, positions are minimised, and C_ij = (sigma_i(+delta) - sigma_i(-delta)) / (2 delta),
which equals (1/V) d2U/de_i de_j at the relaxed reference. Moduli are Hill
averages of the Voigt and Reuss bounds.
"""
import numpy as np
from tqdm.auto import tqdm

from ase_dm2.md import ase_engine
from ase_dm2.md.lammps import run_lammps
from ase_dm2.md.refine import minimise, minimise_commands

VOIGT = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]


def strain_matrix(j: int, amount: float) -> np.ndarray:
    """Symmetric strain tensor of Voigt component j (shear components engineering: e_ij = amount / 2)."""
    a, b = VOIGT[j]
    strain = np.zeros((3, 3))
    value = amount if a == b else amount / 2
    strain[a, b] = strain[b, a] = value
    return strain


# Minimisations also stop once an iteration changes the energy by under 1e-12 of it: the force norm of an EAM
# glass stalls above 1e-6 eV/Å (tabulation noise), and 20,000 more iterations left the stress unchanged to
# 1e-4 GPa while taking 85x longer.
ETOL = 1e-12


def relaxed_stress(atoms, potential, ftol: float) -> np.ndarray:
    """Voigt stress (GPa, tension positive) after relaxing positions, with a LAMMPS Potential or a calculator."""
    if ase_engine.is_calculator(potential):
        return ase_engine.relaxed_stress(atoms, potential, ftol)
    return run_lammps(atoms, potential, minimise_commands(ftol, 20000, ETOL), minimise=True).stress()


def _check(atoms, potential) -> None:
    """Refuse, before any work, what cannot give elastic constants."""
    if not atoms.pbc.all():
        raise ValueError("elastic constants need a fully periodic cell")
    if ase_engine.is_calculator(potential):
        ase_engine.require_stress(potential, "the elastic constants")


def stiffness_matrix(atoms, potential, delta: float = 0.005, ftol: float = 1e-6,
                     progress: bool = False) -> np.ndarray:
    """6x6 stiffness matrix in GPa (Voigt order xx, yy, zz, yz, xz, xy), symmetrised; `progress`: a bar of the
    12 strained minimisations."""
    _check(atoms, potential)
    columns = []
    with tqdm(total=12, desc="elastic constants", unit="strain", disable=not progress) as bar:
        for j in range(6):
            stresses = []
            for sign in (1, -1):
                deformation = np.eye(3) + strain_matrix(j, sign * delta)
                strained = atoms.copy()
                strained.set_cell(atoms.cell.array @ deformation.T, scale_atoms=True)
                stresses.append(relaxed_stress(strained, potential, ftol))
                bar.update(1)
            columns.append((stresses[0] - stresses[1]) / (2 * delta))
    matrix = np.array(columns).T
    return 0.5 * (matrix + matrix.T)


def isotropic_moduli(c: np.ndarray) -> dict:
    """Voigt-Reuss-Hill bulk K, shear G, Young's E (GPa) and Poisson's ratio nu of a stiffness matrix."""
    s = np.linalg.inv(c)
    k_voigt = (c[0, 0] + c[1, 1] + c[2, 2] + 2 * (c[0, 1] + c[1, 2] + c[0, 2])) / 9
    g_voigt = (c[0, 0] + c[1, 1] + c[2, 2] - (c[0, 1] + c[1, 2] + c[0, 2]) + 3 * (c[3, 3] + c[4, 4] + c[5, 5])) / 15
    k_reuss = 1 / (s[0, 0] + s[1, 1] + s[2, 2] + 2 * (s[0, 1] + s[1, 2] + s[0, 2]))
    g_reuss = 15 / (4 * (s[0, 0] + s[1, 1] + s[2, 2]) - 4 * (s[0, 1] + s[1, 2] + s[0, 2])
                    + 3 * (s[3, 3] + s[4, 4] + s[5, 5]))
    k, g = (k_voigt + k_reuss) / 2, (g_voigt + g_reuss) / 2
    return {"K": float(k), "G": float(g), "E": float(9 * k * g / (3 * k + g)),
            "nu": float((3 * k - 2 * g) / (2 * (3 * k + g)))}


def elastic_constants(atoms, potential, delta: float = 0.005, relax_first: bool = True,
                      progress: bool = True) -> dict:
    """{'C': 6x6 GPa, 'K', 'G', 'E', 'nu'}; positions are minimised first unless relax_first=False."""
    _check(atoms, potential)
    if relax_first:
        atoms = minimise(atoms, potential, ftol=1e-6, etol=ETOL)
    c = stiffness_matrix(atoms, potential, delta, progress=progress)
    return {"C": c, **isotropic_moduli(c)}
