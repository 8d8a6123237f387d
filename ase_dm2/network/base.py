"""What every score model shares: species, cutoff, conditioning, graphs, metadata and saving.

Each architecture registers itself in ARCHITECTURES (by its `architecture` name) when its class is defined, so
ase_dm2.modelfile reads every kind of model file without listing them. Saving lives here: a model file is
safetensors tensors plus JSON metadata (format, architecture, config, density model, provenance); loading
never runs code.
"""
import json
from typing import Optional, Sequence

import safetensors.torch
import torch

from ase_dm2.graph import Graph, build_graph
from ase_dm2.io.atomic import atomic_path

ARCHITECTURES = {}  # architecture name -> ScoreModel subclass
FORMAT = "ase_dm2.denoiser"
FORMAT_VERSION = 3
# the first ase_dm2 release that reads each format version; version 2 added noise-level (sigma) conditioning,
# version 3 the output scaled by it; each model is written in the oldest version that holds it, so older
# releases keep reading what they can
FIRST_READER = {1: "0.1.0", 2: "0.2.0", 3: "0.3.0"}


class ScoreModel(torch.nn.Module):
    """Base of networks mapping a graph to per-atom displacements (Å).

    Subclasses set `architecture` (the name stored in model files) and
    `config_class`, and build their layers from `config`, a dataclass with
    species, cutoff, conditional and `to_dict()`. `rebuilt_keys` (optional)
    matches buffers rebuilt from the config, which are not saved.
    """

    architecture = ""
    config_class = None
    rebuilt_keys = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.architecture:
            ARCHITECTURES[cls.architecture] = cls

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
        version = 3 if getattr(self.config, "output_scale", None) else 2 if self.noise_conditional else 1
        metadata = {
            "format": FORMAT,
            "format_version": version,
            "needs": f"ase_dm2 >= {FIRST_READER[version]}",
            "architecture": self.architecture,
            "config": self.config.to_dict(),
            "density_model": None if self.density_model is None else self.density_model.to_dict(),
            "provenance": self.provenance,
        }
        tensors = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()
                   if self.rebuilt_keys is None or not self.rebuilt_keys.search(k)}
        with atomic_path(path) as tmp:
            safetensors.torch.save_file(tensors, str(tmp), metadata={"ase_dm2": json.dumps(metadata)})
