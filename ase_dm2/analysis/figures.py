"""Every figure of merit, each defined once: how it is computed from a structure, the scalars it gives the
tables (their labels carry the unit), the distributions compared between structure sets (with which distance),
and how it is plotted. `structure_figures` measures one structure; analysis.report compares sets with FIGURES.
"""
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Optional

import numpy as np

from ase_dm2.analysis import plots
from ase_dm2.analysis.angles import angle_distribution, bond_angles
from ase_dm2.analysis.chemical_order import warren_cowley
from ase_dm2.analysis.coordination import SI_O_CUTOFF, silica_defects
from ase_dm2.analysis.crystals import crystallinity
from ase_dm2.analysis.distances import js_distance, l1_distance, r_factor
from ase_dm2.analysis.entropy import descriptors, environment_entropy
from ase_dm2.analysis.pdf import first_minimum, first_peak, partial_rdfs
from ase_dm2.analysis.region import region_mask
from ase_dm2.analysis.rings import silica_rings
from ase_dm2.analysis.voronoi import DEFAULT_RADII, face_fractions, motif_fractions, voronoi_analysis
from ase_dm2.density import density_of

SILICA_ANGLES = (("O", "Si", "O"), ("Si", "O", "Si"))
NONMETALS = {"H", "He", "B", "C", "N", "O", "F", "Ne", "Si", "P", "S", "Cl", "Ar", "Ge", "As", "Se", "Br", "Kr",
             "Sb", "Te", "I", "Xe", "At", "Rn"}
VDOS_MAX_THZ = 45.0  # one frequency grid for every structure, so curves compare bin by bin
KINDS = ("silica", "metallic", "generic")
RING_MAX_SIZE = 10
ICOSAHEDRON = (0, 0, 12, 0)  # <n3,n4,n5,n6> of a full icosahedron


def kind_of(atoms) -> str:
    """'silica' for Si-O structures, 'metallic' for structures of metals only, else 'generic'."""
    species = set(atoms.get_chemical_symbols())
    if species == {"Si", "O"}:
        return "silica"
    if not species & NONMETALS:
        return "metallic"
    return "generic"


class Structure:
    """One structure with what several figures share, each computed once when first asked for: `atoms` are the
    atoms its figures count (analysis.region), `whole` the structure they sit in."""

    def __init__(self, atoms, environments=None):
        self.whole = atoms
        self.mask = region_mask(atoms)
        self.atoms = atoms if self.mask is None else atoms[self.mask]
        self.kind = kind_of(atoms)
        if environments is not None:
            self.environments = environments

    @cached_property
    def rdf(self) -> dict:
        return partial_rdfs(self.atoms)

    @cached_property
    def environments(self):
        """QUESTS descriptors of the counted atoms, in the whole structure."""
        return descriptors([self.whole])


@dataclass(frozen=True)
class FigureOfMerit:
    """One figure: its key in a structure's figures (and report.json), and how it is computed, compared, plotted.

    compute: Structure -> JSON-ready value, or None where it does not apply; no compute means the figure needs MD,
    and whoever holds the potential measures it (structure_figures' `measured`).
    scalars: value -> {label with unit: number}, shown as mean ± spread over each set.
    distributions: value -> {label: (distance function, {bin: weight})}, each compared with the other set's mean.
    plot: ({"generated": [values], "reference": [values]}, comparison summary) -> matplotlib Figure, saved as
    `plot_name`.png.
    """

    key: str
    compute: Optional[Callable] = None
    kinds: tuple = KINDS
    needs_entropy: bool = False
    scalars: Callable = lambda value: {}
    distributions: Callable = lambda value: {}
    plot: Optional[Callable] = None
    plot_name: str = ""


def _rdf(s: Structure) -> dict:
    return {"r": s.rdf["r"].tolist(), **{"-".join(k): s.rdf[k].tolist() for k in s.rdf if isinstance(k, tuple)}}


def _angles(s: Structure) -> dict:
    out = {}
    for triplet in SILICA_ANGLES:
        angles = bond_angles(s.atoms, triplet, {("Si", "O"): SI_O_CUTOFF})
        centres, density = angle_distribution(angles)
        out["-".join(triplet)] = {"mean": float(np.mean(angles)), "std": float(np.std(angles)),
                                  "centres": centres.tolist(), "density": density.tolist()}
    return out


def _voronoi(s: Structure) -> dict:
    """Radical Voronoi with Cu 1.35, Zr 1.55 Å radii for Cu-Zr, plain otherwise: motifs, face fractions, the
    full icosahedra's share (<0,0,12,0>, which DM2 under-represents for Cu-Zr) and each element's mean atomic
    volume, over the counted atoms kept (a finite particle's surface excluded), tessellated in the whole structure."""
    species = set(s.whole.get_chemical_symbols())
    voronoi = voronoi_analysis(s.whole, DEFAULT_RADII if species <= set(DEFAULT_RADII) else None)
    kept = voronoi["kept"] if s.mask is None else voronoi["kept"] & s.mask
    indices, symbols, volumes = voronoi["indices"][kept], voronoi["symbols"][kept], voronoi["volumes"][kept]
    return {"motifs": motif_fractions(indices), "faces": face_fractions(indices),
            "icosahedra": float(np.mean(np.all(indices == ICOSAHEDRON, axis=1))),
            "volumes": {str(e): float(volumes[symbols == e].mean()) for e in sorted(set(symbols))}}


def _voronoi_scalars(v: dict) -> dict:
    return {**{f"{k[1]}-edged Voronoi faces": f for k, f in v["faces"].items()},
            "<0,0,12,0> fraction": v["icosahedra"],
            **{f"atomic volume {e} (Å3)": volume for e, volume in v["volumes"].items()}}


def _chemical_order(s: Structure) -> Optional[dict]:
    """Warren-Cowley parameters of the like pairs within the first shell (the total g(r)'s first minimum)."""
    species = sorted(set(s.atoms.get_chemical_symbols()))
    if len(species) < 2:
        return None
    cutoff = first_minimum(s.rdf["r"], s.rdf["total"])
    alpha = warren_cowley(s.atoms, cutoff)
    return {"cutoff": cutoff, **{f"{a}-{a}": alpha[(a, a)] for a in species}}


def _normalised(values: dict) -> dict:
    total = sum(values.values()) or 1
    return {k: v / total for k, v in values.items()}


FIGURES = (
    FigureOfMerit("density", lambda s: density_of(s.atoms) if s.atoms.pbc.all() else None,
                  scalars=lambda v: {"density (g/cm3)": v}),
    FigureOfMerit("rdf", _rdf, distributions=lambda v: {f"g(r) {pair}": (r_factor, dict(enumerate(g)))
                                                         for pair, g in v.items() if pair != "r"},
                  plot=plots.plot_pdfs, plot_name="pdfs"),
    FigureOfMerit("first_peaks", lambda s: {"-".join(k): first_peak(s.rdf["r"], s.rdf[k])
                                            for k in s.rdf if isinstance(k, tuple)},
                  scalars=lambda v: {f"first peak {pair} (Å)": r for pair, r in v.items()}),
    FigureOfMerit("entropy", lambda s: environment_entropy(s.environments), needs_entropy=True,
                  scalars=lambda v: {"entropy (nats)": v}, plot=plots.plot_entropy, plot_name="entropy"),
    FigureOfMerit("crystallinity", lambda s: crystallinity(s.atoms, environments=s.environments),
                  needs_entropy=True,
                  scalars=lambda v: {"crystal-like environments": v["crystal_like_fraction"],
                                     "flagged crystalline": float(v["crystalline"])}),
    FigureOfMerit("defects", lambda s: silica_defects(s.atoms, SI_O_CUTOFF), kinds=("silica",),
                  scalars=dict),
    FigureOfMerit("angles", _angles, kinds=("silica",),
                  scalars=lambda v: {f"{t} {stat} (deg)": a[stat] for t, a in v.items() for stat in ("mean", "std")},
                  distributions=lambda v: {f"angles {t}": (js_distance, dict(enumerate(a["density"])))
                                           for t, a in v.items()},
                  plot=plots.plot_angles, plot_name="angles"),
    FigureOfMerit("rings", lambda s: {str(n): c for n, c in sorted(silica_rings(s.atoms,
                                                                                max_size=RING_MAX_SIZE).items())},
                  kinds=("silica",), distributions=lambda v: {"rings": (l1_distance, _normalised(v))},
                  plot=plots.plot_rings, plot_name="rings"),
    FigureOfMerit("chemical_order", _chemical_order, kinds=("metallic",),
                  scalars=lambda v: {f"Warren-Cowley {pair}": a for pair, a in v.items() if pair != "cutoff"}),
    FigureOfMerit("voronoi", _voronoi, kinds=("metallic",),
                  scalars=_voronoi_scalars, distributions=lambda v: {"voronoi motifs": (l1_distance, v["motifs"])},
                  plot=plots.plot_voronoi, plot_name="voronoi"),
    FigureOfMerit("minimised_energy", scalars=lambda v: {"energy after minimising (eV/atom)": v}),
    FigureOfMerit("moduli", scalars=lambda v: {**{f"{k} (GPa)": v[k] for k in ("K", "G", "E")}, "nu": v["nu"]}),
    FigureOfMerit("tension", scalars=lambda v: {"max tensile stress (GPa)": v["max_stress"],
                                                "strain at max stress": v["strain_at_max"]},
                  plot=plots.plot_tension, plot_name="tension"),
    FigureOfMerit("vdos", scalars=lambda v: {"heat capacity (kB/atom)": v["heat_capacity_kB_per_atom"],
                                             "imaginary modes": v["imaginary_modes"]},
                  distributions=lambda v: {"VDOS": (l1_distance, dict(enumerate(np.array(v["dos"])
                                                                                / np.sum(v["dos"]))))},
                  plot=plots.plot_vdos, plot_name="vdos"),
)
MEASURED = tuple(f.key for f in FIGURES if f.compute is None)


def structure_figures(atoms, entropy: bool = True, environments=None, measured: Optional[dict] = None) -> dict:
    """{'kind', 'atoms', 'formula', then every figure of FIGURES that applies to this structure's kind}.

    entropy: also the QUESTS entropy and the crystallinity flag (`environments`: the QUESTS descriptors, if
    already computed). measured: the figures that need MD, JSON-ready, from whoever holds the potential
    (ase_dm2.md.md_figures).
    """
    if len(atoms) == 0:
        raise ValueError("the structure has no atoms")
    unknown = set(measured or {}) - set(MEASURED)
    if unknown:
        raise ValueError(f"unknown measured figure(s) {sorted(unknown)}: the measured figures are {list(MEASURED)}")
    structure = Structure(atoms, environments)
    figures = {"kind": structure.kind, "atoms": len(structure.atoms), "formula": structure.atoms.get_chemical_formula()}
    for figure in FIGURES:
        if figure.compute is None or structure.kind not in figure.kinds or (figure.needs_entropy and not entropy):
            continue
        value = figure.compute(structure)
        if value is not None:
            figures[figure.key] = value
    figures.update(measured or {})
    return figures


def scalars(figures: dict) -> dict:
    """{label: number} of every scalar of one structure's figures."""
    return {label: value for f in FIGURES if f.key in figures for label, value in f.scalars(figures[f.key]).items()}


def distributions(figures: dict) -> dict:
    """{label: (distance function, {bin: weight})} of every compared distribution of one structure's figures."""
    return {label: d for f in FIGURES if f.key in figures for label, d in f.distributions(figures[f.key]).items()}
