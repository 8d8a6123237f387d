"""Partial and total pair distribution functions g_ab(r).

Periodic cells are normalised by their volume. Finite clusters (a nanoparticle
from electron tomography) are normalised by their convex hull's volume and its
shape function: the chance that a point at distance r from a point of the hull
is inside it too. Without it a cluster's g(r) falls below 1 as pairs leave the
particle; with it a uniform cluster has g = 1 at every r, so a particle's g(r)
compares with periodic bulk on the same footing.
"""
from itertools import combinations_with_replacement

import numpy as np
from scipy.spatial import ConvexHull

from ase_dm2.graph import neighbor_pairs


def shape_function(hull: ConvexHull, r: np.ndarray, samples: int = 20000, seed: int = 0) -> np.ndarray:
    """For each distance in `r`: the probability that x + r u lies in the convex `hull`, for x uniform in it and u
    a random direction (the isotropic set covariogram over the volume; Monte Carlo, `samples` rays, fixed seed)."""
    rng = np.random.default_rng(seed)
    normals, offsets = hull.equations[:, :3], hull.equations[:, 3]
    points = hull.points[hull.vertices]
    low, high = points.min(0), points.max(0)
    starts = np.empty((0, 3))
    while len(starts) < samples:  # uniform in the hull, by rejection from its bounding box
        trial = low + (high - low) * rng.random((2 * samples, 3))
        starts = np.concatenate([starts, trial[np.all(trial @ normals.T + offsets <= 0, axis=1)]])
    starts = starts[:samples]
    directions = rng.normal(size=(samples, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    exits = np.empty(samples)  # how far each ray runs before it leaves the hull
    for block in np.array_split(np.arange(samples), max(1, samples // 2048)):
        room, speed = -(starts[block] @ normals.T + offsets), directions[block] @ normals.T
        exits[block] = np.where(speed > 0, room / np.where(speed > 0, speed, 1.0), np.inf).min(axis=1)
    return (exits[:, None] >= np.asarray(r)[None, :]).mean(axis=0)


def partial_rdfs(atoms, r_max: float = 8.0, bins: int = 100) -> dict:
    """{'r': bin centres, (a, b): g_ab(r) for every species pair a <= b, 'total': g(r)}."""
    symbols = np.array(atoms.get_chemical_symbols())
    species = sorted(set(symbols))
    edges = np.linspace(0.0, r_max, bins + 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    if atoms.pbc.all():
        volume = float(atoms.get_volume())
    elif atoms.pbc.any():
        raise ValueError("g(r) needs a fully periodic cell or a finite cluster, not a slab")
    else:  # pairs that would leave the particle are not missing structure: the shape function counts them out
        hull = ConvexHull(atoms.positions)
        volume, shell = float(hull.volume), shell * shape_function(hull, centres)
    i, j, d = neighbor_pairs(atoms.positions, atoms.cell.array, atoms.pbc, r_max, "ijd")
    counts = {s: int(np.sum(symbols == s)) for s in species}
    result = {"r": centres}
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


def first_minimum(r: np.ndarray, g: np.ndarray) -> float:
    """End of the first shell: the lowest point of g(r) between 1.15 and 1.6 times its first peak's position
    (a window, so a split first peak is not taken for two shells)."""
    peak = first_peak(r, g)
    window = np.flatnonzero((r >= 1.15 * peak) & (r <= 1.6 * peak))
    if window.size == 0:
        raise ValueError(f"g(r) ends at {r[-1]:.2f} Å, before its first shell does (first peak {peak:.2f} Å)")
    return float(r[window[np.argmin(g[window])]])
