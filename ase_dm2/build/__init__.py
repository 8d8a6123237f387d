"""Random starting structures for generation: bulk cells of any shape and porous cells."""
from ase_dm2.build.composition import parse_composition
from ase_dm2.build.porous import porous_structure
from ase_dm2.build.random import random_structure

__all__ = ["parse_composition", "porous_structure", "random_structure"]
