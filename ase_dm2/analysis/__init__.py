"""Figures of merit of amorphous structures."""
from ase_dm2.analysis.coordination import coordination_fractions, coordination_numbers, silica_defects

__all__ = ["coordination_fractions", "coordination_numbers", "silica_defects"]
