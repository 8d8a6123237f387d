"""Compositions and atom counts: 'SiO2' or {'Si': 1, 'O': 2} with a number of atoms or formula units."""
from ase.data import atomic_masses, atomic_numbers
from ase.formula import Formula

from ase_dm2.density import G_PER_CM3

MAX_DENSITY = 30.0  # g/cm^3; the densest element (osmium) is 22.6


def parse_composition(composition) -> dict:
    """{'Si': 1, 'O': 2} from a formula string or a dict, reduced to the smallest formula unit."""
    if isinstance(composition, str):
        try:
            counts = Formula(composition).count()
        except ValueError as error:
            raise ValueError(f"cannot read the formula {composition!r} (write e.g. 'SiO2' or 'Cu50Zr50')") from error
    else:
        counts = dict(composition)
    unknown = [s for s in counts if s not in atomic_numbers]
    if unknown or not counts:
        raise ValueError(f"composition {composition!r} names unknown elements {unknown}")
    if any(int(n) != n or n <= 0 for n in counts.values()):
        raise ValueError(f"composition {composition!r} needs positive whole numbers of atoms")
    reduced, _ = Formula.from_dict({s: int(n) for s, n in counts.items()}).reduce()
    return reduced.count()


def symbols_for(composition, n_atoms=None, formula_units=None) -> list:
    """Chemical symbols for `n_atoms` atoms or `formula_units` formula units of a composition."""
    unit = parse_composition(composition)
    size = sum(unit.values())
    if (n_atoms is None) == (formula_units is None):
        raise ValueError("give either a number of atoms or a number of formula units")
    if n_atoms is not None:
        if n_atoms < size:
            raise ValueError(f"need at least one {Formula.from_dict(unit)} unit ({size} atoms), got {n_atoms} atoms")
        if n_atoms % size:
            raise ValueError(f"{n_atoms} atoms is not a whole number of {Formula.from_dict(unit)} units "
                             f"({size} atoms each); use a multiple of {size}")
        formula_units = n_atoms // size
    if formula_units <= 0:
        raise ValueError(f"need at least one formula unit, got {formula_units}")
    return [s for s, n in unit.items() for _ in range(n * formula_units)]


def volume_for(symbols, density: float) -> float:
    """Volume (Å^3) of the given atoms at a density in g/cm^3."""
    if not 0 < density < MAX_DENSITY:
        raise ValueError(f"density {density} g/cm^3 is impossible; give a value between 0 and {MAX_DENSITY}")
    mass = sum(atomic_masses[atomic_numbers[s]] for s in symbols)
    return mass * G_PER_CM3 / density
