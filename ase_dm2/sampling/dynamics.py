"""DiffusionDynamics: generation by iterative denoising, as an ASE dynamics like Langevin.

Each step moves every atom by the model's predicted displacement plus extra
Gaussian noise (DM2): x <- x - eps_theta(x) - xi, with xi per coordinate of
standard deviation drawn uniformly in [sigma_min, sigma_t] (NoiseSchedule).
"""
from typing import IO, Optional

import numpy as np
from ase.geometry import wrap_positions
from ase.optimize.optimize import BaseDynamics

from ase_dm2.sampling.calculator import ScoreCalculator
from ase_dm2.sampling.schedule import NoiseSchedule


def denoised_positions(atoms, displacement, sigma: float, sigma_min: float, rng) -> np.ndarray:
    """x - eps_theta(x) - xi, wrapped into the cell; xi per coordinate with std drawn in [sigma_min, sigma]."""
    positions = atoms.positions - displacement
    if sigma > 0:
        scale = rng.uniform(sigma_min, sigma, size=positions.shape)
        positions -= scale * rng.standard_normal(positions.shape)
    return wrap_positions(positions, atoms.cell.array, atoms.pbc, eps=0.0)  # into [0, 1)


class DiffusionDynamics(BaseDynamics):
    """Denoise `atoms` in place with `model`.

    Parameters
    ----------
    atoms : Atoms
        The starting structure (usually random, see ase_dm2.build); periodic or finite.
    model : Denoiser
    rate : float, optional
        Cooling rate in K/ps for conditional models (default: atoms.info["cooling_rate"]).
    schedule : NoiseSchedule, optional
        Default: DM2's protocol stretched to the length of the first run()
        (run(3000): 2,900 noisy steps from sigma 1.0 to 0.001 Å, then 100 without noise).
    seed : int, optional
        Seed of the extra noise; the same seed and start give the same structure.
    trajectory, logfile, loginterval
        As in ASE's molecular dynamics; the log shows step, sigma_t and the mean displacement.
    """

    def __init__(self, atoms, model, rate: Optional[float] = None, schedule: Optional[NoiseSchedule] = None,
                 seed: Optional[int] = None, trajectory=None, logfile: Optional[IO] = None, loginterval: int = 1,
                 **kwargs):
        super().__init__(atoms, logfile=logfile, trajectory=trajectory, loginterval=loginterval, **kwargs)
        self.calc = ScoreCalculator(model, rate)
        self.schedule = schedule
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.sigma = np.nan
        self.displacement = None
        if logfile:
            self.attach(self.log, loginterval)

    def todict(self):
        return {
            "type": "diffusion-dynamics",
            "md-type": self.__class__.__name__,
            "rate": self.calc.rate,
            "seed": self.seed,
            "schedule": None if self.schedule is None else self.schedule.todict(),
        }

    def irun(self, steps: Optional[int] = None):
        """Run as a generator, yielding after each step; steps defaults to the rest of the schedule."""
        if self.schedule is None:
            self.schedule = NoiseSchedule.dm2(steps if steps is not None else 3000)
        if steps is None:
            steps = max(self.schedule.steps - self.nsteps, 0)
        self.max_steps = self.nsteps + steps
        if self.nsteps == 0:
            self.call_observers()
        yield self.nsteps >= self.max_steps
        while self.nsteps < self.max_steps:
            self.step()
            self.nsteps += 1
            self.call_observers()
            yield self.nsteps >= self.max_steps

    def run(self, steps: Optional[int] = None) -> bool:
        """Run `steps` denoising steps (default: the whole schedule)."""
        converged = steps == 0
        for converged in self.irun(steps):
            pass
        return converged

    def step(self):
        atoms = self.atoms
        self.sigma = self.schedule.sigma(self.nsteps)
        self.displacement = self.calc.get_property("displacement", atoms)
        atoms.positions = denoised_positions(atoms, self.displacement, self.sigma, self.schedule.sigma_min, self.rng)

    def log(self):
        if self.nsteps == 0:
            self.logfile.write(f"{'Step':>8} {'Sigma[Å]':>10} {'MeanDisp[Å]':>12}\n")
            return
        mean = np.linalg.norm(self.displacement, axis=1).mean()
        self.logfile.write(f"{self.nsteps:8d} {self.sigma:10.5f} {mean:12.5f}\n")
