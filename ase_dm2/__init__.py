"""ase_dm2: amorphous structures from an E(3)-equivariant diffusion model, inside ASE."""
from ase_dm2.density import DensityModel
from ase_dm2.modelfile import ModelFileError, load_model
from ase_dm2.network import Denoiser, DenoiserConfig
from ase_dm2.build import porous_structure, random_structure
from ase_dm2.io.structures import read_structures
from ase_dm2.sampling import DiffusionDynamics, NoiseSchedule, ScoreCalculator, generate, make_sampler
from ase_dm2.training import Trainer, TrainingSettings
from ase_dm2.runtime import configure_runtime, set_num_threads

__version__ = "0.2.0"

__all__ = [
    "Denoiser", "DenoiserConfig", "DensityModel", "DiffusionDynamics", "ModelFileError", "NoiseSchedule",
    "ScoreCalculator", "Trainer", "TrainingSettings", "configure_runtime", "generate", "load_model", "make_sampler",
    "porous_structure", "random_structure", "read_structures", "set_num_threads",
]
