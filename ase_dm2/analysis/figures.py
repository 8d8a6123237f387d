"""All figures of merit of one structure, chosen by its chemistry (silica, metallic glass, other)."""
import numpy as np

from ase_dm2.analysis.angles import angle_distribution, bond_angles
from ase_dm2.analysis.coordination import SI_O_CUTOFF, silica_defects
from ase_dm2.analysis.crystals import crystallinity
from ase_dm2.analysis.entropy import descriptors, environment_entropy
from ase_dm2.analysis.pdf import first_peak, partial_rdfs
from ase_dm2.analysis.rings import silica_rings
from ase_dm2.analysis.voronoi import DEFAULT_RADII, face_fractions, motif_fractions, voronoi_analysis
from ase_dm2.density import density_of

SILICA_ANGLES = (("O", "Si", "O"), ("Si", "O", "Si"))
NONMETALS = {"H", "He", "B", "C", "N", "O", "F", "Ne", "Si", "P", "S", "Cl", "Ar", "Ge", "As", "Se", "Br", "Kr",
             "Sb", "Te", "I", "Xe", "At", "Rn"}
VDOS_MAX_THZ = 45.0  # one frequency grid for every structure, so curves compare bin by bin


def kind_of(atoms) -> str:
    """'silica' for Si-O structures, 'metallic' for structures of metals only, else 'generic'."""
    species = set(atoms.get_chemical_symbols())
    if species == {"Si", "O"}:
        return "silica"
    if not species & NONMETALS:
        return "metallic"
    return "generic"


def structure_figures(atoms, entropy: bool = True, ring_max_size: int = 10, vdos=None,
                      environments=None) -> dict:
    """A dict of figures: density, partial PDFs and peaks, entropy, and per-kind extras.

    Silica: coordination defects, NBO count, O-Si-O and Si-O-Si angles, rings.
    Metallic: Voronoi motifs and face fractions (radical, radii Cu 1.35, Zr 1.55 Å, for Cu-Zr; plain otherwise).
    With entropy, the crystallinity flag. `vdos`: the structure's vibrational DOS, if the caller computed one
    (a dict as ase_dm2.md.vibrational_dos returns, on the grid up to VDOS_MAX_THZ so that curves compare).
    `environments`: the structure's QUESTS descriptors, if already computed.
    """
    if len(atoms) == 0:
        raise ValueError("the structure has no atoms")
    kind = kind_of(atoms)
    figures = {"kind": kind, "atoms": len(atoms), "formula": atoms.get_chemical_formula()}
    if atoms.pbc.all():
        figures["density"] = density_of(atoms)
    rdf = partial_rdfs(atoms)
    figures["rdf"] = {"r": rdf["r"].tolist(), **{"-".join(k): rdf[k].tolist() for k in rdf if isinstance(k, tuple)}}
    figures["first_peaks"] = {"-".join(k): first_peak(rdf["r"], rdf[k]) for k in rdf if isinstance(k, tuple)}
    if entropy:
        environments = descriptors([atoms]) if environments is None else environments
        figures["entropy"] = environment_entropy(environments)
        figures["crystallinity"] = crystallinity(atoms, environments=environments)
    if kind == "silica":
        figures["defects"] = silica_defects(atoms, SI_O_CUTOFF)
        figures["angles"] = {}
        for triplet in SILICA_ANGLES:
            angles = bond_angles(atoms, triplet, {("Si", "O"): SI_O_CUTOFF})
            centres, density = angle_distribution(angles)
            figures["angles"]["-".join(triplet)] = {"mean": float(np.mean(angles)), "std": float(np.std(angles)),
                                                    "centres": centres.tolist(), "density": density.tolist()}
        figures["rings"] = {str(n): c for n, c in sorted(silica_rings(atoms, max_size=ring_max_size).items())}
    if kind == "metallic":
        species = set(atoms.get_chemical_symbols())
        voronoi = voronoi_analysis(atoms, DEFAULT_RADII if species <= set(DEFAULT_RADII) else None)
        indices = voronoi["indices"][voronoi["kept"]]
        figures["voronoi"] = {"motifs": motif_fractions(indices), "faces": face_fractions(indices)}
    if vdos is not None:
        figures["vdos"] = {"grid": vdos["grid"].tolist(), "dos": vdos["dos"].tolist(),
                           "imaginary_modes": vdos["imaginary_modes"],
                           "heat_capacity_kB_per_atom": vdos["heat_capacity_kB_per_atom"]}
    return figures
