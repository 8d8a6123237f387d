"""Denoising score matching data: clean structures plus Gaussian noise of a random scale."""
import torch
from ase.geometry import wrap_positions


def noisy_copy(atoms, generator: torch.Generator, sigma_range=(0.001, 0.75), per_atom: bool = False):
    """(noisy Atoms, noise (N, 3)) with one sigma ~ U(sigma_range) for the structure.

    With `per_atom`, each atom's noise scale is drawn again, uniformly between the
    range's low end and that sigma: the mixture of scales the sampler's noise has
    (DiffusionDynamics draws each atom's scale in [sigma_min, sigma_t]).
    The noise is the training target: the displacement that takes the noisy
    structure back to the clean one is -noise.
    """
    low, high = sigma_range
    sigma = low + (high - low) * torch.rand((), generator=generator, dtype=torch.float64)
    if per_atom:
        sigma = low + (sigma - low) * torch.rand((len(atoms), 1), generator=generator, dtype=torch.float64)
    noise = (sigma * torch.randn((len(atoms), 3), generator=generator, dtype=torch.float64)).numpy()
    noisy = atoms.copy()
    noisy.positions = wrap_positions(atoms.positions + noise, atoms.cell.array, atoms.pbc, eps=0.0)
    return noisy, noise
