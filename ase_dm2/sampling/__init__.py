"""Generation: the score calculator, the denoising dynamics and engine, samplers and noise schedules."""
from ase_dm2.sampling.calculator import ScoreCalculator
from ase_dm2.sampling.dynamics import DiffusionDynamics
from ase_dm2.sampling.generate import generate
from ase_dm2.sampling.samplers import DM2Sampler, EDMSampler, PCSampler, make_sampler
from ase_dm2.sampling.schedule import NoiseSchedule

__all__ = ["DM2Sampler", "DiffusionDynamics", "EDMSampler", "NoiseSchedule", "PCSampler", "ScoreCalculator",
           "generate", "make_sampler"]
