"""Crystal references (standardised and checked with spglib) and a crystallinity flag for structures.

A structure is flagged crystalline when spglib finds a space group other
than P1 at `symprec` (0.3 Å: finds quartz rattled by 0.05 Å, a 300 K-like
snapshot; a simulated glass stays P1 even at 0.5 Å), or when more than
`threshold` (25 %) of its environments (QUESTS dH <= 0) are found in a
reference crystal of the same chemistry (glass: 0 %, rattled quartz: 35 %).
"""
import warnings

import numpy as np
import spglib
from ase import Atoms
from ase.spacegroup import crystal

from ase_dm2.analysis.entropy import descriptors, overlap_fraction


def _spglib(function, *args, **kwargs):
    """Call spglib without its deprecation notice about error handling (None still means failure)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return function(*args, **kwargs)


def _dataset_number(dataset) -> int:
    """Space-group number of a spglib dataset: an object since spglib 2.5, a dict before."""
    return dataset["number"] if isinstance(dataset, dict) else dataset.number


def _standardised(atoms, expected_number: int) -> Atoms:
    lattice, positions, numbers = _spglib(spglib.standardize_cell, (atoms.cell.array, atoms.get_scaled_positions(),
                                                                    atoms.numbers), to_primitive=False, symprec=1e-3)
    standard = Atoms(numbers=numbers, cell=lattice, scaled_positions=positions, pbc=True)
    number = _dataset_number(_spglib(spglib.get_symmetry_dataset, (lattice, positions, numbers), symprec=1e-3))
    if number != expected_number:
        raise RuntimeError(f"reference crystal has space group {number}, expected {expected_number}")
    return standard


def alpha_quartz() -> Atoms:
    """alpha-quartz, P3_221 (154), Levien et al. 1980."""
    return _standardised(crystal(["Si", "O"], basis=[(0.4697, 0, 2 / 3), (0.4135, 0.2669, 0.1191 + 2 / 3)],
                                 spacegroup=154, cellpar=[4.9134, 4.9134, 5.4052, 90, 90, 120]), 154)


def beta_cristobalite() -> Atoms:
    """Ideal beta-cristobalite, Fd-3m (227)."""
    return _standardised(crystal(["Si", "O"], basis=[(0, 0, 0), (0.125, 0.125, 0.125)], spacegroup=227,
                                 cellpar=[7.16, 7.16, 7.16, 90, 90, 90]), 227)


def b2_cuzr() -> Atoms:
    """B2 CuZr, Pm-3m (221), a = 3.26 Å."""
    return _standardised(crystal(["Cu", "Zr"], basis=[(0, 0, 0), (0.5, 0.5, 0.5)], spacegroup=221,
                                 cellpar=[3.26, 3.26, 3.26, 90, 90, 90]), 221)


REFERENCES = {frozenset({"Si", "O"}): {"alpha-quartz": alpha_quartz, "beta-cristobalite": beta_cristobalite},
              frozenset({"Cu", "Zr"}): {"B2 CuZr": b2_cuzr}}


def reference_crystals(atoms) -> dict:
    """{name: Atoms} of the reference crystals for this structure's elements (empty if none known)."""
    return {name: build() for name, build in REFERENCES.get(frozenset(atoms.get_chemical_symbols()), {}).items()}


def space_group(atoms, symprec: float = 0.3) -> str:
    """spglib's international symbol and number, e.g. 'P1 (1)'."""
    cell = (atoms.cell.array, atoms.get_scaled_positions(), atoms.numbers)
    return _spglib(spglib.get_spacegroup, cell, symprec=symprec) or "P1 (1)"


def crystallinity(atoms, symprec: float = 0.3, threshold: float = 0.25, environments=None) -> dict:
    """Space group, fraction of environments found in each reference crystal, and the crystalline flag.

    `environments`: the structure's QUESTS descriptors, if already computed.
    """
    group = space_group(atoms, symprec) if atoms.pbc.all() else "finite"
    crystals = reference_crystals(atoms)
    if crystals and environments is None:
        environments = descriptors([atoms])
    overlaps = {name: overlap_fraction(environments, descriptors([ref.repeat(_repeats(ref))]))
                for name, ref in crystals.items()}
    crystal_like = max(overlaps.values(), default=0.0)
    symmetric = group not in ("P1 (1)", "finite") and group is not None
    return {"space_group": group, "crystal_overlap": overlaps, "crystal_like_fraction": crystal_like,
            "crystalline": bool(symmetric or crystal_like > threshold)}


def _repeats(atoms, min_width: float = 10.0) -> tuple:
    widths = atoms.cell.volume / np.linalg.norm(np.cross(atoms.cell[[1, 2, 0]], atoms.cell[[2, 0, 1]]), axis=1)
    return tuple(int(np.ceil(min_width / w)) for w in widths)
