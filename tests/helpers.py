"""Tiny models and small random structures for the tests (a module of its own: the tutorials have a conftest too)."""
import numpy as np
import pytest
import torch
from ase import Atoms

from ase_dm2 import Denoiser, DenoiserConfig

NEEDS_GPU = pytest.mark.skipif(not torch.cuda.is_available(),
                               reason="needs a CUDA GPU (CI has none; the CPU path is tested)")
DEVICES = ["cpu", pytest.param("cuda", marks=NEEDS_GPU)]  # parametrize a test over the CPU and a GPU if there is one


def tiny_config(**overrides) -> DenoiserConfig:
    settings = dict(species=("O", "Si"), num_layers=2, hidden_scalars=8, hidden_vectors=4, radial_hidden=16)
    settings.update(overrides)
    return DenoiserConfig(**settings)


def tiny_model(seed=0, **overrides) -> Denoiser:
    torch.manual_seed(seed)
    return Denoiser(tiny_config(**overrides)).eval()


def random_silica(n_units=10, density=2.2, cell=None, seed=0) -> Atoms:
    """Uniformly random Si/O positions in a (possibly triclinic) periodic cell."""
    rng = np.random.default_rng(seed)
    symbols = ["Si"] * n_units + ["O"] * (2 * n_units)
    if cell is None:
        mass = n_units * 60.08 / 6.02214076e23
        cell = np.eye(3) * (mass / density * 1e24) ** (1 / 3)
    atoms = Atoms(symbols, cell=cell, pbc=True)
    atoms.set_scaled_positions(rng.random((len(atoms), 3)))
    return atoms
