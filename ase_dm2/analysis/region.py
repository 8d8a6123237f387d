"""Structures whose figures count only some of their atoms, the rest kept as those atoms' neighbours.

An AET particle marks its amorphous atoms (atoms.arrays[REGION_KEY]); a quarter of them touch a crystalline grain.
Removing the grains would leave vacancies in those atoms' environments (larger Voronoi cells, missing QUESTS
neighbours), so per-atom figures are computed on the whole structure and averaged over the marked atoms, and pair
statistics (g(r), chemical order) over pairs of marked atoms.
"""
from typing import Optional

import numpy as np

from ase_dm2.conventions import REGION_KEY


def region_mask(atoms) -> Optional[np.ndarray]:
    """The marked atoms as a boolean mask, or None where every atom counts (none marked, or all)."""
    if REGION_KEY not in atoms.arrays:
        return None
    mask = np.asarray(atoms.arrays[REGION_KEY], dtype=bool)
    if not mask.any():
        raise ValueError(f"the structure marks no atom in atoms.arrays[{REGION_KEY!r}]: mark the atoms to analyse "
                         "or delete the array to analyse all")
    return None if mask.all() else mask

