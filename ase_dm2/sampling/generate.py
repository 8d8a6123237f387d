"""One call from a model to finished samples: build starting structures, denoise each one."""
from pathlib import Path
from typing import Optional

from tqdm.auto import tqdm

from ase_dm2.build import porous_structure, random_structure
from ase_dm2.conventions import RATE_KEY
from ase_dm2.sampling.dynamics import DiffusionDynamics
from ase_dm2.sampling.engine import denoise
from ase_dm2.sampling.samplers import make_sampler
from ase_dm2.sampling.schedule import NoiseSchedule


def default_composition(model) -> dict:
    """The training composition stored in the model, needed when none is given."""
    composition = model.provenance.get("composition")
    if composition is None:
        if len(model.species) == 1:
            return {model.species[0]: 1}
        raise ValueError(f"the model does not record its composition; give one (e.g. --formula) "
                         f"made of {', '.join(model.species)}")
    return composition


def trajectory_path(trajectory, sample: int, n_samples: int):
    """gen.traj for one sample; gen_0.traj, gen_1.traj... for several."""
    if trajectory is None or n_samples == 1:
        return trajectory
    path = Path(trajectory)
    return path.with_name(f"{path.stem}_{sample}{path.suffix}")


def generate(model, n_atoms: Optional[int] = None, formula_units: Optional[int] = None, composition=None,
             rate: Optional[float] = None, density: Optional[float] = None, cell=None, aspect=(1.0, 1.0, 1.0),
             pore_radius: Optional[float] = None, schedule: Optional[NoiseSchedule] = None, seed: int = 0,
             n_samples: int = 1, trajectory=None, logfile=None, progress: bool = True, batch_size: int = 1,
             sampler: Optional[str] = None, calls: Optional[int] = None, extrapolate: bool = False,
             refine=None, refine_options: Optional[dict] = None) -> list:
    """`n_samples` generated structures; sample k uses seed + k for its start and its noise.

    `sampler` ("dm2", "edm", "pc"; default "dm2") makes `calls` network calls (default: DM2's 3,000, or
    300 for the noise-conditioned samplers); `schedule` sets DM2's sampler exactly. A `rate` more than a decade
    beyond the model's training range is refused unless `extrapolate`. With `batch_size` > 1, that
    many samples share each network call (no trajectory or log then). Every path runs the one denoising engine
    on the model's device, so a seed gives the same structure alone or in a batch.

    `refine` (a LAMMPS potential: "sio2", "cuzr", an eam/alloy file or an ase_dm2.md.Potential) refines the
    samples with DM2's MD (ase_dm2.md.refine_many; `refine_options` such as nvt_ps, npt_ps) and returns the
    refined ones; the potential and LAMMPS are checked before generation starts.
    """
    if model.conditional and rate is None:
        raise ValueError("this model is conditional on the cooling rate: give a rate in K/ps")
    if rate is not None and model.density_model is not None:
        model.density_model.check_rate(rate, extrapolate)
    if n_samples < 1 or batch_size < 1:
        raise ValueError(f"need at least one sample and a batch size of at least 1, got n_samples={n_samples}, "
                         f"batch_size={batch_size}")
    if batch_size > 1 and (trajectory or logfile):
        raise ValueError("trajectories and logs follow one sample at a time: use batch_size=1 with them")
    composition = composition or default_composition(model)
    sampler = make_sampler(sampler, model, calls, schedule)
    if refine is not None:
        from ase_dm2.md.refine import refine_many, refinement_potential

        refine = refinement_potential(refine, composition)
    samples = []
    for k in range(n_samples):
        common = dict(n_atoms=n_atoms, formula_units=formula_units, density=density, rate=rate, model=model,
                      seed=seed + k)
        if pore_radius is not None:
            if cell is not None:
                raise ValueError("a porous structure builds its own hexagonal cell: give a density, not a cell")
            samples.append(porous_structure(composition, pore_radius, **common))
        else:
            samples.append(random_structure(composition, cell=cell, aspect=aspect, **common))
    for start in range(0, n_samples, batch_size):
        batch = samples[start:start + batch_size]
        label = f"sample{'s' if len(batch) > 1 else ''} {start + 1}"
        label += f"-{start + len(batch)}/{n_samples}" if len(batch) > 1 else f"/{n_samples}"
        if not (trajectory or logfile):
            denoise(batch, model, sampler, [seed + start + k for k in range(len(batch))],
                    None if rate is None else [rate] * len(batch), progress=progress, desc=label)
            continue
        dynamics = DiffusionDynamics(batch[0], model, rate=rate, sampler=sampler, seed=seed + start,
                                     trajectory=trajectory_path(trajectory, start, n_samples), logfile=logfile,
                                     loginterval=max(1, sampler.steps // 100))
        with dynamics, tqdm(total=sampler.steps, desc=label, unit="step", disable=not progress) as bar:
            for _ in dynamics.irun():
                bar.update(1 if dynamics.nsteps else 0)
    for k, atoms in enumerate(samples):
        atoms.info.update(seed=seed + k, generator="ase_dm2", steps=sampler.steps, sampler=sampler.name,
                          calls=sampler.calls)
        if rate is not None:
            atoms.info[RATE_KEY] = float(rate)
    if refine is not None:
        return refine_many(samples, refine, progress=progress, **(refine_options or {}))
    return samples
