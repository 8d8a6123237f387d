"""Neighbour lists of a batch of periodic structures in buffers of fixed size, built without reading anything back.

vesin-torch returns as many pairs as there are, so the host reads the pair count
at every call: on a GPU each denoising step (each structure of a batch) waits
for that read, and the GPU idles while the host then launches the network.
Here the sizes are capacities fixed for the whole schedule: atoms are binned
into cells at least one cutoff wide, the atoms of each atom's 27 neighbouring
bins are laid out one after another in `candidates` slots, and the pairs
within the cutoff are compacted into `edges` slots, the rest being self-edges
of a dummy atom (the padding of cuda_graph.py). Nothing is read back, so the host can run
ahead of the GPU; whether a capacity was too small is kept on the device and
read every so often (`overflowed`), after which the caller repeats the steps
since its last check with a `grown` list. Warp-based libraries with such lists
(NVIDIA's nvalchemiops) need a 150 MB compiler runtime that our GPU image lacks.
"""
import math

import torch

from ase_dm2.sampling.cuda_graph import write_dummy_edges

STENCIL = torch.tensor([[a, b, c] for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)])


def bin_counts(cells: torch.Tensor, cutoff: float) -> torch.Tensor:
    """Bins per lattice direction of each cell (B, 3): as many as fit with a width of at least `cutoff`."""
    volumes = torch.linalg.det(cells).abs()
    # the distance between opposite faces along lattice vector a is V / |b x c|
    faces = torch.stack([torch.linalg.cross(cells[:, (k + 1) % 3], cells[:, (k + 2) % 3]).norm(dim=-1)
                         for k in range(3)], dim=1)
    return torch.floor(volumes[:, None] / faces / cutoff).to(torch.int64)


class PaddedCellList:
    """Full neighbour lists (pairs with |r_j - r_i + S @ cell| < cutoff, as vesin's) of periodic structures.

    `cells` (B, 3, 3) and `batch` (N,) describe the structures, fixed for the list's life; `edges` and
    `candidates` (atoms in the 27 bins around each atom, summed over atoms) are the capacities.
    `compute(positions)` gives (center, neighbor, offsets) of `edges` rows, padded with self-edges of atom N,
    2 cutoffs long.
    """

    def __init__(self, cells: torch.Tensor, batch: torch.Tensor, cutoff: float, edges: int, candidates: int):
        bins = bin_counts(cells, cutoff)
        if bool((bins < 1).any()):
            raise ValueError(f"fixed-size neighbour lists need periodic cells at least one cutoff ({cutoff} Å) wide "
                             "along every lattice direction; use the default neighbour list (vesin-torch) for "
                             "others")
        self.cells, self.batch, self.cutoff = cells, batch, float(cutoff)
        self.edges, self.candidates = int(edges), int(candidates)
        self.bins = bins.to(cells.device)
        totals = self.bins.prod(dim=1)
        self.total_bins = int(totals.sum())
        # what each atom's structure fixes, gathered once: cell, its inverse, bins, index of its first bin (each
        # structure's bins follow the previous ones')
        self.atom_cells, self.atom_inverse_cells = cells[batch], torch.linalg.inv(cells)[batch]
        self.atom_bins, self.atom_first_bin = self.bins[batch], (torch.cumsum(totals, 0) - totals)[batch]
        self.stencil = STENCIL.to(cells.device)
        # the rows of unused edges (dummy self-edges), broadcast into the output at every call
        self.padding = (batch.new_empty(1), batch.new_empty(1), cells.new_empty((1, 3)))
        write_dummy_edges(*self.padding, batch.shape[0], self.cutoff)
        # the largest pair and candidate counts met since construction, kept on the device
        self.needed = torch.zeros(2, dtype=torch.int64, device=cells.device)

    @classmethod
    def sized_for(cls, positions, cells, batch, cutoff: float, headroom: float = 1.02) -> "PaddedCellList":
        """A list whose capacities fit `positions` with room to spare (reads the sizes back once)."""
        probe = cls(cells, batch, cutoff, edges=1, candidates=1)
        probe.compute(positions)
        probe = cls(cells, batch, cutoff, edges=1, candidates=int(probe.needed[1]))
        probe.compute(positions)
        return probe.grown(headroom)

    def grown(self, headroom: float = 1.02) -> "PaddedCellList":
        """A list with room for what this one has met: `headroom` more edges, 5 % more candidates."""
        edges, candidates = (max(int(met), capacity) for met, capacity in zip(self.needed.tolist(),
                                                                               (self.edges, self.candidates)))
        return PaddedCellList(self.cells, self.batch, self.cutoff, edges=math.floor(edges * headroom) + 1,
                              candidates=math.floor(candidates * 1.05) + 1)

    def overflowed(self) -> bool:
        """Whether a capacity was too small in some call since construction (reads two numbers back)."""
        edges, candidates = self.needed.tolist()
        return edges > self.edges or candidates > self.candidates

    def compute(self, positions: torch.Tensor):
        """(center, neighbor, offsets) of `edges` rows for float64 `positions` (N, 3); offsets in their dtype."""
        n, device = positions.shape[0], positions.device
        cells, bins, first_bin = self.atom_cells, self.atom_bins, self.atom_first_bin
        # each atom's bin, from its fractional coordinates wrapped into the cell (image: the lattice shift)
        fractional = torch.einsum("ni,nij->nj", positions, self.atom_inverse_cells)
        image = torch.floor(fractional)
        wrapped = positions - torch.einsum("ni,nij->nj", image, cells)
        index = torch.minimum(((fractional - image) * bins).to(torch.int64), bins - 1)
        # the atoms sorted by bin: bin b holds order[first_atom[b]:][:occupancy[b]]
        flat = first_bin + self.linear(index, bins)
        occupancy = torch.zeros(self.total_bins, dtype=torch.int64, device=device)
        occupancy.index_add_(0, flat, torch.ones_like(flat))
        order = torch.argsort(flat, stable=True)
        first_atom = torch.cumsum(occupancy, 0) - occupancy
        # rows (atom, one of the 27 bins around its own): that bin's global index and lattice shift
        around = index[:, None] + self.stencil
        shift = torch.div(around, bins[:, None], rounding_mode="floor")
        around = (first_bin[:, None] + self.linear(around - shift * bins[:, None], bins[:, None])).flatten()
        translation = torch.einsum("nki,nij->nkj", shift.to(cells.dtype), cells).reshape(-1, 3)
        same_image = (shift == 0).all(-1).flatten()
        # candidates: the k-th atom of a row's bin, rows one after another (ragged, in a fixed number of slots)
        counts = occupancy[around]
        ends = torch.cumsum(counts, 0)
        slots = torch.arange(self.candidates, device=device)
        row = torch.clamp(torch.searchsorted(ends, slots, right=True), max=ends.shape[0] - 1)
        k = slots - ends[row] + counts[row]
        neighbor = order[torch.clamp(first_atom[around[row]] + k, max=n - 1)]
        center = torch.div(row, 27, rounding_mode="floor")
        vectors = wrapped[neighbor] - wrapped[center] + translation[row]
        keep = ((slots < ends[-1]) & ((vectors ** 2).sum(-1) < self.cutoff ** 2)
                & ~((neighbor == center) & same_image[row]))
        # compaction without reading the count back: the e-th kept candidate is where the running count reaches e + 1
        running = torch.cumsum(keep, 0)
        edges = torch.arange(self.edges, device=device)
        chosen = torch.clamp(torch.searchsorted(running, edges + 1), max=self.candidates - 1)
        real = edges < running[-1]
        torch.maximum(self.needed, torch.stack([running[-1], ends[-1]]), out=self.needed)
        pair_center, pair_neighbor = center[chosen], neighbor[chosen]
        lattice = shift.reshape(-1, 3)[row[chosen]] - image[pair_neighbor] + image[pair_center]
        offsets = torch.einsum("ei,eij->ej", lattice.to(cells.dtype), cells[pair_center])
        center_padding, neighbor_padding, offset_padding = self.padding
        return (torch.where(real, pair_center, center_padding), torch.where(real, pair_neighbor, neighbor_padding),
                torch.where(real[:, None], offsets, offset_padding))

    @staticmethod
    def linear(index: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
        """Row-major index of lattice bin indices (..., 3) in grids of `bins` (..., 3)."""
        return (index[..., 0] * bins[..., 1] + index[..., 1]) * bins[..., 2] + index[..., 2]
