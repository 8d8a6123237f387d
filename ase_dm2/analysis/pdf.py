"""Partial and total pair distribution functions g_ab(r).

Periodic cells are normalised by their volume; finite clusters by the volume
of their convex hull (so g(r) of a cluster falls below 1 at large r, where
pairs leave the particle).
"""
from itertools import combinations_with_replacement

import numpy as np
from scipy.spatial import ConvexHull

from ase_dm2.graph import neighbor_pairs


def structure_volume(atoms) -> float:
    if atoms.pbc.all():
        return float(atoms.get_volume())
    if atoms.pbc.any():
        raise ValueError("g(r) needs a fully periodic cell or a finite cluster, not a slab")
    return float(ConvexHull(atoms.positions).volume)


def partial_rdfs(atoms, r_max: float = 8.0, bins: int = 100) -> dict:
    """{'r': bin centres, (a, b): g_ab(r) for every species pair a <= b, 'total': g(r)}."""
    symbols = np.array(atoms.get_chemical_symbols())
    species = sorted(set(symbols))
    i, j, d = neighbor_pairs(atoms.positions, atoms.cell.array, atoms.pbc, r_max, "ijd")
    edges = np.linspace(0.0, r_max, bins + 1)
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    volume = structure_volume(atoms)
    counts = {s: int(np.sum(symbols == s)) for s in species}
    result = {"r": 0.5 * (edges[1:] + edges[:-1])}
    total = np.zeros(bins)
    for a, b in combinations_with_replacement(species, 2):
        mask = (symbols[i] == a) & (symbols[j] == b)
        histogram = np.histogram(d[mask], edges)[0].astype(float)
        pairs = counts[a] * (counts[b] - (a == b))
        g = histogram * volume / (pairs * shell) if pairs else np.zeros(bins)
        result[(a, b)] = g
        weight = counts[a] * counts[b] / len(atoms) ** 2 * (1 if a == b else 2)
        total += weight * g
    result["total"] = total
    return result


def first_peak(r: np.ndarray, g: np.ndarray) -> float:
    """Position of the highest maximum of g(r) (the first peak for glasses' partials)."""
    return float(r[int(np.argmax(g))])
