"""A batch of structures as tensors on the model's device, and the network on their graphs.

vesin-torch builds the neighbour list where the positions live (CPU or CUDA).
On a GPU the network of a small batch runs as a replayed CUDA graph
(cuda_graph.py). vesin-torch's pair count is read on the host at each call;
with fixed-size neighbour lists (cell_list.py, FixedShapeNetwork) nothing is,
and on a GPU the list is replayed in the same CUDA graph as the network. The
denoising loop that uses them is engine.py's.
"""
from typing import Optional, Sequence

import numpy as np
import torch
from ase.geometry import complete_cell

from ase_dm2.graph import Graph, species_indices
from ase_dm2.sampling.cell_list import PaddedCellList
from ase_dm2.sampling.cuda_graph import record, with_dummy


def joined(tensors: list) -> torch.Tensor:
    """torch.cat without the copy of a single tensor."""
    return tensors[0] if len(tensors) == 1 else torch.cat(tensors)


class DeviceStructures:
    """A batch of structures as float64 tensors on one device: positions (N, 3), cells (B, 3, 3), pbc (B, 3)."""

    def __init__(self, structures: Sequence, species: Sequence[str], device):
        self.device = torch.device(device)
        bounds = np.cumsum([0] + [len(atoms) for atoms in structures])
        # the atoms of each structure
        self.parts = [slice(int(start), int(stop)) for start, stop in zip(bounds[:-1], bounds[1:])]

        def tensor(values, dtype=torch.float64):
            return torch.as_tensor(np.asarray(values), dtype=dtype, device=self.device)

        self.positions = tensor(np.concatenate([atoms.positions for atoms in structures]))
        indices = [species_indices(atoms, species, k) for k, atoms in enumerate(structures)]
        self.species = tensor(np.concatenate(indices), torch.int64)
        self.batch = tensor(np.repeat(np.arange(len(structures)), np.diff(bounds)), torch.int64)
        self.pbc = tensor([atoms.pbc for atoms in structures], torch.bool)
        # vesin sees no box along open axes; fractional coordinates need a full-rank cell
        self.cells = tensor([atoms.cell.array for atoms in structures]) * self.pbc[:, :, None]
        self.frames = tensor([complete_cell(atoms.cell.array) for atoms in structures])
        self.inverse_frames = torch.linalg.inv(self.frames)
        # with the row of the dummy atom that pads fixed-size graphs (padded_graph)
        self.padded_species, self.padded_batch = with_dummy(self.species), with_dummy(self.batch)

    def graph(self, neighbor_list, rates: Optional[torch.Tensor], dtype,
              sigmas: Optional[torch.Tensor] = None) -> Graph:
        """The model's graph, built on the device by vesin-torch.

        On a GPU the network waits for this (vesin-torch reads its pair count on the host), so it launches few
        kernels: offsets in the model's precision (integer shifts times the cell), no copies for one structure.
        """
        centers, neighbors, offsets = [], [], []
        for k, part in enumerate(self.parts):
            i, j, shifts = neighbor_list.compute(self.positions[part], self.cells[k], self.pbc[k], "ijS")
            centers.append(i + part.start if part.start else i)
            neighbors.append(j + part.start if part.start else j)
            offsets.append(shifts.to(dtype) @ self.cells[k].to(dtype))
        return Graph(species=self.species, positions=self.positions.to(dtype), batch=self.batch,
                     center=joined(centers), neighbor=joined(neighbors), offsets=joined(offsets),
                     rate=rates, num_structures=len(self.parts), sigma=sigmas)

    def padded_graph(self, cell_list: PaddedCellList, rates: Optional[torch.Tensor], dtype,
                     sigmas: Optional[torch.Tensor] = None) -> Graph:
        """The model's graph in `cell_list`'s fixed-size buffers, with the dummy atom N that pads the edges."""
        center, neighbor, offsets = cell_list.compute(self.positions)
        return Graph(species=self.padded_species, positions=with_dummy(self.positions).to(dtype),
                     batch=self.padded_batch, center=center, neighbor=neighbor, offsets=offsets.to(dtype),
                     rate=rates, num_structures=len(self.parts), sigma=sigmas)

    def wrap(self):
        """Periodic coordinates into [0, 1) of the cell, as ase.geometry.wrap_positions(eps=0)."""
        for k, part in enumerate(self.parts):
            fractional = self.positions[part] @ self.inverse_frames[k]
            fractional = torch.where(self.pbc[k], fractional - torch.floor(fractional), fractional)
            self.positions[part] = fractional @ self.frames[k]

    def write_to(self, structures):
        positions = self.positions.cpu().numpy()
        for part, atoms in zip(self.parts, structures):
            atoms.positions = positions[part]


class FixedShapeNetwork:
    """The model's displacements of `state`'s atoms through a PaddedCellList: nothing read back at a call.

    With `replay` (a CUDA device), the neighbour list and the network are recorded together as one CUDA graph that
    reads the positions where they are, so a call is one replay, with no copies.
    """

    def __init__(self, state: DeviceStructures, model, rates: Optional[torch.Tensor],
                 sigmas: Optional[torch.Tensor], replay: bool):
        """`rates` and `sigmas` (noise levels) are read where they are at each call (a replay reads them too)."""
        self.state, self.model, self.rates, self.sigmas, self.replay = state, model, rates, sigmas, replay
        self.dtype = next(model.parameters()).dtype
        self.cell_list = PaddedCellList.sized_for(state.positions, state.cells, state.batch, model.cutoff)
        self._record()

    def _record(self):
        self.cuda_graph = self.output = None  # the old graph's memory goes first
        if self.replay:
            self.cuda_graph, self.output = record(self.evaluate, self.state.device)

    def evaluate(self) -> torch.Tensor:
        graph = self.state.padded_graph(self.cell_list, self.rates, self.dtype, self.sigmas)
        return self.model(graph)[:-1]

    def __call__(self) -> torch.Tensor:
        if self.cuda_graph is None:
            return self.evaluate()
        self.cuda_graph.replay()
        return self.output

    def grown_after_overflow(self) -> bool:
        """Whether the list overflowed since the last check (reads it back); if so it is grown (and recorded)."""
        if not self.cell_list.overflowed():
            return False
        self.cell_list = self.cell_list.grown()
        self._record()
        return True
