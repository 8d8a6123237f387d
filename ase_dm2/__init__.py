"""ase_dm2: amorphous structures from an E(3)-equivariant diffusion model, inside ASE.

Names are imported on first use (lazy_loader), so `ase-dm2 --help` answers without loading torch.
"""
import lazy_loader

__version__ = "0.3.0"

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "density": ["DensityModel"],
    "modelfile": ["ModelFileError", "load_model"],
    "network": ["Denoiser", "DenoiserConfig"],
    "build": ["porous_structure", "random_structure"],
    "io.structures": ["read_structures"],
    "sampling": ["DiffusionDynamics", "NoiseSchedule", "ScoreCalculator", "generate", "make_sampler"],
    "training": ["Trainer", "TrainingSettings"],
    "runtime": ["configure_runtime", "set_num_threads"],
})
