"""Noise schedules for generation: the extra noise scale sigma_t at each denoising step.

DM2's protocol (the default, `NoiseSchedule()`): 2,900 steps with sigma_t
decreasing linearly from 1.0 to 0.001 Å, then 100 steps without extra noise.
At a step with scale sigma_t, each atom coordinate gets Gaussian noise whose
standard deviation is drawn uniformly in [sigma_min, sigma_t].

Fewer network calls: the bonding network of a-SiO2 forms while sigma_t falls
from about 0.7 to 0.3 Å (defects of x - eps_theta(x) traced along DM2's
protocol fall from 60 % to 8 % there; above it the structure is random, below
it only relaxes). The "window" decay spends `window_share` of the noisy steps
inside `window` and passes the rest linearly (NoiseSchedule.fast: 300 calls).
"""
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Optional, Tuple

import numpy as np

DECAYS = ("linear", "cosine", "geometric", "window")


@dataclass(frozen=True)
class NoiseSchedule:
    steps: int = 3000
    sigma_max: float = 1.0
    sigma_min: float = 0.001
    noiseless_steps: int = 100
    decay: str = "linear"
    window: Tuple[float, float] = (0.7, 0.3)
    window_share: float = 0.8

    def __post_init__(self):
        object.__setattr__(self, "window", tuple(float(w) for w in self.window))
        if self.steps < 1:
            raise ValueError(f"a schedule needs at least 1 step (DM2's has 3000), got {self.steps}")
        if self.decay not in DECAYS:
            raise ValueError(f"unknown decay {self.decay!r}; choose one of {', '.join(DECAYS)}")
        if self.decay == "window":
            upper, lower = self.window
            if not self.sigma_max >= upper > lower >= self.sigma_min:
                raise ValueError(f"the window (upper, lower) = {self.window} must lie inside "
                                 f"[sigma_max={self.sigma_max}, sigma_min={self.sigma_min}] with upper > lower")
            if not 0 < self.window_share < 1:
                raise ValueError(f"window_share is the fraction of noisy steps in the window, got {self.window_share}")
        if not 0 <= self.noiseless_steps <= self.steps:
            raise ValueError(f"noiseless_steps must lie in [0, steps={self.steps}], got {self.noiseless_steps}")
        if not 0 < self.sigma_min <= self.sigma_max:
            raise ValueError(f"need 0 < sigma_min <= sigma_max, got {self.sigma_min} and {self.sigma_max}")

    @classmethod
    def dm2(cls, steps: int = 3000, noiseless_steps: Optional[int] = None, **overrides) -> "NoiseSchedule":
        """DM2's shape for any length: the last 1/30 of the steps (100 of 3,000) without noise, unless given."""
        return cls(steps=steps, noiseless_steps=round(steps / 30) if noiseless_steps is None else noiseless_steps,
                   **overrides)

    @classmethod
    def fast(cls, steps: int = 300, noiseless_steps: Optional[int] = None, **overrides) -> "NoiseSchedule":
        """Few network calls: 80 % of the noisy steps inside the window 0.7-0.3 Å; the last 1/10 without noise."""
        return cls(steps=steps, noiseless_steps=round(steps / 10) if noiseless_steps is None else noiseless_steps,
                   **{"decay": "window", **overrides})

    @classmethod
    def named(cls, name: str, steps: Optional[int] = None, noiseless_steps: Optional[int] = None) -> "NoiseSchedule":
        """"dm2" (3,000 steps unless given) or "fast" (300): the command line's --schedule."""
        if name not in SCHEDULES:
            raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
        length = {"steps": steps} if steps else {}  # else the named schedule's own default
        return SCHEDULES[name](**length, noiseless_steps=noiseless_steps)

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
        elif self.decay == "cosine":
            noisy = lo + (hi - lo) * 0.5 * (1 + np.cos(np.pi * np.linspace(0.0, 1.0, n)))
        else:
            noisy = self._window_sigmas()
        return np.concatenate([noisy, np.zeros(self.noiseless_steps)])

    def _window_sigmas(self) -> np.ndarray:
        """Linear pieces sigma_max -> upper -> lower -> sigma_min; the outer two share the steps left by length."""
        (upper, lower), n = self.window, self.noisy_steps
        inside = round(self.window_share * n)
        above, below = self.sigma_max - upper, lower - self.sigma_min
        first = round((n - inside) * above / (above + below)) if above + below > 0 else 0
        last = n - inside - first
        return np.concatenate([np.linspace(self.sigma_max, upper, first, endpoint=False),
                               np.linspace(upper, lower, inside, endpoint=last == 0),
                               np.linspace(lower, self.sigma_min, last)])

    def sigmas(self) -> np.ndarray:
        """sigma_t for every step (zeros in the noiseless tail)."""
        return self._sigmas.copy()

    def sigma(self, step: int) -> float:
        """sigma_t at a step (0-based); 0 past the end of the schedule."""
        return float(self._sigmas[step]) if step < self.steps else 0.0

    def describe(self) -> str:
        """In words, for reports: decay, range, window and noiseless tail."""
        text = f"{self.decay} noise schedule from {self.sigma_max:g} to {self.sigma_min:g} Å"
        if self.decay == "window":
            text += f", {self.window_share:.0%} of the noisy steps inside {self.window[0]:g}-{self.window[1]:g} Å"
        return text + f", then {self.noiseless_steps} steps without noise"

    def todict(self) -> dict:
        return asdict(self)


SCHEDULES = {"dm2": NoiseSchedule.dm2, "fast": NoiseSchedule.fast}
