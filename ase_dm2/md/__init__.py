"""Real molecular dynamics with LAMMPS on ASE Atoms: refinement, melt-quench, elastic constants, fracture."""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "elastic": ["elastic_constants", "isotropic_moduli", "stiffness_matrix"],
    "figures": ["md_figures"],
    "fracture": ["fracture", "fracture_slab", "plot_stress_strain"],
    "lammps": ["LammpsError", "lammps_command", "run_lammps"],
    "meltquench": ["melt_quench", "quench_ps"],
    "potentials": ["Potential", "cheng_sheng_cuzr", "custom", "eam_alloy", "jakse_sio2", "preset"],
    "refine": ["minimise", "refine", "refine_many", "refinement_potential", "single_point"],
    "vibrations": ["vibrational_dos"],
})
