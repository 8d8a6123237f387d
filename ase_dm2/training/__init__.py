"""Training denoisers from ASE structures."""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "settings": ["TrainingSettings"],
    "trainer": ["Trainer", "split_validation"],
})
