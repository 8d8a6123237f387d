"""Shared fixtures: tiny models, small random structures, and the reference data folder.

The reference data is found at $ASE_DM2_SHARED_DATA, else ../shared/data
beside the project; tests that need it skip with the reason when it is absent.
"""
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from ase import Atoms

from ase_dm2 import Denoiser, DenoiserConfig

ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    return Path(os.environ.get("ASE_DM2_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data():
    path = shared_data_dir()
    if not (path / "a-SiO2").is_dir():
        pytest.skip(f"reference data not found at {path} (set ASE_DM2_SHARED_DATA to the shared/data folder)")
    return path


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


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
