"""At what temperature DM2's sampler samples, for each rule of telling a noise-conditioned model its noise level.

The glass is stood in for by independent Gaussian modes of variance a² (a thermal vibration of a Å), and the
model by their exact denoiser, eps(x, sigma) = sigma² / (a² + sigma²) x (Tweedie). The table gives the variance
of the sampled modes over a²: 1 is the data's own temperature, 0.5 half of it. DM2's step removes the predicted
noise whole and injects fresh noise: a Langevin step of size told sigma², which needs noise of twice that
variance, so only the rule that tells half the injected variance ("matched") keeps the temperature.
Usage: python benchmarks/sampler_temperature.py [--modes 30000]
"""
import argparse

import torch

from _util import print_table
from ase_dm2.sampling import NoiseSchedule
from ase_dm2.sampling.samplers import DM2Sampler


class GaussianModes:
    """A stand-in denoising engine: `n` x 3 independent Gaussian modes of variance a², denoised exactly."""

    def __init__(self, a: float, n: int = 20000, seed: int = 0):
        self.a, self.generator = a, torch.Generator().manual_seed(seed)
        self.positions = torch.empty((n, 3), dtype=torch.float64).uniform_(-3, 3, generator=self.generator)

    def displacement(self, sigma: float) -> torch.Tensor:
        return sigma**2 / (self.a**2 + sigma**2) * self.positions

    def uniform(self, low: float, high: float) -> torch.Tensor:
        return torch.empty_like(self.positions).uniform_(low, high, generator=self.generator)

    def noise(self) -> torch.Tensor:
        return torch.randn(self.positions.shape, dtype=torch.float64, generator=self.generator)

    def wrap(self):
        pass


def sampled_variance(schedule: NoiseSchedule, told: str, a: float, n: int) -> float:
    """Variance of the modes after DM2's sampler along `schedule`, over a²."""
    modes, sampler = GaussianModes(a, n), DM2Sampler(schedule, told=told)
    for k in range(sampler.steps):
        sampler.step(modes, k)
    return float(modes.positions.var()) / a**2


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", type=int, default=30000)
    args = parser.parse_args()
    rows = []
    schedules = [("dm2, 1,000 calls", NoiseSchedule.dm2(1000)), ("fast, 300 calls", NoiseSchedule.fast(300))]
    for label, schedule in schedules:
        for a in (0.03, 0.1, 0.3):
            rows.append([label, f"{a:g}"] + [f"{sampled_variance(schedule, told, a, args.modes // 3):.3f}"
                                             for told in DM2Sampler.TOLD])
    print_table(["schedule", "a (Å)"] + [f'told "{told}"' for told in DM2Sampler.TOLD], rows)


if __name__ == "__main__":
    main()
