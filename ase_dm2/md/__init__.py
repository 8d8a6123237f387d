"""Real molecular dynamics with LAMMPS on ASE Atoms: refinement, melt-quench, elastic constants, fracture."""
from ase_dm2.md.elastic import elastic_constants, isotropic_moduli, stiffness_matrix
from ase_dm2.md.fracture import fracture, fracture_slab, plot_stress_strain
from ase_dm2.md.lammps import LammpsError, lammps_command, run_lammps
from ase_dm2.md.meltquench import melt_quench, quench_ps
from ase_dm2.md.potentials import Potential, cheng_sheng_cuzr, custom, jakse_sio2, preset
from ase_dm2.md.refine import minimise, refine, single_point
from ase_dm2.md.vibrations import vdos_for, vibrational_dos

__all__ = [
    "LammpsError", "Potential", "cheng_sheng_cuzr", "custom", "elastic_constants", "fracture", "fracture_slab",
    "isotropic_moduli", "jakse_sio2", "lammps_command", "melt_quench", "minimise", "plot_stress_strain", "preset",
    "quench_ps", "refine", "run_lammps", "single_point", "stiffness_matrix", "vdos_for", "vibrational_dos",
]
