"""Structure files the command line writes: checked before any work starts, written atomically, and rescued
into an extxyz file when writing fails at the end, so hours of generation or MD are never lost to a bad name."""
import os
import tempfile
from pathlib import Path

import ase.io
from ase.io.formats import UnknownFileTypeError, filetype, ioformats

from ase_dm2.io.atomic import atomic_path

EXAMPLES = ".extxyz, .traj, .xyz, .cif or .vasp"


def check_output_file(path) -> Path:
    """`path` as a Path, refused with the fix named if it is a directory or its folder cannot be made or written."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give a file name inside it, e.g. {path / 'out.extxyz'}")
    _check_writable(path, path.parent)
    return path


def check_output_folder(path) -> Path:
    """`path` as a Path, refused if it is a file or cannot be made or written."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file; give a folder for the outputs")
    _check_writable(path, path)
    return path


def _check_writable(path: Path, folder: Path) -> None:
    folder = folder.resolve()
    existing = next(p for p in [folder, *folder.parents] if p.exists())
    if not (existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)):
        raise ValueError(f"cannot write {path}: {existing} is not a writable folder")


def structure_format(path, frames: int = 1) -> str:
    """ASE's format for writing `frames` structures to `path`, checked before any work starts."""
    path = check_output_file(path)
    try:
        name = filetype(path, read=False)
        io = ioformats[name]
    except (UnknownFileTypeError, KeyError):
        raise ValueError(f"ASE cannot tell a structure format from the name {path}; "
                         f"use an extension such as {EXAMPLES}") from None
    if not io.can_write:
        raise ValueError(f"ASE reads {name} files but cannot write them; use an extension such as {EXAMPLES}")
    if frames > 1 and io.single:
        raise ValueError(f"{name} files hold one structure, and {frames} would be written; "
                         "use a multi-frame format such as .extxyz or .traj")
    return name


def write_structures(path, images, format: str) -> bool:
    """Write `images` (an Atoms or a list) to `path` atomically; True if an existing file was replaced.

    If writing fails, the structures go to an extxyz file beside `path` (else in the temporary folder) and the
    error names it."""
    path = Path(path)
    existed = path.exists()
    try:
        with atomic_path(path) as tmp:
            ase.io.write(tmp, images, format=format)
    except Exception as error:
        raise RuntimeError(f"could not write {path} ({error}); the structures are saved in "
                           f"{_rescue(path, images)}") from error
    return existed


def _rescue(path: Path, images) -> Path:
    for folder in (path.parent, Path(tempfile.gettempdir())):
        try:
            fd, name = tempfile.mkstemp(prefix=f"{path.stem}.rescued-", suffix=".extxyz", dir=folder)
            os.close(fd)
            ase.io.write(name, images, format="extxyz")
            return Path(name)
        except OSError:
            continue
    raise RuntimeError(f"could not write {path}, nor rescue the structures beside it or in the temporary folder")
