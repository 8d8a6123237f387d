"""The MD protocols with any ASE calculator instead of a LAMMPS preset: an MLIP (MACE, NequIP), matscipy's EAM,
ASE's own LAMMPS calculators. ASE's optimiser (LBFGS) and MD (Nose-Hoover chains; isotropic MTK barostat) run
the same protocols as the LAMMPS path, which stays the fast one: minimise positions in a fixed cell, refine by NVT
then NPT, stresses of relaxed strained cells for the elastic constants.

minimise, refine and elastic_constants in ase_dm2.md take either kind of potential and come here for a
calculator.
"""
import numpy as np
from ase import units
from ase.calculators.singlepoint import SinglePointCalculator
from ase.md.nose_hoover_chain import IsotropicMTKNPT, NoseHooverChainNVT
from ase.md.velocitydistribution import Stationary
from ase.optimize import LBFGS
from tqdm.auto import tqdm

try:
    from ase.md.velocitydistribution import thermalize_momenta  # ASE >= 3.29
except ImportError:  # older ASE: the same, under its former name
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalize_momenta

from ase_dm2.md.lammps import PS_BAR

THERMO_EVERY = 10  # MD steps between progress updates and temperature samples


def is_calculator(potential) -> bool:
    """True for an ASE calculator (anything with ASE's calculator interface), False for a LAMMPS Potential."""
    return callable(getattr(potential, "get_potential_energy", None)) and callable(getattr(potential, "calculate",
                                                                                             None))


def frozen(atoms):
    """A copy of `atoms` carrying its energy, forces and stress (where the calculator gives one) as results."""
    results = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces()}
    if atoms.pbc.all():
        results["stress"] = atoms.get_stress()
    copy = atoms.copy()
    copy.calc = SinglePointCalculator(copy, **results)
    return copy


def minimise(atoms, calculator, ftol: float = 1e-4, max_steps: int = 10000):
    """Positions relaxed in the fixed cell with LBFGS until every force is below `ftol` (eV/Å)."""
    relaxed = atoms.copy()
    relaxed.calc = calculator
    LBFGS(relaxed, logfile=None).run(fmax=ftol, steps=max_steps)
    return frozen(relaxed)


def relaxed_stress(atoms, calculator, ftol: float) -> np.ndarray:
    """Voigt stress (GPa, tension positive) after relaxing positions."""
    return minimise(atoms, calculator, ftol, 20000).get_stress() / units.GPa


def refine(atoms, calculator, nvt_ps: float = 25.0, npt_ps: float = 25.0, temperature: float = 300.0,
           pressure: float = 0.0, timestep_fs: float = 1.0, seed: int = 1, progress: bool = True):
    """DM2's refinement with ASE's MD: velocities at `temperature`, NVT then isotropic NPT at `pressure` GPa
    (thermostat 100 steps, barostat 1000 steps, as the LAMMPS path)."""
    md = atoms.copy()
    md.calc = calculator
    thermalize_momenta(md, temperature_K=temperature, rng=np.random.default_rng(seed))
    Stationary(md)  # no net momentum; a periodic cell has no rotation to remove
    dt = timestep_fs * units.fs
    stages = [(nvt_ps, lambda: NoseHooverChainNVT(md, dt, temperature, tdamp=100 * dt)),
              (npt_ps, lambda: IsotropicMTKNPT(md, dt, temperature, pressure * units.GPa, tdamp=100 * dt,
                                               pdamp=1000 * dt))]
    temperatures = []
    with tqdm(total=nvt_ps + npt_ps, desc="refine", unit="ps", disable=not progress, bar_format=PS_BAR) as bar:
        for ps, make in stages:
            steps = int(round(ps * 1000 / timestep_fs))
            if steps == 0:
                continue
            dynamics = make()

            def observe():
                temperatures.append(md.get_temperature())
                bar.update(THERMO_EVERY * timestep_fs / 1000)
                if bar.disable:  # the stress would cost an extra calculation in NVT
                    return
                pressure_gpa = -np.mean(md.get_stress(include_ideal_gas=True)[:3]) / units.GPa
                bar.set_postfix_str(f"T {temperatures[-1]:.0f} K, P {pressure_gpa:.2f} GPa, "
                                    f"E {md.get_potential_energy() / len(md):.3f} eV/atom")

            dynamics.attach(observe, interval=THERMO_EVERY)
            dynamics.run(steps)
    refined = frozen(md)
    refined.info.update(md_temperature=float(np.mean(temperatures[1:])) if len(temperatures) > 1 else float("nan"),
                        md_ps=nvt_ps + npt_ps)
    return refined
