"""Generation: the score calculator, the denoising dynamics and noise schedules."""
from ase_dm2.sampling.calculator import ScoreCalculator
from ase_dm2.sampling.dynamics import DiffusionDynamics
from ase_dm2.sampling.schedule import NoiseSchedule

__all__ = ["DiffusionDynamics", "NoiseSchedule", "ScoreCalculator"]
