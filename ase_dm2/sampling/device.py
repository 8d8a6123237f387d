"""Denoising that stays on the model's device: positions, neighbour list, noise and wrapping are tensors.

denoise_batch brings positions to the host every step (vesin's neighbour list
and numpy noise, the same structures as DiffusionDynamics); on a GPU that is
a round trip per step. Here vesin-torch builds the neighbour list where the
positions live (CPU or CUDA), the noise comes from a torch generator on that
device, and only the finished structures come back. On a GPU the network
of a small batch runs as a replayed CUDA graph (cuda_graph.py). vesin-torch's
pair count is read on the host at each step; with fixed-size neighbour lists
(cell_list.py, `fixed_shapes`) nothing is, and on a GPU the list is replayed
in the same CUDA graph as the network. The update is
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
from ase_dm2.sampling.cell_list import PaddedCellList
from ase_dm2.sampling.cuda_graph import ReplayedModel, record, with_dummy
from ase_dm2.sampling.schedule import NoiseSchedule

# On an H200 (benchmarks/RESULTS.md) replaying made a 3,000-atom step 1.8x faster (GPU work 2.6 ms, launches 6 ms),
# while at 112,848 atoms op by op was faster (88 against 97-222 ms a step: there the GPU's work hides the
# launches; on an H100 the two were level there, 100 against 98-105 ms). The limit sits where the GPU's work per
# step passes the launches' cost (about 7,000 atoms).
REPLAY_MAX_ATOMS = 10_000
# steps between reads of the fixed-size neighbour lists' capacity check (fixed_shapes); a failed check repeats them
CHECK_INTERVAL = 100


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

    def padded_graph(self, cell_list: PaddedCellList, rates: Optional[torch.Tensor], dtype) -> Graph:
        """The model's graph in `cell_list`'s fixed-size buffers, with the dummy atom N that pads the edges."""
        center, neighbor, offsets = cell_list.compute(self.positions)
        return Graph(species=self.padded_species, positions=with_dummy(self.positions).to(dtype),
                     batch=self.padded_batch, center=center, neighbor=neighbor, offsets=offsets.to(dtype),
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


class FixedShapeNetwork:
    """The model's displacements of `state`'s atoms through a PaddedCellList: nothing read back at a call.

    With `replay` (a CUDA device), the neighbour list and the network are recorded together as one CUDA graph that
    reads the positions where they are, so a call is one replay, with no copies.
    """

    def __init__(self, state: DeviceStructures, model, rates: Optional[torch.Tensor], replay: bool):
        self.state, self.model, self.rates, self.replay = state, model, rates, replay
        self.dtype = next(model.parameters()).dtype
        self.cell_list = PaddedCellList.sized_for(state.positions, state.cells, state.batch, model.cutoff)
        self._record()

    def _record(self):
        self.cuda_graph = self.output = None  # the old graph's memory goes first
        if self.replay:
            self.cuda_graph, self.output = record(self.evaluate, self.state.device)

    def evaluate(self) -> torch.Tensor:
        graph = self.state.padded_graph(self.cell_list, self.rates, self.dtype)
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


def denoise_on_device(structures: Sequence, model, schedule: NoiseSchedule, seeds: Sequence[int],
                      rates: Optional[Sequence[float]] = None, progress: bool = True, desc: str = "batch",
                      cuda_graph: Optional[bool] = None, fixed_shapes: bool = False) -> list:
    """Denoise `structures` in place along `schedule` on the model's device; structure k's noise from seeds[k].

    On a CUDA device the network of a batch of up to REPLAY_MAX_ATOMS atoms is replayed as a CUDA graph
    (ReplayedModel), where launching its kernels one by one costs more than the GPU's work; larger batches keep
    the GPU busy op by op. `cuda_graph` True or False forces either way.

    With `fixed_shapes` (periodic cells at least one cutoff wide), the neighbour lists of the whole batch come
    from a PaddedCellList (FixedShapeNetwork): no step reads anything back, so the host runs ahead of the GPU.
    Every CHECK_INTERVAL steps the list's capacities are checked; if they overflowed, the steps since the last
    check are repeated from saved positions and random states with a larger list, so the structures are those
    ample room gives.
    """
    if len(seeds) != len(structures):
        raise ValueError(f"got {len(seeds)} seeds for {len(structures)} structures; give one per structure")
    if model.conditional and rates is None:
        raise ValueError("this model is conditional on the cooling rate: give rates (K/ps), one per structure")
    param = next(model.parameters())
    state = DeviceStructures(structures, model.species, param.device)
    rate = None if not model.conditional else torch.as_tensor(rates, dtype=param.dtype, device=param.device)
    generators = [torch.Generator(device=param.device).manual_seed(int(seed)) for seed in seeds]
    model.eval()
    if cuda_graph is None:
        cuda_graph = len(state.species) <= REPLAY_MAX_ATOMS
    replay = cuda_graph and state.device.type == "cuda"
    if fixed_shapes:
        displacements = FixedShapeNetwork(state, model, rate, replay)
    else:
        network = ReplayedModel(model) if replay else model
        neighbor_list = vesin_torch.NeighborList(cutoff=float(model.cutoff), full_list=True)

        def displacements():
            return network(state.graph(neighbor_list, rate, param.dtype))

    def saved(step):
        return step, state.positions.clone(), [generator.get_state() for generator in generators]

    step, checkpoint = 0, saved(0) if fixed_shapes else None
    with tqdm(total=schedule.steps, desc=desc, unit="step", disable=not progress) as bar:
        while step < schedule.steps:
            with torch.no_grad():
                state.positions -= displacements().to(torch.float64)
            sigma = schedule.sigma(step)
            if sigma > 0:
                for part, generator in zip(state.parts, generators):
                    shape = (part.stop - part.start, 3)
                    scale = torch.empty(shape, dtype=torch.float64, device=state.device)
                    scale.uniform_(schedule.sigma_min, sigma, generator=generator)
                    noise = torch.randn(shape, dtype=torch.float64, device=state.device, generator=generator)
                    state.positions[part] -= scale * noise
            state.wrap()
            step += 1
            bar.update()
            if fixed_shapes and (step % CHECK_INTERVAL == 0 or step == schedule.steps):
                if displacements.grown_after_overflow():  # back to the last check
                    step, positions, random_states = checkpoint
                    state.positions.copy_(positions)
                    for generator, random_state in zip(generators, random_states):
                        generator.set_state(random_state)
                    bar.n = step
                    bar.refresh()
                else:
                    checkpoint = saved(step)
    state.write_to(structures)
    return list(structures)
