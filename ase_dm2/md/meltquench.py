"""Melt-quench glasses with LAMMPS (DM2's protocol, Yang & Schwalbe-Koda 2025), to make training data, with its MD cost.

Random placement (minimum separation 2 Å), minimisation, NVT then NPT at
300 K, NPT melt at 5000 K and zero pressure, cooling at `rate` K/ps under NPT,
and NPT at 300 K. Every duration is a parameter so tests can shrink them.
"""
import numpy as np
from scipy.spatial import cKDTree

from ase_dm2.build import random_structure
from ase_dm2.graph import neighbor_pairs
from ase_dm2.conventions import RATE_KEY
from ase_dm2.md.lammps import run_lammps
from ase_dm2.md.refine import md_commands, minimise_commands


def separated_random_structure(composition, n_atoms: int, density: float, min_distance: float = 2.0,
                               seed: int = 0, batch: int = 256, max_batches: int = 1000):
    """Uniform random atoms in a cube, none closer than `min_distance`: overlapping atoms are
    re-inserted one at a time at random points of free space (periodic k-d tree)."""
    atoms = random_structure(composition, n_atoms=n_atoms, density=density, seed=seed)
    box = atoms.cell.lengths()
    rng = np.random.default_rng(seed)
    i, j = neighbor_pairs(atoms.positions, atoms.cell.array, atoms.pbc, min_distance, "ij")
    crowded = np.unique(i[i < j])
    placed = np.setdiff1d(np.arange(len(atoms)), crowded)
    positions = atoms.positions % box
    tree = cKDTree(positions[placed], boxsize=box)
    pending = []  # re-inserted atoms not yet in the tree
    for atom in crowded:
        for _ in range(max_batches):
            candidates = rng.random((batch, 3)) * box
            free = tree.query(candidates)[0] >= min_distance
            if pending:
                delta = candidates[:, None, :] - positions[pending][None]
                delta -= box * np.round(delta / box)
                free &= (np.linalg.norm(delta, axis=2) >= min_distance).all(axis=1)
            if free.any():
                positions[atom] = candidates[np.argmax(free)]
                pending.append(atom)
                break
        else:
            raise ValueError(f"cannot place {n_atoms} atoms {min_distance} Å apart at {density} g/cm3; "
                             "lower the density or the minimum distance")
        if len(pending) >= 64:
            placed = np.concatenate([placed, pending])
            tree, pending = cKDTree(positions[placed], boxsize=box), []
    atoms.positions = positions
    return atoms


def quench_ps(rate: float, melt_temperature: float = 5000.0, temperature: float = 300.0) -> float:
    """Cooling time in ps at `rate` K/ps (4,700 ps at 1 K/ps)."""
    if not rate > 0:
        raise ValueError(f"cooling rate must be positive (K/ps), got {rate}")
    return (melt_temperature - temperature) / rate


def melt_quench(composition, n_atoms: int, rate: float, potential, density: float, temperature: float = 300.0,
                melt_temperature: float = 5000.0, nvt_ps: float = 50.0, npt_ps: float = 50.0, melt_ps: float = 50.0,
                final_ps: float = 100.0, timestep_fs: float = 1.0, seed: int = 1, log=None, progress: bool = True):
    """A glass quenched at `rate` K/ps; info holds the rate, MD steps and throughput (atom-steps/s).
    `progress`: a bar of the simulated time."""
    dt = timestep_fs / 1000.0
    atoms = separated_random_structure(composition, n_atoms, density, seed=seed)
    cold, hot = f"{temperature} {temperature}", f"{melt_temperature} {melt_temperature}"
    damp = 1000 * dt
    zero = f"iso 0.0 0.0 {damp}"
    stages = [("nvt", nvt_ps, cold, None), ("npt", npt_ps, cold, zero), ("npt", melt_ps, hot, zero),
              ("npt", quench_ps(rate, melt_temperature, temperature), f"{melt_temperature} {temperature}", zero),
              ("npt", final_ps, cold, zero)]
    body = minimise_commands(1e-3, 1000) + "reset_timestep 0\n"
    body += md_commands(temperature, seed, dt, stages, thermo_every=1000)
    result = run_lammps(atoms, potential, body, log=log, progress="melt-quench" if progress else None)
    steps = int(result.thermo["step"][-1])
    glass = result.atoms
    glass.info.update({RATE_KEY: float(rate), "md_steps": steps,
                       "atom_steps_per_second": len(glass) * steps / result.wall_time})
    return glass
