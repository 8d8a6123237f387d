"""Neighbour pairs labelled by species, with per-pair cutoffs: the basis of bond-based analyses."""
import numpy as np

from ase_dm2.graph import neighbor_pairs


def pair_cutoffs(cutoffs: dict) -> dict:
    """{frozenset({'Si', 'O'}): 2.0} from {('Si', 'O'): 2.0}; pairs are unordered."""
    return {frozenset(pair): float(value) for pair, value in cutoffs.items()}


def bonds(atoms, cutoffs: dict):
    """(i, j, D) of bonded pairs: species pairs listed in `cutoffs` closer than their cutoff.

    Returns a full list (both directions), D being the vector from i to j.
    """
    table = pair_cutoffs(cutoffs)
    symbols = np.array(atoms.get_chemical_symbols())
    i, j, d, vectors = neighbor_pairs(atoms.positions, atoms.cell.array, atoms.pbc, max(table.values()), "ijdD")
    limit = np.array([table.get(frozenset((a, b)), 0.0) for a, b in zip(symbols[i], symbols[j])])
    keep = d < limit
    return i[keep], j[keep], vectors[keep]
