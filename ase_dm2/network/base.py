"""What every score model shares: species, cutoff, conditioning, graphs, metadata and saving."""
from typing import Optional, Sequence

import torch

from ase_dm2.graph import Graph, build_graph


class ScoreModel(torch.nn.Module):
    """Base of networks mapping a graph to per-atom displacements (Å).

    Subclasses set `architecture` (the name stored in model files) and build
    their layers from `config`, a dataclass with species, cutoff, conditional
    and `to_dict()`.
    """

    architecture = ""

    def __init__(self, config, density_model=None, provenance: Optional[dict] = None):
        super().__init__()
        self.config = config
        self.density_model = density_model
        self.provenance = dict(provenance or {})

    @property
    def species(self) -> tuple:
        return self.config.species

    @property
    def cutoff(self) -> float:
        return self.config.cutoff

    @property
    def conditional(self) -> bool:
        return self.config.conditional

    @property
    def noise_conditional(self) -> bool:
        """Whether the network is told each structure's noise level sigma (DM2's networks are not)."""
        return getattr(self.config, "noise_conditional", False)

    def graph(self, structures: Sequence, rates: Optional[Sequence[float]] = None,
              sigmas: Optional[Sequence[float]] = None) -> Graph:
        """The graph of a list of Atoms at this model's cutoff, species order, device and dtype.

        Rates and noise levels (one per structure) are kept only where the model is conditioned on them.
        """
        if self.conditional and rates is None:
            raise ValueError("this model is conditional on the cooling rate: give rate=... (K/ps)")
        if self.noise_conditional and sigmas is None:
            raise ValueError("this model is conditional on the noise level: give sigmas=... (Å), one per structure")
        param = next(self.parameters())
        graph = build_graph(structures, self.species, self.cutoff, rates if self.conditional else None,
                            sigmas=sigmas if self.noise_conditional else None)
        return graph.to(device=param.device, dtype=param.dtype)

    def save(self, path) -> None:
        """Write weights and metadata to a safe (safetensors) model file, atomically."""
        from ase_dm2.io.modelfile import save_model

        save_model(self, path)
