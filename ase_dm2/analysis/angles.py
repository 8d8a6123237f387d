"""Bond angle distributions for a triplet a-b-c (b the vertex), with per-pair bond cutoffs."""
import numpy as np

from ase_dm2.analysis.pairs import bonds


def bond_angles(atoms, triplet=("O", "Si", "O"), cutoffs=None) -> np.ndarray:
    """All angles a-b-c in degrees, b bonded to a and c within their pair cutoffs."""
    a, b, c = triplet
    cutoffs = cutoffs or {(a, b): 2.0, (b, c): 2.0}
    symbols = np.array(atoms.get_chemical_symbols())
    i, j, vectors = bonds(atoms, cutoffs)
    keep = (symbols[i] == b) & np.isin(symbols[j], (a, c))
    i, j, vectors = i[keep], j[keep], vectors[keep]
    order = np.argsort(i, kind="stable")
    i, j, vectors = i[order], j[order], vectors[order]
    if len(i) == 0:
        return np.empty(0)
    angles = []
    degree = np.bincount(i).max()
    for k in range(1, degree):  # every unordered pair of bonds sharing a vertex
        same = i[:-k] == i[k:]
        first, second = np.nonzero(same)[0], np.nonzero(same)[0] + k
        kinds = symbols[j[first]], symbols[j[second]]
        match = ((kinds[0] == a) & (kinds[1] == c)) | ((kinds[0] == c) & (kinds[1] == a))
        u, v = vectors[first[match]], vectors[second[match]]
        cosine = np.einsum("ij,ij->i", u, v) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
        angles.append(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))
    return np.concatenate(angles)


def angle_distribution(angles: np.ndarray, bins: int = 180):
    """(bin centres, probability density per degree) on [0, 180]."""
    density, edges = np.histogram(angles, bins=bins, range=(0.0, 180.0), density=True)
    return 0.5 * (edges[1:] + edges[:-1]), density
