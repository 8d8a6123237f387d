"""The figures of merit that need MD (ase_dm2.analysis.figures.MEASURED), measured under a potential: analysis
runs no MD itself, so whoever holds the potential passes these in (analysis.compare's `measure`)."""
from typing import Optional

from ase_dm2.analysis.figures import VDOS_MAX_THZ
from ase_dm2.md.elastic import elastic_constants
from ase_dm2.md.fracture import fracture
from ase_dm2.md.refine import minimise
from ase_dm2.md.vibrations import vibrational_dos

TENSION_POINTS = 100


def md_figures(potential, minimised_energy: bool = True, elastic: bool = False, vdos: bool = False,
               tension: Optional[float] = None, strain_rate: float = 1e9):
    """A function Atoms -> {figure key: JSON-ready value} under `potential` (a LAMMPS preset or ASE calculator).

    minimised_energy: eV/atom after relaxing positions in the fixed cell (seconds to a minute per structure);
    elastic: the isotropic moduli K, G, E (GPa) and nu, positions minimised then six ±0.5 % strains (minutes per
    3,000 atoms);
    vdos: the vibrational DOS on the comparison grid, heat capacity and imaginary modes (minutes per structure);
    tension: pull the cell along z to this strain at `strain_rate` (1/s; 1e9 and 300 K as DM2's Fig. 5d): the
    true stress-strain curve (at most TENSION_POINTS points), the highest stress and its strain (17-22 minutes
    per 2,000 Cu-Zr atoms to 0.2 at 1e9 1/s on one shared core).
    """
    if tension is not None and not tension > 0:
        raise ValueError(f"the tension test needs a positive strain, got {tension}")

    def measure(atoms) -> dict:
        out = {}
        if minimised_energy:
            out["minimised_energy"] = float(minimise(atoms, potential).get_potential_energy() / len(atoms))
        if elastic:
            result = elastic_constants(atoms, potential, progress=False)
            out["moduli"] = {k: float(result[k]) for k in ("K", "G", "E", "nu")}
        if vdos:
            v = vibrational_dos(atoms, potential, max_frequency=VDOS_MAX_THZ)
            out["vdos"] = {"grid": v["grid"].tolist(), "dos": v["dos"].tolist(),
                           "imaginary_modes": v["imaginary_modes"],
                           "heat_capacity_kB_per_atom": v["heat_capacity_kB_per_atom"]}
        if tension:
            curve = fracture(atoms, potential, strain_rate=strain_rate, max_strain=tension, points=TENSION_POINTS,
                             progress=False)
            out["tension"] = {"strain": curve["strain"].tolist(), "stress": curve["stress"].tolist(),
                              "max_stress": curve["max_stress"], "strain_at_max": curve["strain_at_max"]}
        return out

    return measure
