"""The denoiser: an E(3)-equivariant network predicting each atom's noise displacement."""
import re
from dataclasses import asdict, dataclass
from typing import Optional

import torch
from ase.data import atomic_numbers
from e3nn import o3
from e3nn.nn import Gate

from ase_dm2.graph import Graph
from ase_dm2.network.base import ScoreModel
from ase_dm2.network.conditioning import LogEmbedding
from ase_dm2.network.interaction import Interaction
from ase_dm2.network.species import SpeciesAttributes
from ase_dm2.network.radial import RadialBasis


SIZES = {  # named network sizes: DM2's, the bundled CPU-trained models', and a small one for smoke runs
    "dm2": dict(hidden_scalars=64, hidden_vectors=32, num_layers=3, lmax=2),
    "bundled": dict(hidden_scalars=32, hidden_vectors=16, num_layers=3, lmax=2),
    "small": dict(hidden_scalars=8, hidden_vectors=4, num_layers=1, lmax=1),
}


@dataclass(frozen=True)
class DenoiserConfig:
    """Architecture hyperparameters; defaults follow DM2 (Yang & Schwalbe-Koda 2025).

    `conditional`: the cooling rate (K/ps) is an input. `noise_conditional`: so is the noise level sigma (Å) of
    the structure, which DM2's network is not told (samplers that use it: ase_dm2.sampling.samplers).
    `output_scale` s (Å, noise-conditioned models only): the output is multiplied by sigma / sqrt(sigma² + s²),
    so that at sigma << s the network cannot move atoms much further than the noise it is told: an unscaled
    network's error floor there is larger than the noise itself and quenches the glass in the sampler's last
    steps (benchmarks/sampler_tail.py). None: the output as it is, DM2's.
    """

    species: tuple
    cutoff: float = 5.0
    num_layers: int = 3
    embedding_dim: int = 8
    hidden_scalars: int = 64
    hidden_vectors: int = 32
    lmax: int = 2
    num_basis: int = 16
    radial_hidden: int = 64
    envelope_p: int = 6
    avg_num_neighbors: float = 12.0
    conditional: bool = False
    log_rate_range: tuple = (-2.0, 3.0)
    num_rate_basis: int = 9
    rate_hidden: int = 64
    noise_conditional: bool = False
    log_sigma_range: tuple = (-3.0, 0.5)
    num_sigma_basis: int = 9
    output_scale: Optional[float] = None

    def __post_init__(self):
        if self.output_scale is not None and not (self.noise_conditional and self.output_scale > 0):
            raise ValueError(f"an output scale ({self.output_scale} Å) needs a noise-conditioned network and a "
                             "positive scale: add noise_conditional=True (--noise-conditional), or leave it out")
        species = tuple(sorted(set(self.species), key=lambda s: atomic_numbers[s]))
        object.__setattr__(self, "species", species)
        for name in ("log_rate_range", "log_sigma_range"):
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))

    @property
    def hidden_irreps(self) -> o3.Irreps:
        return o3.Irreps(f"{self.hidden_scalars}x0e + {self.hidden_vectors}x1o")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["species"], d["log_rate_range"] = list(self.species), list(self.log_rate_range)
        d["log_sigma_range"] = list(self.log_sigma_range)
        if self.output_scale is None:  # so that releases before the output scale read the file
            del d["output_scale"]
        return d


class Denoiser(ScoreModel):
    """x_noisy -> predicted displacement eps (Å) with x_clean = x_noisy - eps (scaled by the noise level if the
    config has an output_scale).

    Holds, besides the weights, what generation needs (see ScoreModel): the
    density model and the training provenance, both saved in the model file.
    """

    architecture = "ase_dm2"
    config_class = DenoiserConfig
    # buffers rebuilt from the config (e3nn's masks and constants; files of ase_dm2 0.1 also hold an unused
    # TensorProduct's): not written into model files, and dropped when older files are read
    rebuilt_keys = re.compile(r"^interactions\.\d+\.conv\.|\.basis\.means$|\.bessel\.frequencies$|\.output_mask$"
                              r"|^gates\.\d+\.mul\.weight$")

    def __init__(self, config: DenoiserConfig, density_model=None, provenance: Optional[dict] = None):
        super().__init__(config, density_model, provenance)
        c = config
        n = len(c.species)
        self.embed_features = torch.nn.Embedding(n, c.embedding_dim)
        self.embed_attributes = torch.nn.Embedding(n, c.embedding_dim)
        irreps_attr = o3.Irreps(f"{c.embedding_dim}x0e")
        self.irreps_edge = o3.Irreps.spherical_harmonics(c.lmax)
        self.radial_basis = RadialBasis(c.cutoff, c.num_basis, c.envelope_p)

        hidden = c.hidden_irreps
        scalars, vectors = o3.Irreps(f"{c.hidden_scalars}x0e"), o3.Irreps(f"{c.hidden_vectors}x1o")
        irreps = irreps_attr
        self.interactions, self.gates = torch.nn.ModuleList(), torch.nn.ModuleList()
        for _ in range(c.num_layers):
            gate = Gate(
                scalars, [torch.nn.functional.silu],
                o3.Irreps(f"{c.hidden_vectors}x0e"), [torch.sigmoid],
                vectors,
            )
            self.interactions.append(
                Interaction(irreps, irreps_attr, self.irreps_edge, gate.irreps_in,
                            c.num_basis, c.radial_hidden, c.avg_num_neighbors)
            )
            self.gates.append(gate)
            irreps = hidden
        self.output = o3.FullyConnectedTensorProduct(hidden, irreps_attr, "1x1o")
        self.rate_embedding = (
            LogEmbedding(c.hidden_scalars, c.log_rate_range, c.num_rate_basis, c.rate_hidden)
            if c.conditional else None
        )
        self.noise_embedding = (
            LogEmbedding(c.hidden_scalars, c.log_sigma_range, c.num_sigma_basis, c.rate_hidden,
                         floor=10 ** c.log_sigma_range[0], zero_init=True)
            if c.noise_conditional else None
        )

    def forward(self, graph: Graph) -> torch.Tensor:
        vectors = graph.edge_vectors()
        lengths = vectors.norm(dim=-1)
        edge_sh = o3.spherical_harmonics(self.irreps_edge, vectors, normalize=True, normalization="component")
        edge_basis = self.radial_basis(lengths)
        attr = SpeciesAttributes(self.embed_attributes.weight, graph.species)
        x = self.embed_features(graph.species)
        condition = self.condition(graph)
        for interaction, gate in zip(self.interactions, self.gates):
            x = gate(interaction(x, attr, graph.center, graph.neighbor, edge_sh, edge_basis, graph.paired))
            if condition is not None:
                x = torch.cat([x[:, : self.config.hidden_scalars] + condition, x[:, self.config.hidden_scalars :]], 1)
        eps = attr.apply(self.output, x)
        if self.config.output_scale is not None:
            sigma = graph.sigma[graph.batch].unsqueeze(-1)
            eps = eps * (sigma / torch.sqrt(sigma**2 + self.config.output_scale**2))
        return eps

    def condition(self, graph: Graph) -> Optional[torch.Tensor]:
        """Per-atom scalars added to the hidden scalars: the rate's and the noise level's embeddings, if used."""
        condition = None
        if self.rate_embedding is not None:
            if graph.rate is None:
                raise ValueError("this model is conditional on the cooling rate, but the graph has no rate")
            condition = self.rate_embedding(graph.rate)[graph.batch]
        if self.noise_embedding is not None:
            if graph.sigma is None:
                raise ValueError("this model is conditional on the noise level, but the graph has no sigma")
            noise = self.noise_embedding(graph.sigma)[graph.batch]
            condition = noise if condition is None else condition + noise
        return condition
