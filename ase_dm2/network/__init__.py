"""The equivariant denoiser network and its building blocks."""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "denoiser": ["Denoiser", "DenoiserConfig"],
})
