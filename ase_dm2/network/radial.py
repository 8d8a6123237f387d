"""Radial edge features: a Bessel basis times a smooth polynomial cutoff envelope.

The envelope (NequIP's p = 6 polynomial) takes the basis and its first
derivatives continuously to zero at the cutoff, so an atom crossing the cutoff
sphere changes the network output smoothly (DM2's basis jumps there).
"""
import math

import torch


class BesselBasis(torch.nn.Module):
    """sqrt(2/c) sin(n pi r / c) / r for n = 1..num_basis."""

    def __init__(self, cutoff: float, num_basis: int = 16):
        super().__init__()
        self.cutoff = float(cutoff)
        frequencies = math.pi / self.cutoff * torch.arange(1, num_basis + 1, dtype=torch.float32)
        self.register_buffer("frequencies", frequencies, persistent=False)  # rebuilt from the cutoff

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        r = r.unsqueeze(-1)
        return math.sqrt(2.0 / self.cutoff) * torch.sin(self.frequencies * r) / r


class PolynomialEnvelope(torch.nn.Module):
    """1 - (p+1)(p+2)/2 x^p + p(p+2) x^(p+1) - p(p+1)/2 x^(p+2) for x = r/c < 1, else 0."""

    def __init__(self, cutoff: float, p: int = 6):
        super().__init__()
        self.cutoff = float(cutoff)
        self.p = int(p)

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        p, x = self.p, r / self.cutoff
        value = 1.0 - (p + 1) * (p + 2) / 2 * x**p + p * (p + 2) * x ** (p + 1) - p * (p + 1) / 2 * x ** (p + 2)
        return value * (x < 1.0)


class RadialBasis(torch.nn.Module):
    """Bessel basis with the smooth envelope applied; exactly zero beyond the cutoff."""

    def __init__(self, cutoff: float, num_basis: int = 16, p: int = 6):
        super().__init__()
        self.bessel = BesselBasis(cutoff, num_basis)
        self.envelope = PolynomialEnvelope(cutoff, p)

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        return self.bessel(r) * self.envelope(r).unsqueeze(-1)
