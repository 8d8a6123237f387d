"""Shortest-path ring statistics of a bonded network (Franzblau), computed by matscipy.

matscipy's own ring_statistics takes one cutoff, runs the search twice and can
fail on long rings, so its building blocks are called directly with per-pair
cutoffs.
"""
import numpy as np
from matscipy.neighbours import neighbour_list
from matscipy.rings import distances_on_graph, find_sp_rings

from ase_dm2.analysis.coordination import SI_O_CUTOFF


def replicas_needed(atoms, span: float) -> tuple:
    """Repetitions along each periodic axis so that no ring of diameter `span` wraps the cell."""
    if not atoms.pbc.any():
        return (1, 1, 1)
    widths = atoms.cell.volume / np.linalg.norm(np.cross(atoms.cell[[1, 2, 0]], atoms.cell[[2, 0, 1]]), axis=1)
    return tuple(int(np.ceil(span / w)) if p else 1 for w, p in zip(widths, atoms.pbc))


def ring_statistics(atoms, cutoffs: dict, max_length: int = 20) -> dict:
    """{ring length in atoms: count} of shortest-path rings of up to `max_length` atoms.

    Cells too small to hold the longest ring without it wrapping around are
    replicated for the search, and the counts divided back to the given cell.
    """
    symbol_cutoffs = {tuple(pair): float(value) for pair, value in cutoffs.items()}
    repeats = replicas_needed(atoms, max_length * max(symbol_cutoffs.values()) / 2)
    search = atoms.repeat(repeats) if repeats != (1, 1, 1) else atoms
    i, j, vectors = neighbour_list("ijD", search, symbol_cutoffs)
    if len(i) == 0:
        return {}
    counts = np.asarray(find_sp_rings(i, j, vectors, distances_on_graph(i, j), max_length + 1))  # exclusive bound
    copies = int(np.prod(repeats))
    return {int(n): int(c) // copies for n, c in enumerate(counts) if c > 0}


def silica_rings(atoms, cutoff: float = SI_O_CUTOFF, max_size: int = 10) -> dict:
    """{n: count} of n-membered rings (n Si, 2n atoms) of the Si-O network, up to `max_size` Si."""
    by_atoms = ring_statistics(atoms, {("Si", "O"): cutoff}, max_length=2 * max_size)
    return {length // 2: count for length, count in by_atoms.items()}


def ring_distribution(counts: dict, sizes) -> np.ndarray:
    """Fractions of rings of each size in `sizes` (zeros when there are none)."""
    values = np.array([counts.get(n, 0) for n in sizes], dtype=float)
    return values / values.sum() if values.sum() else values
