"""Several samples denoised together: one graph and one network call per step for the whole batch.

Each structure keeps its own random generator (seeded as DiffusionDynamics
would be), so a batch gives the same structures as one-at-a-time runs, up to
float32 round-off in the network. Batching fills a GPU; on one CPU core it
saves the fixed cost of each call on small structures.
"""
from typing import Optional, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from ase_dm2.sampling.dynamics import denoised_positions
from ase_dm2.sampling.schedule import NoiseSchedule


def denoise_batch(structures: Sequence, model, schedule: NoiseSchedule, seeds: Sequence[int],
                  rates: Optional[Sequence[float]] = None, progress: bool = True, desc: str = "batch") -> list:
    """Denoise `structures` in place along `schedule`; structure k's noise comes from seed seeds[k]."""
    if len(seeds) != len(structures):
        raise ValueError(f"got {len(seeds)} seeds for {len(structures)} structures; give one per structure")
    generators = [np.random.default_rng(seed) for seed in seeds]
    bounds = np.cumsum([0] + [len(atoms) for atoms in structures])
    model.eval()
    for step in tqdm(range(schedule.steps), desc=desc, unit="step", disable=not progress):
        sigma = schedule.sigma(step)
        with torch.no_grad():
            displacement = model(model.graph(structures, rates)).cpu().numpy().astype(np.float64)
        for k, atoms in enumerate(structures):
            atoms.positions = denoised_positions(atoms, displacement[bounds[k]:bounds[k + 1]], sigma,
                                                 schedule.sigma_min, generators[k])
    return list(structures)
