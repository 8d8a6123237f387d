"""Training denoisers from ASE structures."""
from ase_dm2.training.trainer import Trainer, TrainingSettings, split_validation

__all__ = ["Trainer", "TrainingSettings", "split_validation"]
