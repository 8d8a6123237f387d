"""Chemical short-range order: Warren-Cowley parameters of the first shell.

alpha_ab = 1 - P(b | a) / c_b, with P(b | a) the share of b among the
neighbours of a-atoms within `cutoff` and c_b the concentration of b among
the counted atoms. 0 for a random mixture, negative where a and b attract,
up to 1 where a-atoms have no b-neighbours at all. Used to tell a particle's
real chemical order (its Pt atoms avoid each other) from a model's
exaggeration of it.
"""
from itertools import product

import numpy as np

from ase_dm2.graph import neighbor_pairs


def warren_cowley(atoms, cutoff: float, counted=None) -> dict:
    """{(a, b): alpha_ab} for every ordered species pair; `counted` (mask or indices) restricts the centre atoms
    and the concentrations to part of the structure (a finite particle's interior), neighbours count everywhere."""
    symbols = np.array(atoms.get_chemical_symbols())
    centres = np.zeros(len(atoms), bool)
    centres[np.arange(len(atoms)) if counted is None else counted] = True
    if not centres.any():
        raise ValueError("no atoms counted: give a non-empty mask or index list")
    i, j = neighbor_pairs(atoms.positions, atoms.cell.array, atoms.pbc, cutoff, "ij")
    i, j = i[centres[i]], j[centres[i]]
    species = sorted(set(symbols[centres]))
    concentration = {b: np.mean(symbols[centres] == b) for b in species}
    result = {}
    for a, b in product(species, species):
        around_a = symbols[i] == a
        share = np.mean(symbols[j[around_a]] == b) if around_a.any() else np.nan
        result[(a, b)] = float(1.0 - share / concentration[b])
    return result
