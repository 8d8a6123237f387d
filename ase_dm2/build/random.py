"""Random starting structures: atoms uniform in a cell, at a given or rate-predicted density."""
from typing import Optional

import numpy as np
from ase import Atoms

from ase_dm2.build.composition import symbols_for, volume_for
from ase_dm2.conventions import RATE_KEY


def check_species(symbols, model) -> None:
    if model is None:
        return
    unknown = sorted(set(symbols) - set(model.species))
    if unknown:
        raise ValueError(f"the model knows only {', '.join(model.species)}, not {', '.join(unknown)}; "
                         "choose a composition of those elements or another model")


def model_density(model, rate: Optional[float]) -> float:
    """The density a model's density model predicts for a cooling rate."""
    if model is None or model.density_model is None:
        raise ValueError("no density given and no model density to fall back on: give density=... (g/cm^3) or a cell")
    return model.density_model.predict(rate)


def random_structure(composition, n_atoms: Optional[int] = None, formula_units: Optional[int] = None,
                     density: Optional[float] = None, cell=None, aspect=(1.0, 1.0, 1.0),
                     rate: Optional[float] = None, model=None, seed: Optional[int] = None) -> Atoms:
    """Atoms placed uniformly at random (fractional coordinates ~ U(0, 1)) in a periodic cell.

    The cell is `cell` (any ASE cell: 3 lengths, 6 parameters or a 3x3 matrix),
    or an orthorhombic box with edge ratios `aspect` (a cube by default) whose
    volume gives `density` g/cm^3, or, with neither, the density the model
    predicts for `rate` K/ps.
    """
    symbols = symbols_for(composition, n_atoms, formula_units)
    check_species(symbols, model)
    if cell is not None and density is not None:
        raise ValueError("give a cell or a density, not both (the cell fixes the density)")
    atoms = Atoms(symbols, pbc=True)
    if cell is not None:
        atoms.set_cell(cell)
        if not atoms.cell.volume > 1e-6:
            raise ValueError(f"cell {cell} has no volume")
    else:
        if density is None:
            density = model_density(model, rate)
        aspect = np.asarray(aspect, dtype=float)
        if aspect.shape != (3,) or not (aspect > 0).all():
            raise ValueError(f"aspect must be three positive edge ratios, got {aspect.tolist()}")
        scale = (volume_for(symbols, density) / aspect.prod()) ** (1 / 3)
        atoms.set_cell(np.diag(aspect * scale))
    atoms.set_scaled_positions(np.random.default_rng(seed).random((len(atoms), 3)))
    if rate is not None:
        atoms.info[RATE_KEY] = float(rate)
    return atoms
