"""DiffusionDynamics: generation by iterative denoising, as an ASE dynamics like Langevin.

A thin ASE wrapper around the denoising engine (engine.py) for one structure:
each step is one step of a sampler (samplers.py), taken from and written back
to the Atoms, so ASE's trajectories, logs and observers see every step. For
sigma-blind models the sampler is DM2's: x <- x - eps_theta(x) - xi, with xi
per coordinate of standard deviation drawn uniformly in [sigma_min, sigma_t]
(NoiseSchedule).
"""
from typing import IO, Optional

import numpy as np
from ase.optimize.optimize import BaseDynamics

from ase_dm2.sampling.calculator import ScoreCalculator
from ase_dm2.sampling.engine import DenoisingEngine
from ase_dm2.sampling.samplers import DM2Sampler, make_sampler
from ase_dm2.sampling.schedule import NoiseSchedule


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
        DM2's sampler along this schedule. Default: DM2's protocol stretched to the length of the first run()
        (run(3000): 2,900 noisy steps from sigma 1.0 to 0.001 Å, then 100 without noise).
    sampler : str or sampler object, optional
        A sampler of ase_dm2.sampling.samplers, or its name ("dm2", "edm", "pc"); a name takes the number of
        network calls from the first run(). Default: DM2's step for every model (edm and pc, which make N calls
        in fewer sampler steps, gave worse glass on noise-conditioned models too).
    seed : int, optional
        Seed of the injected noise; the same seed and start give the same structure (as in a batch of
        `ase_dm2.sampling.generate`).
    trajectory, logfile, loginterval
        As in ASE's molecular dynamics; the log shows step, sigma and the mean displacement.
    """

    def __init__(self, atoms, model, rate: Optional[float] = None, schedule: Optional[NoiseSchedule] = None,
                 seed: Optional[int] = None, trajectory=None, logfile: Optional[IO] = None, loginterval: int = 1,
                 sampler=None, **kwargs):
        super().__init__(atoms, logfile=logfile, trajectory=trajectory, loginterval=loginterval, **kwargs)
        if schedule is not None and sampler not in (None, "dm2"):
            raise ValueError(f"a NoiseSchedule sets DM2's sampler; leave out schedule= with sampler={sampler!r}")
        self.calc = ScoreCalculator(model, rate)
        self.model = model
        self.schedule = schedule
        self.sampler = make_sampler(schedule, model) if schedule is not None else sampler
        self.seed = seed
        self.sigma = np.nan
        self.displacement = None
        self.engine = None
        if logfile:
            self.attach(self.log, loginterval)

    def todict(self):
        return {
            "type": "diffusion-dynamics",
            "md-type": self.__class__.__name__,
            "rate": self.calc.rate,
            "seed": self.seed,
            "schedule": None if self.schedule is None else self.schedule.todict(),
            "sampler": None if not hasattr(self.sampler, "todict") else self.sampler.todict(),
        }

    def _prepare(self, calls: int):
        """The sampler (from its name, else DM2's step, with `calls` network calls) and the engine."""
        if not hasattr(self.sampler, "step"):
            self.sampler = make_sampler(self.sampler, self.model, calls)
        if isinstance(self.sampler, DM2Sampler):
            self.schedule = self.sampler.schedule
        rate = self.calc.rate_for(self.atoms)
        seed = self.seed if self.seed is not None else int(np.random.SeedSequence().generate_state(1)[0])
        self.engine = DenoisingEngine([self.atoms], self.model, [seed], None if rate is None else [rate])

    def irun(self, steps: Optional[int] = None):
        """Run as a generator, yielding after each step; steps defaults to the rest of the sampler's steps.

        The first run's `steps` (default 3,000) sizes a sampler given by name or left to the model: DM2's
        schedule of that many steps, or that many network calls of a noise-conditioned sampler.
        """
        if self.engine is None:
            self._prepare(steps if steps is not None else 3000)
            if steps is not None:
                steps = min(steps, self.sampler.steps)
        if steps is None:
            steps = max(self.sampler.steps - self.nsteps, 0)
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
        """One sampler step from the Atoms' current positions (observers may have moved atoms)."""
        if self.nsteps >= self.sampler.steps and not isinstance(self.sampler, DM2Sampler):  # DM2's: noiseless
            raise RuntimeError(f"the sampler's {self.sampler.steps} steps are done; start a new DiffusionDynamics")
        self.engine.positions = self.engine.positions.new_tensor(self.atoms.positions)
        self.sigma = self.sampler.sigma(self.nsteps)
        self.displacement = self.sampler.step(self.engine, self.nsteps).cpu().numpy()
        self.atoms.positions = self.engine.positions.cpu().numpy()

    def log(self):
        if self.nsteps == 0:
            self.logfile.write(f"{'Step':>8} {'Sigma[Å]':>10} {'MeanDisp[Å]':>12}\n")
            return
        mean = np.linalg.norm(self.displacement, axis=1).mean()
        self.logfile.write(f"{self.nsteps:8d} {self.sigma:10.5f} {mean:12.5f}\n")
