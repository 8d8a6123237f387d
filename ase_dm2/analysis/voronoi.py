"""Voronoi analysis with OVITO: radical tessellation, indices <n3,n4,n5,n6>, volumes, face fractions.

Faces smaller than `relative_face_threshold` of their polyhedron's surface are
ignored (1 % by default). For finite particles the tessellation is clipped by
a padded box, and surface atoms (OVITO's alpha-shape surface) are excluded.
"""
from collections import Counter

import numpy as np
from ase import Atoms

DEFAULT_RADII = {"Cu": 1.35, "Zr": 1.55}


def _pipeline(atoms, radii, relative_face_threshold, exclude_surface, probe_radius):
    try:
        import ovito  # noqa: F401
    except ImportError as error:
        raise ImportError("Voronoi analysis needs OVITO's Python module: pip install 'ase_dm2[voronoi]'") from error
    from ovito.io.ase import ase_to_ovito
    from ovito.modifiers import ConstructSurfaceModifier, VoronoiAnalysisModifier
    from ovito.pipeline import Pipeline, StaticSource

    if not (atoms.pbc.all() or not atoms.pbc.any()):
        raise ValueError("Voronoi analysis needs a fully periodic cell or a finite particle")
    finite = not atoms.pbc.any()
    # only what the tessellation needs: OVITO refuses some per-atom arrays (booleans such as a region mask)
    atoms = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    if finite:
        atoms.center(vacuum=10.0)
    data = ase_to_ovito(atoms)
    symbols = atoms.get_chemical_symbols()
    use_radii = radii is not None
    if use_radii:
        missing = sorted(set(symbols) - set(radii))
        if missing:
            raise ValueError(f"no Voronoi radius for {', '.join(missing)}: give radii={{...}} for every element")
        data.particles_.create_property("Radius", data=[radii[s] for s in symbols])
    pipeline = Pipeline(source=StaticSource(data=data))
    if finite and exclude_surface:
        pipeline.modifiers.append(ConstructSurfaceModifier(radius=probe_radius, select_surface_particles=True))
    pipeline.modifiers.append(VoronoiAnalysisModifier(compute_indices=True, use_radii=use_radii,
                                                      relative_face_threshold=relative_face_threshold))
    return pipeline.compute(), finite and exclude_surface


def voronoi_analysis(atoms, radii=None, relative_face_threshold: float = 0.01, exclude_surface: bool = True,
                     probe_radius: float = 3.5) -> dict:
    """Per-atom Voronoi indices (N, 4) as <n3,n4,n5,n6>, atomic volumes (Å^3), and the mask of atoms kept.

    `radii`: per-element radii for the radical (weighted) tessellation, e.g.
    {"Cu": 1.35, "Zr": 1.55}; None gives the plain Voronoi tessellation.
    """
    data, drop_surface = _pipeline(atoms, radii, relative_face_threshold, exclude_surface, probe_radius)
    columns = np.asarray(data.particles["Voronoi Index"][...])  # column k: faces with k + 1 edges
    indices = np.zeros((len(atoms), 4), dtype=int)
    width = min(columns.shape[1], 6) - 2
    if width > 0:
        indices[:, :width] = columns[:, 2:2 + width]
    kept = np.ones(len(atoms), dtype=bool)
    if drop_surface:
        kept = np.asarray(data.particles["Selection"][...]) == 0
    return {
        "indices": indices,
        "volumes": np.asarray(data.particles["Atomic Volume"][...], dtype=float),
        "kept": kept,
        "symbols": np.array(atoms.get_chemical_symbols()),
    }


def motif_fractions(indices: np.ndarray, top: int = 10) -> dict:
    """{'<n3,n4,n5,n6>': fraction} of the `top` most common Voronoi indices."""
    counts = Counter(map(tuple, indices))
    total = sum(counts.values())
    return {"<{},{},{},{}>".format(*key): n / total for key, n in counts.most_common(top)}


def face_fractions(indices: np.ndarray) -> dict:
    """Fractions of 3-, 4-, 5- and 6-edged faces among all faces counted."""
    faces = indices.sum(axis=0).astype(float)
    return {f"n{k}": float(v) for k, v in zip((3, 4, 5, 6), faces / faces.sum())}
