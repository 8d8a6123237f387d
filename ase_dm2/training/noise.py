"""Denoising score matching data: clean structures plus Gaussian noise of a random scale."""
import torch
from ase.geometry import wrap_positions


def noisy_copy(atoms, generator: torch.Generator, sigma_range=(0.001, 0.75)):
    """(noisy Atoms, noise (N, 3)) with one sigma ~ U(sigma_range) for the structure.

    The noise is the training target: the displacement that takes the noisy
    structure back to the clean one is -noise.
    """
    low, high = sigma_range
    sigma = low + (high - low) * torch.rand((), generator=generator, dtype=torch.float64)
    noise = (sigma * torch.randn((len(atoms), 3), generator=generator, dtype=torch.float64)).numpy()
    noisy = atoms.copy()
    noisy.positions = wrap_positions(atoms.positions + noise, atoms.cell.array, atoms.pbc, eps=0.0)
    return noisy, noise
