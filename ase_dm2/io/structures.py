"""Reading and checking structures from any ASE-readable file.

LAMMPS data files (.data, .dat, .lmp) are read as `lammps-data`; their atom
types become elements through the masses, or through an explicit type map
such as {1: "O", 2: "Si"}. A folder of the AET nanoparticle's .mat files
reads as that particle (ase_dm2.io.aet).
"""
import re
from pathlib import Path
from typing import Optional

import ase.io
import numpy as np
from ase.data import atomic_numbers

from ase_dm2.conventions import RATE_KEY
from ase_dm2.io.aet import is_aet_folder, read_aet_nanoparticle

LAMMPS_SUFFIXES = {".data", ".dat", ".lmp"}


def parse_type_map(text: str) -> dict:
    """'1=O,2=Si' -> {1: 'O', 2: 'Si'}."""
    try:
        pairs = [item.split("=") for item in text.split(",") if item.strip()]
        mapping = {int(t): s.strip() for t, s in pairs}
    except ValueError as error:
        raise ValueError(f"type map {text!r} should look like '1=O,2=Si'") from error
    unknown = [s for s in mapping.values() if s not in atomic_numbers]
    if unknown:
        raise ValueError(f"type map {text!r} names unknown elements {unknown}")
    return mapping


def rate_from_filename(path) -> float:
    """DM2's naming: '..._glass_0_1k_...' is 0.1 K/ps, '..._glass_10k_...' is 10 K/ps."""
    match = re.search(r"(\d+(?:_\d+)?)k(?![a-z])", Path(path).stem)
    if not match:
        raise ValueError(f"cannot read a cooling rate from the file name {Path(path).name} (expected e.g. 'glass_1k')")
    return float(match.group(1).replace("_", "."))


def check_structure(atoms, where: str) -> None:
    """Raise a ValueError naming `where` for structures no model can use."""
    if len(atoms) == 0:
        raise ValueError(f"{where}: the structure has no atoms")
    if not np.isfinite(atoms.positions).all():
        raise ValueError(f"{where}: positions contain NaN or infinite values; fix or drop this structure")
    if atoms.pbc.any():
        lengths = atoms.cell.lengths()
        if (lengths[atoms.pbc] == 0).any() or abs(atoms.cell.volume) < 1e-6 and atoms.pbc.all():
            raise ValueError(
                f"{where}: the cell is zero or degenerate along a periodic direction; "
                "set a proper cell or make that direction non-periodic (atoms.pbc)"
            )


def read_structures(paths, index=":", type_map: Optional[dict] = None, rate_key: str = RATE_KEY,
                    rate_from_name: bool = False) -> list:
    """All structures of the given files, checked, with `info['source']` set."""
    structures = []
    for path in map(Path, paths):
        if path.is_dir() and is_aet_folder(path):
            structures.append(read_aet_nanoparticle(path))
            continue
        if path.is_dir():
            raise ValueError(f"{path} is a directory; give the structure files in it (e.g. {path}/*.extxyz), or the "
                             "AET nanoparticle's folder of .mat files")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        try:
            if path.suffix.lower() in LAMMPS_SUFFIXES:
                z_of_type = None if type_map is None else {t: atomic_numbers[s] for t, s in type_map.items()}
                frames = [ase.io.read(path, format="lammps-data", Z_of_type=z_of_type)]
            else:
                frames = ase.io.read(path, index=index)
                frames = frames if isinstance(frames, list) else [frames]
        except Exception as error:
            raise ValueError(
                f"{path}: ASE cannot read this file ({type(error).__name__}: {error}); "
                "give a format ASE knows (extxyz, traj, LAMMPS data, ...)"
            ) from error
        for k, atoms in enumerate(frames):
            where = f"{path}" if len(frames) == 1 else f"{path} frame {k}"
            check_structure(atoms, where)
            atoms.info["source"] = str(path)
            if rate_from_name:
                atoms.info[rate_key] = rate_from_filename(path)
            structures.append(atoms)
    return structures


def cooling_rates(structures, rate_key: str = RATE_KEY) -> list:
    """The cooling rate (K/ps) of each structure, with a clear error where one is missing."""
    rates = []
    for atoms in structures:
        rate = atoms.info.get(rate_key)
        where = atoms.info.get("source", "a structure")
        if rate is None:
            raise ValueError(
                f"{where}: no cooling rate in atoms.info[{rate_key!r}]; a conditional model needs one per "
                "structure (set it, choose another --rate-key, or train an unconditional model)"
            )
        if not float(rate) > 0:
            raise ValueError(f"{where}: cooling rate must be positive (K/ps), got {rate}")
        rates.append(float(rate))
    return rates
