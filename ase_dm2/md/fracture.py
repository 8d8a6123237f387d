"""Uniaxial tension to fracture: true stress-strain curves, and slabs to pull on.

Tension along z at a constant engineering strain rate (fix deform erate),
x and y free at 1 bar (NPT) and the temperature held, DM2's protocol; with a
LAMMPS preset in one LAMMPS run, or with any ASE calculator through ASE's MD
(ase_dm2.md.ase_engine). True stress = -p_zz (GPa); strain = (L_z - L_z0) / L_z0.
"""
import numpy as np

from ase_dm2.md import ase_engine
from ase_dm2.md.lammps import run_lammps
from ase_dm2.md.refine import md_commands


def fracture_slab(atoms, min_atoms: int, aspect: float = 1.4):
    """Replicate a periodic cell n x n x m times so that Lz/Lx is close to `aspect` and N >= min_atoms."""
    lx, _, lz = atoms.cell.lengths()
    n = 1
    while True:
        m = max(1, int(round(aspect * n * lx / lz)))
        if len(atoms) * n * n * m >= min_atoms:
            return atoms.repeat((n, n, m))
        n += 1


def fracture(atoms, potential, strain_rate: float = 1e9, max_strain: float = 0.5, temperature: float = 300.0,
             timestep_fs: float = 1.0, equilibrate_ps: float = 0.0, seed: int = 1, points: int = 200, log=None,
             progress: bool = True):
    """{'strain': array, 'stress': array (GPa), 'max_stress', 'strain_at_max'} of a tensile test.

    `strain_rate` in 1/s (1e9 = DM2); `equilibrate_ps` of NPT at `temperature` first; `progress`: a bar.
    `potential`: a LAMMPS Potential, or an ASE calculator (ASE's MD, orthorhombic cells; no log).
    """
    if ase_engine.is_calculator(potential):
        return ase_engine.fracture(atoms, potential, strain_rate, max_strain, temperature, timestep_fs,
                                   equilibrate_ps, seed, points, progress)
    dt = timestep_fs / 1000.0
    rate_per_ps = strain_rate * 1e-12
    steps = int(round(max_strain / (rate_per_ps * dt)))
    t = f"{temperature} {temperature}"
    barostat = f"x 1.0 1.0 {1000 * dt} y 1.0 1.0 {1000 * dt}"
    body = md_commands(temperature, seed, dt, [("npt", equilibrate_ps, t, f"aniso 1.0 1.0 {1000 * dt}")])
    body += (f"thermo {max(1, steps // points)}\nfix pull all deform 1 z erate {rate_per_ps} remap x\n"
             f"fix hold all npt temp {t} {100 * dt} {barostat}\nrun {steps}\n")
    result = run_lammps(atoms, potential, body, log=log, progress="fracture" if progress else None)
    pulled = result.thermo["step"] >= result.thermo["step"][-1] - steps
    lz = result.thermo["lz"][pulled]
    strain = (lz - lz[0]) / lz[0]
    stress = -result.thermo["pzz"][pulled] * 1e-4
    peak = int(np.argmax(stress))
    return {"strain": strain, "stress": stress, "max_stress": float(stress[peak]),
            "strain_at_max": float(strain[peak]), "atoms": result.atoms}


def plot_stress_strain(curves: dict, path) -> None:
    """PNG of {label: fracture result} curves."""
    from ase_dm2.analysis.plots import save_figure, subplots

    fig, ax = subplots(figsize=(5, 3.5))
    for label, curve in curves.items():
        ax.plot(curve["strain"], curve["stress"], label=label)
    ax.set(xlabel="strain", ylabel="true stress (GPa)", title="uniaxial tension")
    ax.legend()
    save_figure(fig, path)
