"""The equivariant denoiser network and its building blocks."""
from ase_dm2.network.denoiser import Denoiser, DenoiserConfig

__all__ = ["Denoiser", "DenoiserConfig"]
