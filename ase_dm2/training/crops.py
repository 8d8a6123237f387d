"""Training on spherical crops of a large finite structure (an experimental nanoparticle).

A crop keeps every atom within `radius` of a centre atom, so inner atoms see
their full environment; the loss counts only atoms within `radius - margin`
of the centre that also lie deeper than `margin` inside the particle (no
surface environments) and, where the structure marks them, are amorphous
(atoms.arrays["amorphous"]). A model trained this way learns bulk
environments and can generate periodic bulk.
"""
import numpy as np
from scipy.spatial import ConvexHull

from ase_dm2.conventions import REGION_KEY
from ase_dm2.density import G_PER_CM3


def surface_depth(positions: np.ndarray) -> np.ndarray:
    """Distance (Å) of each point inside the convex hull of all points to the hull's surface."""
    hull = ConvexHull(positions)
    normals, offsets = hull.equations[:, :3], hull.equations[:, 3]  # n . x + d <= 0 inside
    return np.maximum(-(positions @ normals.T + offsets).max(axis=1), 0.0)


def crop_centres(atoms, margin: float) -> np.ndarray:
    """Indices of atoms whose environments count in the loss: deep enough inside, amorphous if marked."""
    eligible = surface_depth(atoms.positions) > margin
    if REGION_KEY in atoms.arrays:
        eligible &= atoms.arrays[REGION_KEY].astype(bool)
    centres = np.flatnonzero(eligible)
    if centres.size == 0:
        raise ValueError(f"no atom lies {margin} Å inside the structure; it is too small to crop")
    return centres


def spherical_crop(atoms, centre: int, radius: float, margin: float, counted: np.ndarray):
    """(crop, mask): atoms within `radius` of atom `centre`; mask marks counted atoms within radius - margin."""
    distance = np.linalg.norm(atoms.positions - atoms.positions[centre], axis=1)
    keep = distance < radius
    crop = atoms[keep]
    crop.info = dict(atoms.info)
    mask = (distance[keep] < radius - margin) & counted[keep]
    return crop, mask


def interior_density(atoms, margin: float) -> float:
    """Mass density (g/cm3) inside the largest sphere about the centroid lying `margin` Å within the surface."""
    centroid = atoms.positions.mean(axis=0)
    radius = surface_depth(np.vstack([atoms.positions, centroid]))[-1] - margin
    if radius <= 0:
        raise ValueError("the structure is too small to measure an interior density")
    inside = np.linalg.norm(atoms.positions - centroid, axis=1) < radius
    return float(atoms.get_masses()[inside].sum() / (4 / 3 * np.pi * radius**3) * G_PER_CM3)
