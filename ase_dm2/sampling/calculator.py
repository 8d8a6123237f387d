"""ScoreCalculator: the denoiser as an ASE calculator whose result is each atom's displacement."""
import warnings

import numpy as np
import torch
from ase.calculators.calculator import Calculator, all_changes

from ase_dm2.conventions import RATE_KEY


class ScoreCalculator(Calculator):
    """Predicted noise displacement (N, 3) in Å: the structure is denoised by x -> x - displacement.

    ``atoms.calc = ScoreCalculator(model, rate=1.0)`` then
    ``atoms.calc.get_property("displacement", atoms)``. Results are cached and
    recomputed when positions, cell, numbers or pbc change. For a conditional
    model without `rate`, atoms.info["cooling_rate"] is used.
    """

    implemented_properties = ["displacement"]

    def __init__(self, model, rate=None, **kwargs):
        super().__init__(**kwargs)
        if rate is not None and not model.conditional:
            warnings.warn("this model is unconditional: the cooling rate is ignored", stacklevel=2)
            rate = None
        if rate is not None and not rate > 0:
            raise ValueError(f"cooling rate must be positive (K/ps), got {rate}")
        self.model = model.eval()
        self.rate = rate

    def todict(self):
        return {"rate": self.rate, "species": list(self.model.species), "conditional": self.model.conditional}

    def rate_for(self, atoms):
        if not self.model.conditional:
            return None
        rate = self.rate if self.rate is not None else atoms.info.get(RATE_KEY)
        if rate is None:
            raise ValueError(
                f"this model is conditional: give ScoreCalculator(model, rate=...) or atoms.info[{RATE_KEY!r}]"
            )
        return float(rate)

    def calculate(self, atoms=None, properties=("displacement",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        rate = self.rate_for(self.atoms)
        graph = self.model.graph([self.atoms], None if rate is None else [rate])
        with torch.no_grad():
            displacement = self.model(graph)
        self.results["displacement"] = displacement.cpu().numpy().astype(np.float64)
