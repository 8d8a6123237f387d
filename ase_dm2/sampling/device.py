"""Denoising that stays on the model's device: positions, neighbour list, noise and wrapping are tensors.

denoise_batch brings positions to the host every step (vesin's neighbour list
and numpy noise, the same structures as DiffusionDynamics); on a GPU that is
a round trip per step. Here vesin-torch builds the neighbour list where the
positions live (CPU or CUDA), the noise comes from a torch generator on that
device, and only the finished structures come back. On a GPU the network
of a small batch runs as a replayed CUDA graph (cuda_graph.py). The update is
DiffusionDynamics' (x <- x - eps_theta(x) - xi); the noise is a torch random
stream, so a seed gives other structures than DiffusionDynamics' (the same
ones again on the same device).
"""
from typing import Optional, Sequence

import numpy as np
import torch
import vesin_torch
from ase.geometry import complete_cell
from tqdm.auto import tqdm

from ase_dm2.graph import Graph, species_indices
from ase_dm2.sampling.cuda_graph import ReplayedModel
from ase_dm2.sampling.schedule import NoiseSchedule

# On an H200 (benchmarks/RESULTS.md) replaying made a 3,000-atom step 1.8x faster (GPU work 2.6 ms, launches 6 ms),
# while at 112,848 atoms op by op was faster (88 against 97-222 ms a step: there the GPU's work hides the
# launches; on an H100 the two were level there, 100 against 98-105 ms). The limit sits where the GPU's work per
# step passes the launches' cost (about 7,000 atoms).
REPLAY_MAX_ATOMS = 10_000


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

    def graph(self, neighbor_list, rates: Optional[torch.Tensor], dtype) -> Graph:
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
                     rate=rates, num_structures=len(self.parts))

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


def denoise_on_device(structures: Sequence, model, schedule: NoiseSchedule, seeds: Sequence[int],
                      rates: Optional[Sequence[float]] = None, progress: bool = True, desc: str = "batch",
                      cuda_graph: Optional[bool] = None) -> list:
    """Denoise `structures` in place along `schedule` on the model's device; structure k's noise from seeds[k].

    On a CUDA device the network of a batch of up to REPLAY_MAX_ATOMS atoms is replayed as a CUDA graph
    (ReplayedModel), where launching its kernels one by one costs more than the GPU's work; larger batches keep
    the GPU busy op by op. `cuda_graph` True or False forces either way.
    """
    if len(seeds) != len(structures):
        raise ValueError(f"got {len(seeds)} seeds for {len(structures)} structures; give one per structure")
    if model.conditional and rates is None:
        raise ValueError("this model is conditional on the cooling rate: give rates (K/ps), one per structure")
    param = next(model.parameters())
    state = DeviceStructures(structures, model.species, param.device)
    rate = None if not model.conditional else torch.as_tensor(rates, dtype=param.dtype, device=param.device)
    generators = [torch.Generator(device=param.device).manual_seed(int(seed)) for seed in seeds]
    neighbor_list = vesin_torch.NeighborList(cutoff=float(model.cutoff), full_list=True)
    model.eval()
    if cuda_graph is None:
        cuda_graph = len(state.species) <= REPLAY_MAX_ATOMS
    network = ReplayedModel(model) if cuda_graph and state.device.type == "cuda" else model
    for step in tqdm(range(schedule.steps), desc=desc, unit="step", disable=not progress):
        with torch.no_grad():
            state.positions -= network(state.graph(neighbor_list, rate, param.dtype)).to(torch.float64)
        sigma = schedule.sigma(step)
        if sigma > 0:
            for part, generator in zip(state.parts, generators):
                shape = (part.stop - part.start, 3)
                scale = torch.empty(shape, dtype=torch.float64, device=state.device)
                scale.uniform_(schedule.sigma_min, sigma, generator=generator)
                noise = torch.randn(shape, dtype=torch.float64, device=state.device, generator=generator)
                state.positions[part] -= scale * noise
        state.wrap()
    state.write_to(structures)
    return list(structures)
