"""Figures of merit of amorphous structures, and comparisons of generated with simulated ones."""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "angles": ["angle_distribution", "bond_angles"],
    "chemical_order": ["warren_cowley"],
    "coordination": ["coordination_fractions", "coordination_numbers", "silica_defects"],
    "entropy": ["differential_entropy", "overlap", "structure_entropy"],
    "figures": ["structure_figures"],
    "pdf": ["first_peak", "partial_rdfs"],
    "porous": ["nbo_surface_density", "pore_radius"],
    "report": ["compare", "write_report"],
    "rings": ["ring_statistics", "silica_rings"],
    "voronoi": ["face_fractions", "motif_fractions", "voronoi_analysis"],
})
