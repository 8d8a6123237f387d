"""The figures of merit that need MD (ase_dm2.analysis.figures.MEASURED), measured under a potential: analysis
runs no MD itself, so whoever holds the potential passes these in (analysis.compare's `measure`)."""
from ase_dm2.analysis.figures import VDOS_MAX_THZ
from ase_dm2.md.elastic import elastic_constants
from ase_dm2.md.refine import minimise
from ase_dm2.md.vibrations import vibrational_dos


def md_figures(potential, minimised_energy: bool = True, elastic: bool = False, vdos: bool = False):
    """A function Atoms -> {figure key: JSON-ready value} under `potential` (a LAMMPS preset or ASE calculator).

    minimised_energy: eV/atom after relaxing positions in the fixed cell (seconds to a minute per structure);
    elastic: the isotropic moduli K, G, E (GPa) and nu, positions minimised then six ±0.5 % strains (minutes per
    3,000 atoms);
    vdos: the vibrational DOS on the comparison grid, heat capacity and imaginary modes (minutes per structure).
    """
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
        return out

    return measure
