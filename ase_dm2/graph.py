"""Neighbour graphs of one or many structures, built with vesin's compiled neighbour list.

Several structures of different sizes, cells and species are concatenated into
one disconnected graph; `batch` tells which structure each atom belongs to.
Periodic cells of any shape, partly periodic and finite (non-periodic) systems
are all handled: along a non-periodic axis no image is ever taken.
"""
from dataclasses import dataclass, fields, replace
from typing import Optional, Sequence

import numpy as np
import torch
import vesin


def neighbor_pairs(positions: np.ndarray, cell: np.ndarray, pbc, cutoff: float, quantities: str = "ijS",
                   full_list: bool = True):
    """Pairs with |r_j - r_i + S @ cell| < cutoff, as vesin's `quantities` (i, j, S, d, D): each ordered pair, or
    with full_list=False each pair once."""
    pbc = np.broadcast_to(np.asarray(pbc, dtype=bool), (3,))
    cell = np.where(pbc[:, None], np.asarray(cell, dtype=np.float64), 0.0)
    nl = vesin.NeighborList(cutoff=float(cutoff), full_list=full_list)
    results = nl.compute(np.asarray(positions, dtype=np.float64), cell, [bool(p) for p in pbc], quantities)
    return [r.astype(np.int64) if q in "ij" else r for q, r in zip(quantities, results)]


def paired_edges(positions: np.ndarray, cell: np.ndarray, pbc, cutoff: float):
    """(i, j, S) of every ordered pair, in pairs: edge 2k + 1 is edge 2k reversed (j, i, -S)."""
    i, j, shifts = neighbor_pairs(positions, cell, pbc, cutoff, "ijS", full_list=False)
    return (np.stack([i, j], axis=1).ravel(), np.stack([j, i], axis=1).ravel(),
            np.stack([shifts, -shifts], axis=1).reshape(-1, 3))


def species_indices(atoms, species: Sequence[str], k: int = 0) -> np.ndarray:
    """Each atom's index in `species` (the model's order); structure `k` is named in the error."""
    index = {s: n for n, s in enumerate(species)}
    symbols = atoms.get_chemical_symbols()
    unknown = sorted(set(symbols) - set(index))
    if unknown:
        raise ValueError(
            f"structure {k} contains {', '.join(unknown)}, which the model does not know "
            f"(model species: {', '.join(species)}); use a model trained on these elements"
        )
    return np.array([index[s] for s in symbols], dtype=np.int64)


@dataclass
class Graph:
    """Atoms and edges of a batch of structures, as torch tensors.

    Edge e connects `center[e]` to `neighbor[e]`; its vector is
    positions[neighbor] - positions[center] + offsets[e], where `offsets` is the
    Cartesian lattice translation of the periodic image. `rate` (cooling rate,
    K/ps) and `sigma` (noise level, Å) hold one value per structure, for the
    models conditioned on them. `paired`: edge 2k + 1 is edge 2k reversed, so
    whatever depends only on an edge's length is computed once per pair.
    """

    species: torch.Tensor
    positions: torch.Tensor
    batch: torch.Tensor
    center: torch.Tensor
    neighbor: torch.Tensor
    offsets: torch.Tensor
    rate: Optional[torch.Tensor] = None
    num_structures: int = 1
    sigma: Optional[torch.Tensor] = None
    paired: bool = False

    def edge_vectors(self) -> torch.Tensor:
        return self.positions[self.neighbor] - self.positions[self.center] + self.offsets

    def to(self, device=None, dtype=None) -> "Graph":
        def move(t):
            if not isinstance(t, torch.Tensor):
                return t
            return t.to(device=device, dtype=dtype if t.is_floating_point() else None)

        return replace(self, **{f.name: move(getattr(self, f.name)) for f in fields(self)})


def build_graph(
    structures: Sequence,
    species: Sequence[str],
    cutoff: float,
    rates: Optional[Sequence[float]] = None,
    dtype=torch.float32,
    sigmas: Optional[Sequence[float]] = None,
) -> Graph:
    """One graph for a list of ASE Atoms; `species` maps symbols to indices; rates and sigmas one per structure."""
    parts, offset = [], 0
    for k, atoms in enumerate(structures):
        i, j, shifts = paired_edges(atoms.positions, atoms.cell.array, atoms.pbc, cutoff)
        parts.append(
            dict(
                species=species_indices(atoms, species, k),
                positions=atoms.positions,
                batch=np.full(len(atoms), k, dtype=np.int64),
                center=i + offset,
                neighbor=j + offset,
                offsets=shifts @ atoms.cell.array,
            )
        )
        offset += len(atoms)
    tensors = {
        name: torch.from_numpy(np.concatenate([p[name] for p in parts]))
        for name in ("species", "positions", "batch", "center", "neighbor", "offsets")
    }
    for name in ("positions", "offsets"):
        tensors[name] = tensors[name].to(dtype)
    per_structure = {}
    for name, values, what in (("rate", rates, "cooling rates"), ("sigma", sigmas, "noise levels")):
        value = None if values is None else torch.as_tensor(np.asarray(values, dtype=np.float64), dtype=dtype)
        if value is not None and value.shape != (len(structures),):
            raise ValueError(f"got {value.numel()} {what} for {len(structures)} structures; give one per structure")
        per_structure[name] = value
    return Graph(**tensors, **per_structure, num_structures=len(structures), paired=True)
