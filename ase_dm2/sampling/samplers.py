"""Samplers: how a denoising engine walks from random positions to glass, one small object each.

A sampler has `steps` (its own steps; the denoising dynamics counts these),
`calls` (network calls in all) and `step(engine, k)`, which moves the engine's
positions by sampler step k using `engine.displacement(sigma)` (the network's
eps at noise level sigma; sigma-blind networks ignore sigma), `engine.noise()`
(standard normal, each structure from its own generator) and `engine.wrap()`.
Every sampler injects noise on the way down: DM2 (Fig. 2f) found that without it
generated structures keep outlier environments.

- "dm2": DM2's step, x <- x - eps(x) - xi, xi per coordinate with a standard
  deviation drawn in [sigma_min, sigma_t] (NoiseSchedule). Works for every model;
  the default for sigma-blind ones.
- "edm": Karras et al. (2022) stochastic sampler: noise levels on their rho = 7
  grid, at each level "churn" (extra noise raising sigma to (1 + churn) sigma),
  then a Heun step (two calls) of dx/dsigma = eps(x, sigma) / sigma; the last
  step, to sigma = 0, is one Euler step. Needs a noise-conditioned model.
- "pc": predictor-corrector (Song et al. 2021): at each level an ancestral step
  of the variance-exploding reverse diffusion, then a Langevin corrector step at
  the new level with the step size set by a signal-to-noise ratio `snr`; the last
  step is one denoising call. Needs a noise-conditioned model.
"""
import math
from typing import Optional

import numpy as np
import torch

from ase_dm2.sampling.schedule import NoiseSchedule


def karras_sigmas(levels: int, sigma_max: float, sigma_min: float, rho: float = 7.0) -> np.ndarray:
    """Karras et al. (2022)'s noise levels: `levels` values from sigma_max to sigma_min, denser at the low end."""
    ramp = np.linspace(0.0, 1.0, levels)
    return (sigma_max ** (1 / rho) + ramp * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho


class DM2Sampler:
    """DM2's update along a NoiseSchedule: one call a step.

    A noise-conditioned model is told a noise level at each step. The step before injected noise whose scale is
    uniform in [sigma_min, sigma_t] for each coordinate, of mean variance v = (sigma_t² + sigma_t sigma_min +
    sigma_min²) / 3. Removing the predicted noise whole and injecting fresh noise is a Langevin step whose step
    size is the told variance: it samples the glass at its own temperature only when the told variance is half
    the injected one (`told="matched"`, the default); told the injected variance (`"rms"`) it samples at half the
    temperature, told sigma_t (`"top"`, this sampler before 2026-12-04) at about a sixth (runs of an exact
    denoiser of Gaussian modes: variance 0.8-1.0, 0.38-0.50 and 0.13-0.17 of the data's; benchmarks/RESULTS.md). A
    model trained on that mixture of scales (`mixture`, --per-atom-noise) is told the level whose mixture has the
    wanted variance. sigma_max at the start; never below sigma_min. make_sampler reads `mixture` off the model.
    """

    name = "dm2"
    min_calls = 1
    TOLD = {"matched": 0.5, "rms": 1.0, "top": None}  # the told share of the injected noise's variance

    def __init__(self, schedule: Optional[NoiseSchedule] = None, told: str = "matched", mixture: bool = False):
        if told not in self.TOLD:
            raise ValueError(f"told must be one of {', '.join(self.TOLD)}, got {told!r}")
        self.schedule, self.told, self.mixture = schedule or NoiseSchedule(), told, mixture
        self.steps = self.calls = self.schedule.steps

    def sigma(self, k: int) -> float:
        """The extra noise scale sigma_t of step k (0 in the noiseless tail)."""
        return self.schedule.sigma(k)

    def told_sigma(self, k: int) -> float:
        """The noise level a noise-conditioned model is told at step k."""
        s = self.schedule
        if k == 0:
            return s.sigma_max
        top, low = s.sigma(k - 1), s.sigma_min
        if top <= low or self.told == "top":
            return max(top, low)
        variance = self.TOLD[self.told] * (top**2 + top * low + low**2) / 3
        told = (math.sqrt(12 * variance - 3 * low**2) - low) / 2 if self.mixture else math.sqrt(variance)
        return max(told, low)

    def step(self, engine, k: int) -> torch.Tensor:
        s = self.schedule
        eps = engine.displacement(self.told_sigma(k))
        self.move(engine, eps)
        sigma = s.sigma(k)
        if sigma > 0:
            scale = engine.uniform(s.sigma_min, sigma)
            self.move(engine, scale * engine.noise())
        engine.wrap()
        return eps

    def move(self, engine, displacement: torch.Tensor) -> None:
        """Take `displacement` off the positions: every atom moves (MaskedDM2Sampler moves some)."""
        engine.positions -= displacement

    def describe(self) -> str:
        return f"DM2's step, {self.schedule.describe()}"

    def todict(self) -> dict:
        return {"sampler": self.name, "calls": self.calls, "told": self.told, "mixture": self.mixture,
                "schedule": self.schedule.todict()}


class _LevelSampler:
    """Shared by the samplers that walk a grid of noise levels of a noise-conditioned model."""

    min_calls = 3
    calls_per_level = 2  # all levels but the last, which takes one call

    def __init__(self, calls: int, sigma_max: float = 1.0, sigma_min: float = 0.002, rho: float = 7.0):
        if calls < self.min_calls:
            raise ValueError(f"the {self.name} sampler needs at least {self.min_calls} network calls, got {calls}")
        if not 0 < sigma_min < sigma_max:
            raise ValueError(f"need 0 < sigma_min < sigma_max, got {sigma_min} and {sigma_max}")
        levels = (calls - 1) // self.calls_per_level + 1
        self.levels = np.append(karras_sigmas(levels, sigma_max, sigma_min, rho), 0.0)
        self.steps = levels
        self.calls = self.calls_per_level * (levels - 1) + 1
        self.sigma_max, self.sigma_min, self.rho = sigma_max, sigma_min, rho

    def sigma(self, k: int) -> float:
        """The noise level the positions have before step k."""
        return float(self.levels[k])

    def _last(self, engine, sigma: float) -> torch.Tensor:
        eps = engine.displacement(sigma)
        engine.positions -= eps
        engine.wrap()
        return eps

    def describe(self) -> str:
        options = ", ".join(f"{k} {v:g}" for k, v in self._options().items())
        return (f"{self.name} sampler, {self.steps} noise levels from {self.sigma_max:g} to {self.sigma_min:g} Å "
                f"(rho {self.rho:g}), {options}")

    def todict(self) -> dict:
        return {"sampler": self.name, "calls": self.calls, "sigma_max": self.sigma_max,
                "sigma_min": self.sigma_min, "rho": self.rho, **self._options()}


class EDMSampler(_LevelSampler):
    """Heun steps with noise churn; `calls` network calls at most (odd numbers are used in full)."""

    name = "edm"

    def __init__(self, calls: int, sigma_max: float = 1.0, sigma_min: float = 0.002, rho: float = 7.0,
                 churn: float = 0.4, noise_factor: float = 1.0):
        super().__init__(calls, sigma_max, sigma_min, rho)
        if not 0 <= churn <= math.sqrt(2) - 1:
            raise ValueError(f"churn must lie in [0, sqrt(2) - 1] (at most doubling the noise variance), got {churn}")
        self.churn, self.noise_factor = churn, noise_factor

    def _options(self) -> dict:
        return {"churn": self.churn, "noise_factor": self.noise_factor}

    def step(self, engine, k: int) -> torch.Tensor:
        sigma, following = self.levels[k], self.levels[k + 1]
        raised = sigma * (1 + self.churn)
        engine.positions += math.sqrt(raised**2 - sigma**2) * self.noise_factor * engine.noise()
        if following == 0:
            return self._last(engine, raised)
        start = engine.positions.clone()
        slope = engine.displacement(raised) / raised
        engine.positions += (following - raised) * slope  # Euler to sigma', then Heun's correction
        second = engine.displacement(following) / following
        engine.positions.copy_(start + (following - raised) * 0.5 * (slope + second))
        engine.wrap()
        return slope * raised


class PCSampler(_LevelSampler):
    """Ancestral predictor plus one Langevin corrector step per level; `calls` network calls at most."""

    name = "pc"

    def __init__(self, calls: int, sigma_max: float = 1.0, sigma_min: float = 0.002, rho: float = 7.0,
                 snr: float = 0.16):
        super().__init__(calls, sigma_max, sigma_min, rho)
        if not snr > 0:
            raise ValueError(f"the corrector's signal-to-noise ratio must be positive, got {snr}")
        self.snr = snr

    def _options(self) -> dict:
        return {"snr": self.snr}

    def step(self, engine, k: int) -> torch.Tensor:
        sigma, following = self.levels[k], self.levels[k + 1]
        if following == 0:
            return self._last(engine, sigma)
        keep = (following / sigma) ** 2  # predictor: x - (1 - keep) eps + sigma' sqrt(1 - keep) z
        eps = engine.displacement(sigma)
        engine.positions += -(1 - keep) * eps + following * math.sqrt(1 - keep) * engine.noise()
        engine.wrap()
        # corrector at sigma': score = -eps / sigma'^2, step 2 (snr |z| / |score|)^2 per structure
        correction = engine.displacement(following)
        noise = engine.noise()
        for part in engine.parts:
            z, e = noise[part], correction[part]
            size = 2 * (self.snr * following**2 * z.norm() / e.norm().clamp_min(1e-12)) ** 2
            engine.positions[part] += -size / following**2 * e + torch.sqrt(2 * size) * z
        engine.wrap()
        return eps


SAMPLERS = {"dm2": DM2Sampler, "edm": EDMSampler, "pc": PCSampler}
NOISE_CONDITIONED = ("edm", "pc")
DEFAULT_CALLS = {"dm2": 3000, "edm": 300, "pc": 300}  # DM2's protocol; the noise-conditioned samplers' default
DEFAULT_SAMPLER = "dm2"  # for every model: on noise-conditioned ones too, edm and pc made worse glass (RESULTS.md)


def check_fits(name: str, model) -> None:
    """Refuses a sampler the model cannot run: an unknown name, or a sigma-based sampler for a sigma-blind model."""
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}")
    if name in NOISE_CONDITIONED and not model.noise_conditional:
        raise ValueError(f"the {name} sampler needs a model told the noise level (trained with "
                         f"--noise-conditional); this model is sigma-blind: use the dm2 sampler")


def make_sampler(name, model, calls: Optional[int] = None, schedule: Optional[NoiseSchedule] = None):
    """The sampler `name` (default DEFAULT_SAMPLER, DM2's step) with `calls` network calls (default
    DEFAULT_CALLS); "dm2" follows `schedule` (default: DM2's shape for that many calls). Refuses what the model
    cannot run.

    `name` may also be a sampler object (checked against the model and returned), or a NoiseSchedule (DM2's
    sampler along it).
    """
    if isinstance(name, NoiseSchedule):
        name, schedule = "dm2", name
    elif hasattr(name, "step"):
        check_fits(name.name, model)
        return name
    name = name or DEFAULT_SAMPLER
    check_fits(name, model)
    if calls is None:
        calls = schedule.steps if schedule is not None else DEFAULT_CALLS[name]
    if calls < 1:
        raise ValueError(f"the number of network calls must be at least 1, got {calls}")
    if schedule is not None and name != "dm2":
        raise ValueError(f"a NoiseSchedule shapes the dm2 sampler, not {name}; leave out the schedule")
    if name == "dm2":
        if schedule is not None and schedule.steps != calls:
            raise ValueError(f"the schedule has {schedule.steps} steps but {calls} calls were asked for")
        mixture = bool(model.provenance.get("settings", {}).get("per_atom_noise"))
        return DM2Sampler(schedule or NoiseSchedule.dm2(calls), mixture=mixture)
    return SAMPLERS[name](calls)
