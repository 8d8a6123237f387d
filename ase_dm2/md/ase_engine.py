"""The MD protocols with any ASE calculator instead of a LAMMPS preset: an MLIP (MACE, NequIP), matscipy's EAM,
ASE's own LAMMPS calculators. ASE's optimiser (LBFGS) and MD (Nose-Hoover chains; isotropic MTK barostat) run
the same protocols as the LAMMPS path, which stays the fast one: minimise positions in a fixed cell, refine by NVT
then NPT, stresses of relaxed strained cells for the elastic constants, uniaxial tension.

minimise, refine, elastic_constants and fracture in ase_dm2.md take either kind of potential and come here for a
calculator.
"""
import numpy as np
from ase import units
from ase.calculators.singlepoint import SinglePointCalculator
from ase.md.nose_hoover_chain import IsotropicMTKNPT, MaskedMTKNPT, NoseHooverChainNVT
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


def require_stress(calculator, needed_for: str) -> None:
    """Refuse, before any work, a calculator that computes no stress when `needed_for` needs one."""
    if "stress" not in getattr(calculator, "implemented_properties", ("stress",)):
        raise ValueError(f"{type(calculator).__name__} computes no stress, which {needed_for} needs: use a calculator "
                         "that lists 'stress' in its implemented_properties")


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
    if npt_ps > 0:
        require_stress(calculator, "NPT (its barostat; npt_ps=0 refines by NVT alone)")
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


def require_orthorhombic(atoms) -> None:
    """Refuse a cell whose axes are not along x, y and z (tension stretches z and lets x and y relax)."""
    cell = atoms.cell.array
    if not np.allclose(cell, np.diag(np.diag(cell))):
        raise ValueError("uniaxial tension with an ASE calculator needs an orthorhombic cell (a, b, c along x, y, z)")


class UniaxialTension(MaskedMTKNPT):
    """ASE's MTK NPT on the x and y axes, with z stretched after every step to L_z0 (1 + rate t) and positions
    remapped affinely: LAMMPS' `fix deform 1 z erate RATE remap x` beside `fix npt ... x P P d y P P d`.
    Needs an orthorhombic cell."""

    def __init__(self, atoms, timestep: float, strain_rate: float, **kwargs):
        """`strain_rate` in 1/s; `kwargs` as MaskedMTKNPT's (temperature_K, pressure_au, tdamp, pdamp...)."""
        require_orthorhombic(atoms)
        super().__init__(atoms, timestep, mask=np.array([True, True, False]), **kwargs)  # an array: ASE indexes with it
        self.strain_per_step = strain_rate * 1e-15 / units.fs * timestep
        self.lz0 = atoms.cell[2, 2]

    def step(self) -> None:
        super().step()
        factor = self.lz0 * (1 + self.strain_per_step * (self.nsteps + 1)) / self._h[2, 2]
        self._h[2] *= factor  # the integrator's own cell and positions, which it writes back to the atoms
        self._q[:, 2] *= factor
        self._update_atoms()


def fracture(atoms, calculator, strain_rate: float, max_strain: float, temperature: float, timestep_fs: float,
             equilibrate_ps: float, seed: int, points: int, progress: bool) -> dict:
    """The LAMMPS path's tensile test with ASE's MD: velocities at `temperature`, `equilibrate_ps` of NPT on
    each axis at 1 bar, then tension along z at `strain_rate` (1/s) with x and y at 1 bar (thermostat 100 steps,
    barostat 1000 steps)."""
    require_stress(calculator, "tension (its barostat and stress-strain curve)")
    require_orthorhombic(atoms)
    md = atoms.copy()
    md.calc = calculator
    thermalize_momenta(md, temperature_K=temperature, rng=np.random.default_rng(seed))
    Stationary(md)
    dt = timestep_fs * units.fs
    options = dict(temperature_K=temperature, pressure_au=1e-4 * units.GPa, tdamp=100 * dt, pdamp=1000 * dt)
    equilibrate = int(round(equilibrate_ps * 1000 / timestep_fs))
    if equilibrate:
        MaskedMTKNPT(md, dt, mask=np.array([True, True, True]), **options).run(equilibrate)
    steps = int(round(max_strain / (strain_rate * 1e-15 * timestep_fs)))
    tension = UniaxialTension(md, dt, strain_rate, **options)
    lz0 = md.cell[2, 2]
    strain, stress = [], []
    every = max(1, steps // points)

    with tqdm(total=max_strain, desc="fracture", unit="strain", disable=not progress,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| strain {n:.3f}/{total:.3f} [{elapsed}<{remaining}"
                         "{postfix}]") as bar:
        def record():
            strain.append(md.cell[2, 2] / lz0 - 1)
            stress.append(md.get_stress(include_ideal_gas=True)[2] / units.GPa)  # tension positive
            bar.update(strain[-1] - bar.n)
            bar.set_postfix_str(f"T {md.get_temperature():.0f} K, stress {stress[-1]:.2f} GPa")

        tension.attach(record, interval=every)
        tension.run(steps)
    strain, stress = np.array(strain), np.array(stress)
    peak = int(np.argmax(stress))
    return {"strain": strain, "stress": stress, "max_stress": float(stress[peak]),
            "strain_at_max": float(strain[peak]), "atoms": frozen(md)}
