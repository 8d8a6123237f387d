"""Shared fixtures: one torch thread, and the reference data folder (tiny models and structures: helpers.py).

The reference data is found at $ASE_DM2_SHARED_DATA, else ../shared/data
beside the project; tests that need it skip with the reason when it is absent.
"""
import pytest
import torch

from ase_dm2.paths import shared_data as shared_data_dir


@pytest.fixture(scope="session")
def shared_data():
    path = shared_data_dir()
    if not (path / "a-SiO2").is_dir():
        pytest.skip(f"reference data not found at {path} (set ASE_DM2_SHARED_DATA to the shared/data folder)")
    return path


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)
