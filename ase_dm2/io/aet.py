"""The experimental metallic-glass nanoparticle of atomic electron tomography (Yang et al., Nature 592, 60 (2021)).

The AET model resolves three groups of elements, not single elements; each
group is given one representative element so that ASE, the analysis suite and
the models can use it: type 1 (Co/Ni) -> Ni, type 2 (Ru/Rh/Pd/Ag) -> Pd,
type 3 (Ir/Pt) -> Pt. The particle is finite: no cell, no periodicity.
"""
from pathlib import Path

import numpy as np
from ase import Atoms

from ase_dm2.conventions import REGION_KEY

TYPE_SYMBOLS = {1: "Ni", 2: "Pd", 3: "Pt"}
AMORPHOUS_SROP = 0.5  # scaled bond-orientational order below this marks an amorphous atom (the authors' criterion)


def _load(folder: Path, name: str, key: str) -> np.ndarray:
    from scipy.io import loadmat

    path = folder / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: give the folder holding the AET .mat files")
    return np.asarray(loadmat(path)[key])


def read_aet_nanoparticle(folder, amorphous_only: bool = False) -> Atoms:
    """The nanoparticle as Atoms (18,356 atoms); `amorphous_only` keeps the 15,518 amorphous ones.

    Per-atom arrays: 'aet_type' (1-3) and, where their files are present, the
    authors' Voronoi indices <n3,n4,n5,n6> as 'aet_voronoi' and their amorphous
    mask (scaled bond-orientational order < 0.5) as 'amorphous'.
    """
    folder = Path(folder)
    positions = _load(folder, "final_atom_coord_inA.mat", "final_atom_coord_inAngstrom").T.astype(float)
    types = _load(folder, "final_atom_types.mat", "final_atom_types").ravel().astype(int)
    atoms = Atoms([TYPE_SYMBOLS[t] for t in types], positions=positions, pbc=False)
    atoms.set_array("aet_type", types)
    voronoi = folder / "voronoi_index_amorphous_region.mat"
    if voronoi.is_file():
        atoms.set_array("aet_voronoi", _load(folder, voronoi.name, "voro_ind_atoms")[:, 2:6].astype(int))
    order = folder / "scaled_boo_amorphous_region.mat"
    if order.is_file():
        atoms.set_array(REGION_KEY, _load(folder, order.name, "scaled_SROP").ravel() < AMORPHOUS_SROP)
    atoms.info["source"] = str(folder)
    if amorphous_only:
        if REGION_KEY not in atoms.arrays:
            raise FileNotFoundError(f"{order} is missing: it marks the amorphous atoms")
        atoms = atoms[atoms.arrays[REGION_KEY]]
    return atoms


def is_aet_folder(path) -> bool:
    """True for a folder holding the AET nanoparticle's .mat files."""
    return (Path(path) / "final_atom_coord_inA.mat").is_file()
