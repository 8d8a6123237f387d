"""Denoising that stays on the model's device: positions, neighbour list, noise and wrapping are tensors.

denoise_batch brings positions to the host every step (vesin's neighbour list
and numpy noise, the same structures as DiffusionDynamics); on a GPU that is
a round trip per step. Here vesin-torch builds the neighbour list where the
positions live (CPU or CUDA), the noise comes from a torch generator on that
device, and only the finished structures come back. The update is
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
from ase_dm2.sampling.schedule import NoiseSchedule


class DeviceStructures:
    """A batch of structures as float64 tensors on one device: positions (N, 3), cells (B, 3, 3), pbc (B, 3)."""

    def __init__(self, structures: Sequence, species: Sequence[str], device):
        self.device = torch.device(device)
        self.sizes = [len(atoms) for atoms in structures]

        def tensor(values, dtype=torch.float64):
            return torch.as_tensor(np.asarray(values), dtype=dtype, device=self.device)

        self.positions = tensor(np.concatenate([atoms.positions for atoms in structures]))
        indices = [species_indices(atoms, species, k) for k, atoms in enumerate(structures)]
        self.species = tensor(np.concatenate(indices), torch.int64)
        self.batch = torch.repeat_interleave(torch.arange(len(structures), device=self.device),
                                             tensor(self.sizes, torch.int64))
        self.pbc = tensor([atoms.pbc for atoms in structures], torch.bool)
        # vesin sees no box along open axes; fractional coordinates need a full-rank cell
        self.cells = tensor([atoms.cell.array for atoms in structures]) * self.pbc[:, :, None]
        frames = tensor([complete_cell(atoms.cell.array) for atoms in structures])
        self._frames, self._inverse_frames = frames[self.batch], torch.linalg.inv(frames)[self.batch]
        self._periodic = self.pbc[self.batch]

    def parts(self):
        """(slice of atoms, structure index) for each structure."""
        start = 0
        for k, size in enumerate(self.sizes):
            yield slice(start, start + size), k
            start += size

    def graph(self, neighbor_list, rates: Optional[torch.Tensor], dtype) -> Graph:
        """The model's graph, built on the device by vesin-torch."""
        centers, neighbors, offsets = [], [], []
        for atoms, k in self.parts():
            i, j, shifts = neighbor_list.compute(self.positions[atoms], self.cells[k], self.pbc[k], "ijS")
            centers.append(i + atoms.start)
            neighbors.append(j + atoms.start)
            offsets.append(shifts.to(torch.float64) @ self.cells[k])
        return Graph(species=self.species, positions=self.positions.to(dtype), batch=self.batch,
                     center=torch.cat(centers), neighbor=torch.cat(neighbors), offsets=torch.cat(offsets).to(dtype),
                     rate=rates, num_structures=len(self.sizes))

    def wrap(self):
        """Periodic coordinates into [0, 1) of the cell, as ase.geometry.wrap_positions(eps=0)."""
        fractional = torch.einsum("ni,nij->nj", self.positions, self._inverse_frames)
        fractional = torch.where(self._periodic, fractional - torch.floor(fractional), fractional)
        self.positions = torch.einsum("ni,nij->nj", fractional, self._frames)

    def write_to(self, structures):
        positions = self.positions.cpu().numpy()
        for (part, _), atoms in zip(self.parts(), structures):
            atoms.positions = positions[part]


def denoise_on_device(structures: Sequence, model, schedule: NoiseSchedule, seeds: Sequence[int],
                      rates: Optional[Sequence[float]] = None, progress: bool = True, desc: str = "batch") -> list:
    """Denoise `structures` in place along `schedule` on the model's device; structure k's noise from seeds[k]."""
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
    for step in tqdm(range(schedule.steps), desc=desc, unit="step", disable=not progress):
        with torch.no_grad():
            state.positions -= model(state.graph(neighbor_list, rate, param.dtype)).to(torch.float64)
        sigma = schedule.sigma(step)
        if sigma > 0:
            for (atoms, k), generator in zip(state.parts(), generators):
                shape = (atoms.stop - atoms.start, 3)
                scale = torch.empty(shape, dtype=torch.float64, device=state.device)
                scale.uniform_(schedule.sigma_min, sigma, generator=generator)
                noise = torch.randn(shape, dtype=torch.float64, device=state.device, generator=generator)
                state.positions[atoms] -= scale * noise
        state.wrap()
    state.write_to(structures)
    return list(structures)
