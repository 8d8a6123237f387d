"""Noise schedules for generation: the extra noise scale sigma_t at each denoising step.

DM2's protocol (the default, `NoiseSchedule()`): 2,900 steps with sigma_t
decreasing linearly from 1.0 to 0.001 Å, then 100 steps without extra noise.
At a step with scale sigma_t, each atom coordinate gets Gaussian noise whose
standard deviation is drawn uniformly in [sigma_min, sigma_t].
"""
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Optional

import numpy as np

DECAYS = ("linear", "cosine", "geometric")


@dataclass(frozen=True)
class NoiseSchedule:
    steps: int = 3000
    sigma_max: float = 1.0
    sigma_min: float = 0.001
    noiseless_steps: int = 100
    decay: str = "linear"

    def __post_init__(self):
        if self.decay not in DECAYS:
            raise ValueError(f"unknown decay {self.decay!r}; choose one of {', '.join(DECAYS)}")
        if not 0 <= self.noiseless_steps <= self.steps:
            raise ValueError(f"noiseless_steps must lie in [0, steps={self.steps}], got {self.noiseless_steps}")
        if not 0 < self.sigma_min <= self.sigma_max:
            raise ValueError(f"need 0 < sigma_min <= sigma_max, got {self.sigma_min} and {self.sigma_max}")

    @classmethod
    def dm2(cls, steps: int = 3000, noiseless_steps: Optional[int] = None, **overrides) -> "NoiseSchedule":
        """DM2's shape for any length: the last 1/30 of the steps (100 of 3,000) without noise, unless given."""
        return cls(steps=steps, noiseless_steps=round(steps / 30) if noiseless_steps is None else noiseless_steps,
                   **overrides)

    @property
    def noisy_steps(self) -> int:
        return self.steps - self.noiseless_steps

    @cached_property
    def _sigmas(self) -> np.ndarray:
        n, hi, lo = self.noisy_steps, self.sigma_max, self.sigma_min
        if self.decay == "linear":
            noisy = np.linspace(hi, lo, n)
        elif self.decay == "geometric":
            noisy = np.geomspace(hi, lo, n)
        else:
            noisy = lo + (hi - lo) * 0.5 * (1 + np.cos(np.pi * np.linspace(0.0, 1.0, n)))
        return np.concatenate([noisy, np.zeros(self.noiseless_steps)])

    def sigmas(self) -> np.ndarray:
        """sigma_t for every step (zeros in the noiseless tail)."""
        return self._sigmas.copy()

    def sigma(self, step: int) -> float:
        """sigma_t at a step (0-based); 0 past the end of the schedule."""
        return float(self._sigmas[step]) if step < self.steps else 0.0

    def todict(self) -> dict:
        return asdict(self)
