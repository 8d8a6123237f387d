"""DM2's published network, rebuilt with e3nn 0.6 so its checkpoints load strictly.

The mathematics follow DM2 (graphite's NequIP and Interaction): Bessel radial
basis without envelope, spherical harmonics 4x0e + 4x1e + 2x2e, a SkipInit
gate on each convolution, messages from edge source i summed onto j. The
conditional variant adds its cooling-rate embedding to all hidden components,
vectors included, which breaks rotational equivariance (kept here on purpose:
the aim is to reproduce DM2's outputs; use ase_dm2's Denoiser for new models).
"""
import math
from dataclasses import asdict, dataclass

import torch
from e3nn import o3
from e3nn.nn import FullyConnectedNet, Gate

from ase_dm2.graph import Graph
from ase_dm2.network.base import ScoreModel
from ase_dm2.network.convolution import EdgeConvolution
from ase_dm2.network.species import SpeciesAttributes
from ase_dm2.network.interaction import _uvu_paths


@dataclass(frozen=True)
class DM2Config:
    """DM2 hyperparameters. `cutoff` is the neighbour-list radius (DM2 always used 5 Å);
    `basis_cutoff` the end of the Bessel basis stored in the checkpoint (6 Å for Cu-Zr)."""

    species: tuple
    cutoff: float = 5.0
    basis_cutoff: float = 5.0
    conditional: bool = False
    irreps_node: str = "8x0e"
    irreps_hidden: str = "64x0e+32x1e"
    irreps_edge: str = "4x0e+4x1e+2x2e"
    irreps_out: str = "1x1e"
    num_layers: int = 3
    num_basis: int = 16
    radial_hidden: int = 64
    num_neighbors: float = 12.0
    num_rate_basis: int = 9

    def __post_init__(self):
        object.__setattr__(self, "species", tuple(self.species))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["species"] = list(self.species)
        return d


def dm2_bessel(r: torch.Tensor, cutoff: float, num_basis: int, eps: float = 1e-5) -> torch.Tensor:
    x = r.unsqueeze(-1) + eps
    n = torch.arange(1, num_basis + 1, dtype=r.dtype, device=r.device)
    return math.sqrt(2 / cutoff) * torch.sin(n * math.pi * x / cutoff) / x


class InitialEmbedding(torch.nn.Module):
    def __init__(self, num_species: int, dim: int):
        super().__init__()
        self.embed_node_x = torch.nn.Embedding(num_species, dim)
        self.embed_node_z = torch.nn.Embedding(num_species, dim)


class DM2Interaction(torch.nn.Module):
    """graphite's Interaction: sc + alpha * lin2(sum_i conv(lin1(x)_i, Y(r_ij); R(|r_ij|))) / sqrt(num_neighbors)."""

    def __init__(self, irreps_in, irreps_node, irreps_edge, irreps_out, radial_neurons, num_neighbors):
        super().__init__()
        irreps_in, irreps_node = o3.Irreps(irreps_in), o3.Irreps(irreps_node)
        irreps_edge, irreps_out = o3.Irreps(irreps_edge), o3.Irreps(irreps_out)
        self.norm = 1.0 / math.sqrt(num_neighbors)
        irreps_mid, instructions = _uvu_paths(irreps_in, irreps_edge, irreps_out)
        self.sc = o3.FullyConnectedTensorProduct(irreps_in, irreps_node, irreps_out)
        self.lin1 = o3.FullyConnectedTensorProduct(irreps_in, irreps_node, irreps_in)
        self.conv = o3.TensorProduct(irreps_in, irreps_edge, irreps_mid, instructions,
                                     internal_weights=False, shared_weights=False)
        self.lin2 = o3.FullyConnectedTensorProduct(irreps_mid, irreps_node, irreps_out)
        self.mlp = FullyConnectedNet(list(radial_neurons) + [self.conv.weight_numel], torch.nn.functional.silu)
        self.convolution = EdgeConvolution(self.conv)
        self.alpha = o3.FullyConnectedTensorProduct(irreps_mid, irreps_node, "0e")

    def forward(self, x, node_attr: SpeciesAttributes, source, target, edge_sh, edge_basis, paired=False):
        node_features = node_attr.apply(self.lin1, x)
        aggregated = self.convolution(node_features, edge_sh, edge_basis, self.mlp, source, target, paired) * self.norm
        mask = self.sc.output_mask
        alpha = (1 - mask) + node_attr.apply(self.alpha, aggregated) * mask
        return node_attr.apply(self.sc, x) + alpha * node_attr.apply(self.lin2, aggregated)


class DM2Layer(torch.nn.Module):
    def __init__(self, interaction, gate):
        super().__init__()
        self.first, self.second = interaction, gate


class RateBasisEmbedding(torch.nn.Module):
    """graphite's GaussianBasisEmbedding of log10(rate); means and widths come from the checkpoint."""

    def __init__(self, num_basis: int, embedding_dim: int):
        super().__init__()
        self.register_buffer("means", torch.zeros(num_basis))
        self.register_buffer("sigmas", torch.ones(num_basis))
        hidden = max(2 * embedding_dim, num_basis)
        self.layer1 = torch.nn.Linear(num_basis, hidden)
        self.activation = torch.nn.Softplus()
        self.layer2 = torch.nn.Linear(hidden, embedding_dim)

    def forward(self, log_rate):
        basis = torch.exp(-0.5 * ((log_rate.unsqueeze(-1) - self.means) / self.sigmas) ** 2)
        return self.layer2(self.activation(self.layer1(basis)))


class DM2Network(ScoreModel):
    architecture = "dm2"
    config_class = DM2Config

    def __init__(self, config: DM2Config, density_model=None, provenance=None):
        super().__init__(config, density_model, provenance)
        c = config
        irreps_node, irreps_hidden = o3.Irreps(c.irreps_node), o3.Irreps(c.irreps_hidden)
        self.irreps_edge = o3.Irreps(c.irreps_edge)
        self.init_embed = InitialEmbedding(len(c.species), irreps_node.dim)
        self.interactions = torch.nn.ModuleList()
        irreps = irreps_node
        for _ in range(c.num_layers):
            scalars = o3.Irreps([(m, ir) for m, ir in irreps_hidden if ir.l == 0])
            gated = o3.Irreps([(m, ir) for m, ir in irreps_hidden if ir.l > 0])
            gate = Gate(scalars, [torch.nn.functional.silu] * len(scalars),
                        o3.Irreps([(m, "0e") for m, _ in gated]).simplify(), [torch.sigmoid], gated)
            interaction = DM2Interaction(irreps, irreps_node, self.irreps_edge, gate.irreps_in,
                                         [c.num_basis, c.radial_hidden], c.num_neighbors)
            self.interactions.append(DM2Layer(interaction, gate))
            irreps = gate.irreps_out
        self.out = o3.FullyConnectedTensorProduct(irreps, irreps_node, c.irreps_out)
        if c.conditional:
            embedding_dim = irreps[0].mul
            self.y_embed = RateBasisEmbedding(c.num_rate_basis, embedding_dim)
            self.y_projection = torch.nn.Sequential(
                torch.nn.Linear(embedding_dim, embedding_dim), torch.nn.SiLU(),
                torch.nn.Linear(embedding_dim, irreps.dim),
            )

    def edge_features(self, graph: Graph):
        """(spherical harmonics, Bessel basis) of every edge vector."""
        vectors = graph.edge_vectors()
        edge_sh = o3.spherical_harmonics(self.irreps_edge, vectors, normalize=True, normalization="component")
        return edge_sh, dm2_bessel(vectors.norm(dim=-1), self.config.basis_cutoff, self.config.num_basis)

    def forward(self, graph: Graph) -> torch.Tensor:
        edge_sh, edge_basis = self.edge_features(graph)
        x = self.init_embed.embed_node_x(graph.species)
        z = SpeciesAttributes(self.init_embed.embed_node_z.weight, graph.species)
        shift = 0.0
        if self.conditional:
            if graph.rate is None:
                raise ValueError("this model is conditional on the cooling rate, but the graph has no rate")
            shift = self.y_projection(self.y_embed(torch.log10(graph.rate))[graph.batch])
        for layer in self.interactions:
            x = layer.second(layer.first(x, z, graph.center, graph.neighbor, edge_sh, edge_basis, graph.paired)) + shift
        return z.apply(self.out, x)
