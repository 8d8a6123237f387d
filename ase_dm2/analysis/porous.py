"""Cylindrical pores along the c axis: pore radius and non-bridging oxygens per wall area."""
import numpy as np

from ase_dm2.analysis.coordination import SI_O_CUTOFF, coordination_numbers
from ase_dm2.build.porous import distance_to_axis


def find_pore_axis(atoms, grid: int = 48) -> np.ndarray:
    """In-plane (x, y) of the emptiest line along c: atoms.info['pore_axis'] if given, else searched."""
    if "pore_axis" in atoms.info:
        return np.asarray(atoms.info["pore_axis"], dtype=float)
    fractional = atoms.get_scaled_positions()[:, :2]
    candidates = (np.stack(np.meshgrid(np.arange(grid), np.arange(grid)), -1).reshape(-1, 2) + 0.5) / grid
    points = np.column_stack([candidates, np.zeros(len(candidates))]) @ atoms.cell.array
    positions = np.column_stack([fractional, np.zeros(len(atoms))]) @ atoms.cell.array
    clearance = [distance_to_axis(positions, atoms.cell.array, p[:2]).min() for p in points]
    return points[int(np.argmax(clearance)), :2]


def radial_density(atoms, axis_xy, r_max=None, bins: int = 60):
    """(r, number density of atoms in Å^-3) in cylindrical shells about the pore axis."""
    distances = distance_to_axis(atoms.positions, atoms.cell.array, axis_xy)
    r_max = r_max or 0.5 * min(np.linalg.norm(atoms.cell[0, :2]), np.linalg.norm(atoms.cell[1, :2]))
    edges = np.linspace(0.0, r_max, bins + 1)
    counts = np.histogram(distances, edges)[0]
    volumes = np.pi * (edges[1:] ** 2 - edges[:-1] ** 2) * atoms.cell[2, 2]
    return 0.5 * (edges[1:] + edges[:-1]), counts / volumes


def pore_radius(atoms, axis_xy=None) -> float:
    """Radius where the Si+O density about the axis first reaches half its wall value."""
    axis_xy = find_pore_axis(atoms) if axis_xy is None else axis_xy
    walls = atoms[[s in ("Si", "O") for s in atoms.get_chemical_symbols()]]
    r, density = radial_density(walls, axis_xy)
    wall = np.median(density[len(r) // 2:])
    return float(r[np.argmax(density >= 0.5 * wall)])


def nbo_surface_density(atoms, cutoff: float = SI_O_CUTOFF) -> dict:
    """Non-bridging oxygens (one Si within `cutoff`) per nm^2 of pore wall (2 pi R c)."""
    axis_xy = find_pore_axis(atoms)
    radius = pore_radius(atoms, axis_xy)
    nbo = int(np.sum(coordination_numbers(atoms, "O", "Si", cutoff) == 1))
    area_nm2 = 2 * np.pi * radius * atoms.cell[2, 2] / 100.0
    return {"pore_radius": radius, "nbo": nbo, "nbo_per_nm2": nbo / area_nm2}
