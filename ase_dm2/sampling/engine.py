"""The denoising engine: every generation path (DiffusionDynamics, generate, batches, GPUs) runs through it.

A batch of structures lives as float64 tensors on the model's device
(DeviceStructures); a sampler (samplers.py) moves them, one step at a time,
with the network's displacements, noise from one torch generator per structure
and wrapping into the cell, all where the positions are: only the finished
structures come back to the host.

Reproducibility: structure k's noise comes from its own generator seeded with
seeds[k], so a seed gives the same structure alone or in any batch (up to the
network's float32 round-off, which depends on the batch's summation order), and
the same again on the same device. CPU and CUDA generators are different
streams, so a seed gives another structure on a GPU than on the CPU.
"""
from typing import Optional, Sequence

import torch
import vesin_torch
from tqdm.auto import tqdm

from ase_dm2.sampling.cuda_graph import ReplayedModel
from ase_dm2.sampling.device import DeviceStructures, FixedShapeNetwork, joined
from ase_dm2.sampling.samplers import make_sampler

# On an H200 (benchmarks/RESULTS.md) replaying made a 3,000-atom step 1.8x faster (GPU work 2.6 ms, launches 6 ms),
# while at 112,848 atoms op by op was faster (88 against 97-222 ms a step: there the GPU's work hides the
# launches; on an H100 the two were level there, 100 against 98-105 ms). The limit sits where the GPU's work per
# step passes the launches' cost (about 7,000 atoms).
REPLAY_MAX_ATOMS = 10_000
# steps between reads of the fixed-size neighbour lists' capacity check (fixed_shapes); a failed check repeats them
CHECK_INTERVAL = 100


class DenoisingEngine:
    """`structures` denoised together on `model`'s device; structure k's noise comes from seeds[k].

    On a CUDA device the network of a batch of up to REPLAY_MAX_ATOMS atoms is replayed as a CUDA graph
    (ReplayedModel), where launching its kernels one by one costs more than the GPU's work; larger batches keep
    the GPU busy op by op. `cuda_graph` True or False forces either way. With `fixed_shapes` (periodic cells at
    least one cutoff wide), the neighbour lists of the whole batch come from a PaddedCellList
    (FixedShapeNetwork): no call reads anything back, so the host runs ahead of the GPU.
    """

    def __init__(self, structures: Sequence, model, seeds: Sequence[int], rates: Optional[Sequence[float]] = None,
                 cuda_graph: Optional[bool] = None, fixed_shapes: bool = False):
        if len(seeds) != len(structures):
            raise ValueError(f"got {len(seeds)} seeds for {len(structures)} structures; give one per structure")
        if model.conditional and rates is None:
            raise ValueError("this model is conditional on the cooling rate: give rates (K/ps), one per structure")
        param = next(model.parameters())
        self.model, self.fixed_shapes = model.eval(), fixed_shapes
        self.state = DeviceStructures(structures, model.species, param.device)
        self.parts = self.state.parts
        self.rates = None if not model.conditional else torch.as_tensor(rates, dtype=param.dtype,
                                                                        device=param.device)
        # the noise level told to noise-conditioned models, written in place so that replays read it
        self.sigmas = torch.zeros(len(structures), dtype=param.dtype, device=param.device) \
            if model.noise_conditional else None
        self.generators = [torch.Generator(device=param.device).manual_seed(int(seed)) for seed in seeds]
        if cuda_graph is None:
            cuda_graph = len(self.state.species) <= REPLAY_MAX_ATOMS
        replay = cuda_graph and self.state.device.type == "cuda"
        if fixed_shapes:
            self._network = FixedShapeNetwork(self.state, model, self.rates, self.sigmas, replay)
        else:
            network = ReplayedModel(model) if replay else model
            neighbor_list = vesin_torch.NeighborList(cutoff=float(model.cutoff), full_list=True)
            self._network = lambda: network(self.state.graph(neighbor_list, self.rates, param.dtype, self.sigmas))

    @property
    def positions(self) -> torch.Tensor:
        """All atoms' positions (N, 3), float64 on the device; samplers update them in place."""
        return self.state.positions

    @positions.setter
    def positions(self, value):
        self.state.positions.copy_(value)

    def displacement(self, sigma: float) -> torch.Tensor:
        """The network's eps at the current positions (N, 3), float64; noise-conditioned models are told `sigma`."""
        if self.sigmas is not None:
            self.sigmas.fill_(sigma)
        with torch.no_grad():
            return self._network().to(torch.float64)

    def noise(self) -> torch.Tensor:
        """Standard normal (N, 3), each structure's rows from its own generator."""
        return joined([torch.randn((part.stop - part.start, 3), dtype=torch.float64, device=self.state.device,
                                   generator=generator) for part, generator in zip(self.parts, self.generators)])

    def uniform(self, low: float, high: float) -> torch.Tensor:
        """Uniform in [low, high) (N, 3), each structure's rows from its own generator."""
        scale = torch.empty((len(self.state.species), 3), dtype=torch.float64, device=self.state.device)
        for part, generator in zip(self.parts, self.generators):
            scale[part].uniform_(low, high, generator=generator)
        return scale

    def wrap(self):
        self.state.wrap()

    def _saved(self, step: int):
        return step, self.positions.clone(), [generator.get_state() for generator in self.generators]

    def _restore(self, saved) -> int:
        step, positions, random_states = saved
        self.positions.copy_(positions)
        for generator, random_state in zip(self.generators, random_states):
            generator.set_state(random_state)
        return step

    def run(self, sampler, progress: bool = True, desc: str = "batch"):
        """All of `sampler`'s steps. With fixed_shapes, every CHECK_INTERVAL steps the neighbour list's capacities
        are checked; if they overflowed, the steps since the last check are repeated from saved positions and
        random states with a larger list, so the structures are those ample room gives."""
        step, checkpoint = 0, self._saved(0) if self.fixed_shapes else None
        with tqdm(total=sampler.steps, desc=desc, unit="step", disable=not progress) as bar:
            while step < sampler.steps:
                sampler.step(self, step)
                step += 1
                bar.update()
                if self.fixed_shapes and (step % CHECK_INTERVAL == 0 or step == sampler.steps):
                    if self._network.grown_after_overflow():  # back to the last check
                        step = self._restore(checkpoint)
                        bar.n = step
                        bar.refresh()
                    else:
                        checkpoint = self._saved(step)

    def write_to(self, structures):
        self.state.write_to(structures)


def denoise(structures: Sequence, model, sampler, seeds: Sequence[int], rates: Optional[Sequence[float]] = None,
            progress: bool = True, desc: str = "batch", **options) -> list:
    """Denoise `structures` in place with `sampler` (a NoiseSchedule means DM2's step along it) on the model's
    device; structure k's noise comes from seeds[k]. `options`: DenoisingEngine's cuda_graph and fixed_shapes."""
    sampler = make_sampler(sampler, model)
    engine = DenoisingEngine(structures, model, seeds, rates, **options)
    engine.run(sampler, progress, desc)
    engine.write_to(structures)
    return list(structures)
