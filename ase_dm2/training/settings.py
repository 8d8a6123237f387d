"""The options of a training run, with DM2's defaults; importing them costs no torch (the CLI's help shows them)."""
import math
from dataclasses import dataclass
from typing import Optional

from ase_dm2.conventions import RATE_KEY

SIGMA_DISTRIBUTIONS = ("uniform", "log-uniform", "mixture")
LOSS_WEIGHTS = ("none", "inverse", "edm")


@dataclass
class TrainingSettings:
    """Optimisation settings; defaults are DM2's."""

    steps: int = 20000
    batch_size: int = 16
    learning_rate: float = 2e-4
    weight_decay: float = 0.01
    sigma_min: float = 0.001
    sigma_max: float = 0.75
    validation_fraction: float = 0.1
    validation_interval: int = 200
    validation_sigmas: int = 4
    checkpoint_interval: int = 1000
    seed: int = 0
    device: str = "cpu"
    rate_key: str = RATE_KEY
    final_learning_rate: Optional[float] = None  # cosine decay to this over `steps`; None: constant
    decay_start: int = 0  # step where that decay begins (a cooldown branched off a run at a constant rate)
    ema_decay: float = 0.0  # weight of the old average per step; 0: no averaging
    crop_radius: Optional[float] = None  # Å; finite structures are trained on as spherical crops
    crop_margin: float = 5.0  # Å; loss atoms lie this far inside the crop and the structure
    per_atom_noise: bool = False  # each atom's noise scale ~ U[sigma_min, the structure's sigma]
    sparse_noise: float = 0.0  # share of structures whose noise falls on a random fraction of their atoms only
    sigma_distribution: str = "uniform"  # of each structure's sigma: one of SIGMA_DISTRIBUTIONS
    loss_weight: str = "none"  # of each structure's squared error, by its sigma: one of LOSS_WEIGHTS
    loss_weight_sigma: float = 0.05  # Å; the scale sigma_w of the loss weight
    cuequivariance: bool = False  # edge convolutions through cuEquivariance (its CUDA kernels; same model file)
    compile: bool = False  # edge convolutions through torch.compile (compile_convolutions; same model file)

    def __post_init__(self):
        if self.sigma_distribution not in SIGMA_DISTRIBUTIONS:
            raise ValueError(f"unknown sigma distribution {self.sigma_distribution!r}; "
                             f"choose one of {', '.join(SIGMA_DISTRIBUTIONS)}")
        if self.loss_weight not in LOSS_WEIGHTS:
            raise ValueError(f"unknown loss weight {self.loss_weight!r}; choose one of {', '.join(LOSS_WEIGHTS)}")
        for name in ("steps", "batch_size", "validation_interval", "checkpoint_interval"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', ' ')} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.decay_start < self.steps:
            raise ValueError(f"the decay must start in [0, steps), got step {self.decay_start} of {self.steps}")
        if not self.learning_rate > 0:
            raise ValueError(f"the learning rate must be positive, got {self.learning_rate}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"the EMA decay must be in [0, 1), got {self.ema_decay}")
        if not 0 < self.sigma_min < self.sigma_max:
            raise ValueError(f"need 0 < sigma_min < sigma_max, got {self.sigma_min} and {self.sigma_max}")
        if not 0 <= self.sparse_noise <= 1:
            raise ValueError(f"sparse_noise is a share of the structures, in [0, 1]; got {self.sparse_noise}")
        if not self.loss_weight_sigma > 0:
            raise ValueError(f"the loss weight's scale sigma_w must be positive (Å), got {self.loss_weight_sigma}")

    def learning_rate_at(self, step: int) -> float:
        """Learning rate of optimiser step `step` (0-based)."""
        if self.final_learning_rate is None:
            return self.learning_rate
        progress = min(max(step - self.decay_start, 0) / (self.steps - self.decay_start), 1.0)
        span = self.learning_rate - self.final_learning_rate
        return self.final_learning_rate + 0.5 * span * (1 + math.cos(math.pi * progress))
