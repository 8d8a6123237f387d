"""Generated against reference structures: every figure side by side, distances with baselines.

Distances between distributions are measured for each generated structure
against the mean of the references (gen-vs-sim), and for each reference
against the mean of the other references (sim-vs-sim, the baseline a good
generator should match). QUESTS overlap: generated against all references,
and each reference against the others.
"""
import json
from functools import partial
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ase_dm2.analysis.entropy import descriptors, overlap_fraction
from ase_dm2.analysis.figures import FIGURES, distributions, scalars, structure_figures
from ase_dm2.analysis.plots import save_figure
from ase_dm2.io.atomic import atomic_path

SHORT = {"generated": "gen", "refined": "refined"}  # a set's name in the distance columns


def _distance(name, one: dict, others: list) -> float:
    """Distance of one structure's distribution `name` to the mean of the others' (as figures.distributions gives)."""
    function, values = one[name]
    keys = sorted(set(values).union(*(o[name][1] for o in others)), key=str)
    mean = np.mean([[o[name][1].get(k, 0.0) for k in keys] for o in others], axis=0)
    return function(np.array([values.get(k, 0.0) for k in keys]), mean)


def _mean_std(values) -> list:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return [float(np.mean(values)), float(np.std(values))] if values else [None, None]


def crystal_baselines(atoms) -> dict:
    """Density, rings and entropy of the reference crystals of this chemistry."""
    from ase_dm2.analysis.crystals import reference_crystals

    baselines = {}
    for name, crystal in reference_crystals(atoms).items():
        figures = structure_figures(crystal.repeat(3), entropy=True)
        baselines[name] = {k: figures[k] for k in ("density", "entropy", "rings") if k in figures}
    return baselines


def measure_structures(structures, entropy: bool = True, measure=None, progress: bool = True,
                       desc: str = "analysing") -> list:
    """[(figures, QUESTS descriptors or None)] of each structure; `measure` as for compare."""
    out = []
    for atoms in tqdm(structures, desc=desc, disable=not progress):
        environments = descriptors([atoms]) if entropy else None
        out.append((structure_figures(atoms, entropy=entropy, environments=environments,
                                      measured=None if measure is None else measure(atoms)), environments))
    return out


def _against_references(sets: dict, distance) -> dict:
    """{'<set>_vs_sim': mean ± spread of distance(item, references) over each set's items, 'sim_vs_sim': of each
    reference against the others (the baseline a good generator should match)}."""
    references = sets["reference"]
    out = {f"{SHORT[label]}_vs_sim": _mean_std(distance(item, references) for item in items)
           for label, items in sets.items() if label != "reference"}
    out["sim_vs_sim"] = _mean_std(distance(item, references[:k] + references[k + 1:])
                                  for k, item in enumerate(references)) if len(references) > 1 else [None, None]
    return out


def compare_measured(measured: dict) -> dict:
    """The comparison summary of sets already measured ({'generated': [...], 'refined': [...] (optional),
    'reference': [...]}, each as measure_structures returns)."""
    figures = {label: [f for f, _ in items] for label, items in measured.items()}
    summary = {**{label: len(items) for label, items in figures.items()}, "scalars": {}, "distances": {}}
    every = [f for items in figures.values() for f in items]
    for name in sorted(set().union(*(scalars(f) for f in every))):
        summary["scalars"][name] = {label: _mean_std(scalars(f).get(name) for f in items)
                                    for label, items in figures.items()}
    dists = {label: [distributions(f) for f in items] for label, items in figures.items()}
    for name in sorted(set.intersection(*(set(d[0]) for d in dists.values()))):
        summary["distances"][name] = _against_references(dists, partial(_distance, name))
    environments = {label: [e for _, e in items] for label, items in measured.items()}
    if all(e is not None for items in environments.values() for e in items):
        summary["distances"]["QUESTS overlap"] = _against_references(
            environments, lambda y, refs: overlap_fraction(y, np.concatenate(refs)))
    summary["figures"] = figures
    return summary


def compare(generated, reference, entropy: bool = True, progress: bool = True, measure=None,
            refined=None) -> dict:
    """The comparison summary (JSON-ready) of generated structures (and, if given, the same after MD refinement)
    with reference structures: each scalar figure's mean ± spread per set, and each distribution's distance to
    the references beside the references' own spread (sim_vs_sim).

    `measure`: a function Atoms -> {figure: value} of the figures that need MD (ase_dm2.md.md_figures(potential)),
    from whoever holds the potential: analysis runs no MD itself.
    """
    if not generated or not reference:
        raise ValueError("compare needs at least one generated and one reference structure")
    sets = {"generated": generated, "refined": refined, "reference": reference}
    measured = {label: measure_structures(items, entropy, measure, progress, desc=f"analysing {label}")
                for label, items in sets.items() if items is not None}
    summary = compare_measured(measured)
    summary["crystals"] = crystal_baselines(reference[0])
    return summary


def mean_spread(value) -> str:
    """'mean ± spread' of a [mean, spread] pair, or a dash where there is none."""
    mean, std = value
    return "–" if mean is None else f"{mean:.4g} ± {std:.2g}"


def markdown(summary: dict) -> str:
    sets = [label for label in ("generated", "refined", "reference") if label in summary]
    columns = [f"{SHORT[label]} vs sim" for label in sets[:-1]] + ["sim vs sim (baseline)"]
    keys = [f"{SHORT[label]}_vs_sim" for label in sets[:-1]] + ["sim_vs_sim"]
    title = " vs ".join(f"{summary[label]} {label}" for label in sets)
    lines = [f"# Comparison: {title} structures", "", "## Figures (mean ± spread over structures)", "",
             "| figure | " + " | ".join(sets) + " |", "|---" * (len(sets) + 1) + "|"]
    lines += [f"| {k} | " + " | ".join(mean_spread(v[label]) for label in sets) + " |"
              for k, v in summary["scalars"].items()]
    lines += ["", "## Distances to the reference set", "",
              "R-factor for g(r), Jensen-Shannon distance for angles, L1 for rings, Voronoi motifs and VDOS; "
              "QUESTS overlap is a fraction of environments (higher is closer).", "",
              "| distance | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {k} | " + " | ".join(mean_spread(v[key]) for key in keys) + " |"
              for k, v in summary["distances"].items()]
    if summary.get("crystals"):
        lines += ["", "## Crystal baselines", "", "| crystal | density (g/cm3) | entropy (nats) | rings |",
                  "|---|---|---|---|"]
        for name, c in summary["crystals"].items():
            rings = ", ".join(f"{n}: {k}" for n, k in c.get("rings", {}).items()) or "–"
            lines.append(f"| {name} | {c.get('density', float('nan')):.3f} | {c.get('entropy', float('nan')):.3f} "
                         f"| {rings} |")
    return "\n".join(lines) + "\n"


def plot_comparison(summary: dict, out_dir) -> list:
    """One PNG per plotted figure of merit, of the sets whose every structure has it (the references among them:
    e.g. only refined and reference structures are pulled in tension); returns the paths."""
    written = []
    for figure in FIGURES:
        sets = {name: fs for name, fs in summary["figures"].items() if fs and all(figure.key in f for f in fs)}
        if figure.plot and "reference" in sets:
            values = {name: [f[figure.key] for f in fs] for name, fs in sets.items()}
            written.append(save_figure(figure.plot(values, summary), Path(out_dir) / f"{figure.plot_name}.png"))
    return written


def write_report(summary: dict, out_dir) -> Path:
    """report.json, report.md and PNG plots in out_dir; returns the Markdown path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "report.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=1))
    with atomic_path(out_dir / "report.md") as tmp:
        tmp.write_text(markdown(summary) + "\n" + "\n".join(f"![{p.stem}]({p.name})" for p in
                                                             plot_comparison(summary, out_dir)) + "\n")
    return out_dir / "report.md"
