"""Shared fixtures: one torch thread, and the reference data folder (tiny models and structures: helpers.py).

The reference data is found at $ASE_DM2_SHARED_DATA, else ../shared/data
beside the project; tests that need it skip with the reason when it is absent.
"""
import pytest
import torch

from ase_dm2.paths import reference_data_missing
from ase_dm2.paths import shared_data as shared_data_dir


@pytest.fixture(scope="session")
def shared_data():
    reason = reference_data_missing()
    if reason:
        pytest.skip(reason)
    return shared_data_dir()


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)
