"""Cooling-rate conditioning: log10(rate) -> Gaussian basis -> MLP -> scalar features.

The embedding is added only to the scalar (0e) channels of the hidden features,
so conditioning cannot break rotational equivariance.
"""
import torch


class GaussianBasis(torch.nn.Module):
    """Gaussians of equal width (the spacing of the means) evenly spaced on [start, stop]."""

    def __init__(self, start: float = -2.0, stop: float = 3.0, num_basis: int = 9):
        super().__init__()
        means = torch.linspace(start, stop, num_basis)
        self.register_buffer("means", means)
        self.width = float(means[1] - means[0]) if num_basis > 1 else 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(-0.5 * ((x.unsqueeze(-1) - self.means) / self.width) ** 2)


class RateEmbedding(torch.nn.Module):
    """Maps cooling rates (K/ps) of each structure to `out_features` invariant scalars."""

    def __init__(self, out_features: int, log_rate_range=(-2.0, 3.0), num_basis: int = 9, hidden: int = 64):
        super().__init__()
        self.basis = GaussianBasis(*log_rate_range, num_basis)
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(num_basis, hidden), torch.nn.Softplus(), torch.nn.Linear(hidden, out_features)
        )

    def forward(self, rate: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.basis(torch.log10(rate)))
