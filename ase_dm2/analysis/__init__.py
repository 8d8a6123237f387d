"""Figures of merit of amorphous structures, and comparisons of generated with simulated ones."""
from ase_dm2.analysis.angles import angle_distribution, bond_angles
from ase_dm2.analysis.coordination import coordination_fractions, coordination_numbers, silica_defects
from ase_dm2.analysis.entropy import differential_entropy, overlap, structure_entropy
from ase_dm2.analysis.figures import structure_figures
from ase_dm2.analysis.pdf import first_peak, partial_rdfs
from ase_dm2.analysis.porous import nbo_surface_density, pore_radius
from ase_dm2.analysis.report import compare, write_report
from ase_dm2.analysis.rings import ring_statistics, silica_rings
from ase_dm2.analysis.voronoi import face_fractions, motif_fractions, voronoi_analysis

__all__ = [
    "angle_distribution", "bond_angles", "compare", "coordination_fractions", "coordination_numbers",
    "differential_entropy", "face_fractions", "first_peak", "motif_fractions", "nbo_surface_density",
    "overlap", "partial_rdfs", "pore_radius", "ring_statistics", "silica_defects", "silica_rings",
    "structure_entropy", "structure_figures", "voronoi_analysis", "write_report",
]
