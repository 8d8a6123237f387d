"""The test suite runs the tutorials small (their size switch); a reader running them gets the full size.

A tutorial that needs the reference data or LAMMPS says so in its notebook metadata ("ase_dm2": {"needs":
[...]}); where that is missing (a fresh clone has no reference data) it is skipped with the reason.
"""
import json
import os

import pytest

from ase_dm2.md.lammps import LammpsError, lammps_command
from ase_dm2.paths import reference_data_missing

os.environ.setdefault("ASE_DM2_TUTORIAL_SIZE", "small")


def missing(need: str):
    """Why `need` ("reference data" or "lammps") is not met here, or None."""
    if need == "reference data":
        return reference_data_missing()
    if need == "lammps":
        try:
            lammps_command()
        except LammpsError as error:
            return str(error)
        return None
    raise ValueError(f"unknown tutorial need {need!r} in a notebook's metadata")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix != ".ipynb":
            continue
        needs = json.loads(item.path.read_text())["metadata"].get("ase_dm2", {}).get("needs", [])
        reasons = [reason for reason in map(missing, needs) if reason]
        if reasons:
            item.add_marker(pytest.mark.skip(reason="; ".join(reasons)))
