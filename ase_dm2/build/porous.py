"""Porous starting structures: atoms uniform in a hexagonal cell outside a cylindrical pore (DM2)."""
from typing import Optional

import numpy as np
from ase import Atoms

from ase_dm2.build.composition import symbols_for, volume_for
from ase_dm2.build.random import check_species, model_density
from ase_dm2.conventions import RATE_KEY

MIN_WALL = 2.0  # Å of wall between periodic images of the pore


def hexagonal_cell(a: float, c: float) -> np.ndarray:
    return np.array([[a, 0, 0], [-a / 2, a * np.sqrt(3) / 2, 0], [0, 0, c]])


def distance_to_axis(positions, cell, axis_xy) -> np.ndarray:
    """In-plane distance of each position to the nearest periodic image of a line along z."""
    delta = positions[:, :2] - axis_xy
    images = np.array([i * cell[0, :2] + j * cell[1, :2] for i in (-1, 0, 1) for j in (-1, 0, 1)])
    return np.linalg.norm(delta[:, None, :] + images[None], axis=2).min(axis=1)


def porous_structure(composition, pore_radius: float, n_atoms: Optional[int] = None,
                     formula_units: Optional[int] = None, density: Optional[float] = None,
                     c_over_a: float = 1.0, rate: Optional[float] = None, model=None,
                     seed: Optional[int] = None) -> Atoms:
    """Hexagonal cell (gamma = 120 deg, c = c_over_a * a) with a cylindrical pore along c.

    The atoms fill the wall (the cell outside the pore) uniformly at `density`
    g/cm^3 (default: the model's density for `rate`). The pore axis passes
    through the cell centre; info holds pore_radius and pore_axis.
    """
    if not pore_radius > 0:
        raise ValueError(f"pore radius must be positive (Å), got {pore_radius}")
    symbols = symbols_for(composition, n_atoms, formula_units)
    check_species(symbols, model)
    if density is None:
        density = model_density(model, rate)
    wall_volume = volume_for(symbols, density)
    # hexagonal cell volume sqrt(3)/2 a^2 c minus pore pi r^2 c equals the wall volume, with c = k a
    k = c_over_a
    roots = np.roots([np.sqrt(3) / 2 * k, 0.0, -np.pi * pore_radius**2 * k, -wall_volume])
    a = max(r.real for r in roots if abs(r.imag) < 1e-9 and r.real > 0)
    if 2 * pore_radius + MIN_WALL > a:
        raise ValueError(
            f"a pore of radius {pore_radius} Å does not fit a cell of {a:.1f} Å with {len(symbols)} atoms "
            f"(the pore must be at least {MIN_WALL} Å narrower than the cell): use more atoms or a smaller pore"
        )
    cell = hexagonal_cell(a, k * a)
    axis = (cell[0, :2] + cell[1, :2]) / 2
    rng = np.random.default_rng(seed)
    positions = np.empty((0, 3))
    while len(positions) < len(symbols):
        trial = rng.random((2 * len(symbols), 3)) @ cell
        positions = np.vstack([positions, trial[distance_to_axis(trial, cell, axis) > pore_radius]])
    atoms = Atoms(symbols, positions=positions[: len(symbols)], cell=cell, pbc=True)
    atoms.info.update(pore_radius=float(pore_radius), pore_axis=[float(axis[0]), float(axis[1])])
    if rate is not None:
        atoms.info[RATE_KEY] = float(rate)
    return atoms
