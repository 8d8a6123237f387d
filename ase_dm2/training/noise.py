"""Denoising score matching data: clean structures plus Gaussian noise of a random scale.

The scale sigma of a structure is drawn from one of SIGMA_DISTRIBUTIONS: "uniform" in [low, high] (DM2's),
"log-uniform" (as many structures per decade: the small scales where bonds and tetrahedra form are seen as often
as the large ones), or "mixture" (half of each).
"""
import math

import torch
from ase.geometry import wrap_positions

from ase_dm2.training.settings import SIGMA_DISTRIBUTIONS


def draw_sigma(generator: torch.Generator, sigma_range=(0.001, 0.75), distribution: str = "uniform") -> float:
    """One noise scale (Å) drawn from `distribution` over `sigma_range`."""
    if distribution not in SIGMA_DISTRIBUTIONS:
        raise ValueError(f"unknown sigma distribution {distribution!r}; choose one of {', '.join(SIGMA_DISTRIBUTIONS)}")
    low, high = sigma_range
    if distribution == "mixture":
        distribution = "uniform" if torch.rand((), generator=generator) < 0.5 else "log-uniform"
    u = torch.rand((), generator=generator, dtype=torch.float64)
    if distribution == "uniform":
        return float(low + (high - low) * u)
    return math.exp(math.log(low) + (math.log(high) - math.log(low)) * float(u))


def noisy_copy(atoms, generator: torch.Generator, sigma_range=(0.001, 0.75), per_atom: bool = False,
               distribution: str = "uniform", sparse: float = 0.0):
    """(noisy Atoms, noise (N, 3), sigma) with one sigma drawn from `distribution` over `sigma_range`.

    With `per_atom`, each atom's noise scale is drawn again, uniformly between the
    range's low end and that sigma, so one structure mixes scales as DM2's sampler
    does (it draws a scale in [sigma_min, sigma_t] for every coordinate).
    With probability `sparse`, only a random fraction (uniform in [0, 1]) of the
    atoms get that noise and the rest the range's low end: displaced atoms in
    nearly clean glass, the defects the sampler's last steps must mend.
    The noise is the training target: the displacement that takes the noisy
    structure back to the clean one is -noise.
    """
    low = sigma_range[0]
    sigma = draw_sigma(generator, sigma_range, distribution)
    scale = torch.tensor(sigma, dtype=torch.float64)
    if per_atom:
        scale = low + (scale - low) * torch.rand((len(atoms), 1), generator=generator, dtype=torch.float64)
    if sparse and torch.rand((), generator=generator) < sparse:
        fraction = torch.rand((), generator=generator, dtype=torch.float64)
        noised = torch.rand((len(atoms), 1), generator=generator, dtype=torch.float64) < fraction
        scale = torch.where(noised, scale, torch.tensor(low, dtype=torch.float64))
    noise = (scale * torch.randn((len(atoms), 3), generator=generator, dtype=torch.float64)).numpy()
    noisy = atoms.copy()
    noisy.positions = wrap_positions(atoms.positions + noise, atoms.cell.array, atoms.pbc, eps=0.0)
    return noisy, noise, sigma
