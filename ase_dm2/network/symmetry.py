"""Measured rotational equivariance: how far f(R x) is from R f(x) for a score model."""
import numpy as np
import torch
from e3nn import o3


def equivariance_error(model, atoms, rate=None, rotations: int = 3, seed: int = 0, sigma: float = 0.1) -> float:
    """Largest |f(R x) - R f(x)| (Å) over random rotations R of atoms and cell (noise level `sigma` Å for
    noise-conditioned models)."""
    def predict(structure):
        rates = [rate] if model.conditional else None
        with torch.no_grad():
            return model(model.graph([structure], rates, [sigma])).double().numpy()

    reference = predict(atoms)
    torch.manual_seed(seed)
    worst = 0.0
    for _ in range(rotations):
        rotation = o3.rand_matrix().double().numpy()
        rotated = atoms.copy()
        rotated.set_cell(atoms.cell.array @ rotation.T)
        rotated.positions = atoms.positions @ rotation.T
        worst = max(worst, float(np.abs(predict(rotated) - reference @ rotation.T).max()))
    return worst
