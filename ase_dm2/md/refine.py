"""Energies, minimisation and MD refinement (NVT then NPT) on ASE Atoms: with a LAMMPS potential preset in one
LAMMPS run, or with any ASE calculator through ASE's optimiser and MD (ase_dm2.md.ase_engine)."""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.units import GPa
from tqdm.auto import tqdm

from ase_dm2.build.composition import parse_composition
from ase_dm2.md import ase_engine
from ase_dm2.md.lammps import lammps_command, run_lammps
from ase_dm2.md.potentials import Potential, preset

GPA_TO_BAR = 1e4
UNSHIFTED = "pair_modify shift no\nrun 0\n"  # report true energies after a shifted minimisation


def _with_results(result):
    """The final Atoms carrying energy (eV) and stress (ASE units) of the last thermo row."""
    atoms = result.atoms
    # ASE's stress is minus the pressure tensor, like result.stress(); GPa -> eV/Å^3
    atoms.calc = SinglePointCalculator(atoms, energy=result.last("pe"), stress=result.stress() * GPa)
    return atoms


def single_point(atoms, potential):
    """(energy per atom in eV, Voigt stress in GPa) of the structure as given."""
    result = run_lammps(atoms, potential, "run 0\n")
    return result.last("pe") / len(atoms), result.stress()


def minimise_commands(ftol: float, max_steps: int, etol: float = 0.0) -> str:
    """Conjugate-gradient minimisation to a force norm `ftol` (eV/Å), or a relative energy change `etol`."""
    return f"min_style cg\nminimize {etol} {ftol} {max_steps} {10 * max_steps}\n"


def minimise(atoms, potential, ftol: float = 1e-4, max_steps: int = 10000, log=None, etol: float = 0.0):
    """Positions relaxed in the fixed cell; the returned Atoms carry the (unshifted) energy and stress.

    `potential`: a LAMMPS Potential or an ASE calculator. etol (LAMMPS): also stop when the relative energy
    change of an iteration falls below it (0: forces only).
    """
    if ase_engine.is_calculator(potential):
        return ase_engine.minimise(atoms, potential, ftol, max_steps)
    body = minimise_commands(ftol, max_steps, etol) + UNSHIFTED
    return _with_results(run_lammps(atoms, potential, body, minimise=True, log=log))


def md_commands(temperature: float, seed: int, timestep_ps: float, stages, thermo_every: int = 100) -> str:
    """velocity + a sequence of (kind, ps, extra) stages: kind 'nvt' or 'npt' (extra: barostat args)."""
    lines = [f"timestep {timestep_ps}", f"thermo {thermo_every}",
             f"velocity all create {temperature} {seed} mom yes rot yes dist gaussian"]
    for k, (kind, ps, thermostat, barostat) in enumerate(stages):
        steps = int(round(ps / timestep_ps))
        if steps == 0:
            continue
        fix = f"fix stage{k} all {kind} temp {thermostat} {100 * timestep_ps}"
        lines += [fix + (f" {barostat}" if barostat else ""), f"run {steps}", f"unfix stage{k}"]
    return "\n".join(lines) + "\n"


def refine(atoms, potential, nvt_ps: float = 25.0, npt_ps: float = 25.0, temperature: float = 300.0,
           pressure: float = 0.0, timestep_fs: float = 1.0, seed: int = 1, log=None, thermo_every: int = 100,
           progress: bool = True):
    """DM2's refinement: NVT then NPT (isotropic, `pressure` GPa) at `temperature` K.

    Returns the refined Atoms (new cell) with energy and stress of the last
    step; `log` keeps the full LAMMPS log; info gets mean T and final density.
    `progress`: a bar of the simulated time, temperature, pressure and energy.
    `potential`: a LAMMPS Potential, or an ASE calculator (ASE's MD; no log).
    """
    if ase_engine.is_calculator(potential):
        return ase_engine.refine(atoms, potential, nvt_ps, npt_ps, temperature, pressure, timestep_fs, seed,
                                 progress)
    dt = timestep_fs / 1000.0
    t = f"{temperature} {temperature}"
    p = f"iso {pressure * GPA_TO_BAR} {pressure * GPA_TO_BAR} {1000 * dt}"
    body = md_commands(temperature, seed, dt, [("nvt", nvt_ps, t, None), ("npt", npt_ps, t, p)], thermo_every)
    result = run_lammps(atoms, potential, body, log=log, progress="refine" if progress else None)
    refined = _with_results(result)
    refined.info.update(md_temperature=float(np.mean(result.thermo["temp"][1:])) if len(result.thermo["temp"]) > 1
                        else float("nan"), md_ps=nvt_ps + npt_ps)
    return refined


def refinement_potential(potential, composition, path=None):
    """The potential `potential` names (a Potential, a preset name or an eam/alloy file; `path`: the cuzr
    preset's file), checked before any work to cover `composition`, with LAMMPS at hand; an ASE calculator
    as it is."""
    if ase_engine.is_calculator(potential):
        return potential
    potential = potential if isinstance(potential, Potential) else preset(str(potential), path)
    potential.check(Atoms(list(parse_composition(composition))))
    lammps_command()
    return potential


def refine_many(structures, potential, processes=None, progress: bool = True, **options) -> list:
    """`refine` of each structure (same `options`), as many LAMMPS runs at once as `processes` (default: the
    cores, over the MPI ranks of $ASE_LAMMPSRUN_COMMAND; one at a time with an ASE calculator); a progress bar
    per run, or one over the structures when several run at once."""
    structures = list(structures)
    if ase_engine.is_calculator(potential):
        return [refine(atoms, potential, progress=progress, **options) for atoms in structures]
    for atoms in structures:
        potential.check(atoms)
    command = lammps_command()
    ranks = next((int(command[k + 1]) for k, word in enumerate(command[:-1]) if word in ("-np", "-n")
                  and command[k + 1].isdigit()), 1)
    processes = max(1, min(len(structures), processes or (os.cpu_count() or 1) // ranks))
    if processes == 1:
        return [refine(atoms, potential, progress=progress, **options) for atoms in structures]
    with ThreadPoolExecutor(processes) as pool:  # threads suffice: each waits on its own LAMMPS process
        runs = pool.map(lambda atoms: refine(atoms, potential, progress=False, **options), structures)
        return list(tqdm(runs, total=len(structures), desc=f"refine ({processes} at once)", unit="structure",
                         disable=not progress))
