"""Conditioning on a positive scalar per structure (cooling rate, noise level):
log10(value) -> Gaussian basis -> MLP -> invariant scalar features.

The embeddings are added only to the scalar (0e) channels of the hidden
features, so conditioning cannot break rotational equivariance.
"""
import torch


class GaussianBasis(torch.nn.Module):
    """Gaussians of equal width (the spacing of the means) evenly spaced on [start, stop]."""

    def __init__(self, start: float = -2.0, stop: float = 3.0, num_basis: int = 9):
        super().__init__()
        means = torch.linspace(start, stop, num_basis)
        self.register_buffer("means", means, persistent=False)  # rebuilt from the config
        self.width = float(means[1] - means[0]) if num_basis > 1 else 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(-0.5 * ((x.unsqueeze(-1) - self.means) / self.width) ** 2)


class LogEmbedding(torch.nn.Module):
    """Maps a positive quantity of each structure to `out_features` invariant scalars through its log10.

    `floor` clamps the value from below (a noise level of 0 at the last denoising steps reads as `floor`);
    `zero_init` starts the output layer at zero, so adding the embedding to a trained network changes nothing
    until training teaches it (fine-tuning a sigma-blind model into a sigma-conditioned one).
    """

    def __init__(self, out_features: int, log_range=(-2.0, 3.0), num_basis: int = 9, hidden: int = 64,
                 floor: float = 0.0, zero_init: bool = False):
        super().__init__()
        self.floor = float(floor)
        self.basis = GaussianBasis(*log_range, num_basis)
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(num_basis, hidden), torch.nn.Softplus(), torch.nn.Linear(hidden, out_features)
        )
        if zero_init:
            torch.nn.init.zeros_(self.mlp[-1].weight)
            torch.nn.init.zeros_(self.mlp[-1].bias)

    def forward(self, value: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.basis(torch.log10(value.clamp_min(self.floor))))
