"""Denoising score matching data: clean structures plus Gaussian noise of a random scale."""
import numpy as np
import torch


def wrap_positions(positions: np.ndarray, cell: np.ndarray, pbc) -> np.ndarray:
    """Positions moved into the cell along periodic directions (others untouched)."""
    pbc = np.asarray(pbc, dtype=bool)
    if not pbc.any():
        return positions
    fractional = np.linalg.solve(cell.T, positions.T).T
    fractional[:, pbc] %= 1.0
    return fractional @ cell


def noisy_copy(atoms, generator: torch.Generator, sigma_range=(0.001, 0.75)):
    """(noisy Atoms, noise (N, 3)) with one sigma ~ U(sigma_range) for the structure.

    The noise is the training target: the displacement that takes the noisy
    structure back to the clean one is -noise.
    """
    low, high = sigma_range
    sigma = low + (high - low) * torch.rand((), generator=generator, dtype=torch.float64)
    noise = (sigma * torch.randn((len(atoms), 3), generator=generator, dtype=torch.float64)).numpy()
    noisy = atoms.copy()
    noisy.positions = wrap_positions(atoms.positions + noise, atoms.cell.array, atoms.pbc)
    return noisy, noise
