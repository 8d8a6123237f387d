"""Random starting structures for generation: bulk cells of any shape and porous cells."""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "composition": ["parse_composition"],
    "porous": ["porous_structure"],
    "random": ["random_structure"],
})
