"""Generated against reference structures: every figure side by side, distances with baselines.

Distances between distributions are measured for each generated structure
against the mean of the references (gen-vs-sim), and for each reference
against the mean of the other references (sim-vs-sim, the baseline a good
generator should match). QUESTS overlap: generated against all references,
and each reference against the others.
"""
import json
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ase_dm2.analysis.distances import js_distance, l1_distance, r_factor
from ase_dm2.analysis.entropy import descriptors, overlap_fraction
from ase_dm2.analysis.figures import structure_figures
from ase_dm2.io.atomic import atomic_path


def _scalars(figures: dict) -> dict:
    """Flat {name: value} of the scalar figures of one structure."""
    flat = {"density (g/cm3)": figures.get("density"), "entropy (nats)": figures.get("entropy")}
    for pair, r in figures["first_peaks"].items():
        flat[f"first peak {pair} (Å)"] = r
    for name, value in figures.get("defects", {}).items():
        flat[name] = value
    if "crystallinity" in figures:
        flat["crystal-like environments"] = figures["crystallinity"]["crystal_like_fraction"]
        flat["flagged crystalline"] = float(figures["crystallinity"]["crystalline"])
    if "vdos" in figures:
        flat["heat capacity (kB/atom)"] = figures["vdos"]["heat_capacity_kB_per_atom"]
        flat["imaginary modes"] = figures["vdos"]["imaginary_modes"]
    for triplet, angle in figures.get("angles", {}).items():
        flat[f"{triplet} mean (deg)"] = angle["mean"]
        flat[f"{triplet} std (deg)"] = angle["std"]
    return {k: v for k, v in flat.items() if v is not None}


def _distributions(figures: dict) -> dict:
    """{name: (distance function, distribution as a dict of bin -> value)} of one structure."""
    out = {f"g(r) {pair}": (r_factor, dict(enumerate(g))) for pair, g in figures["rdf"].items() if pair != "r"}
    for triplet, angle in figures.get("angles", {}).items():
        out[f"angles {triplet}"] = (js_distance, dict(enumerate(angle["density"])))
    if "rings" in figures:
        total = sum(figures["rings"].values()) or 1
        out["rings"] = (l1_distance, {n: c / total for n, c in figures["rings"].items()})
    if "voronoi" in figures:
        out["voronoi motifs"] = (l1_distance, figures["voronoi"]["motifs"])
    if "vdos" in figures:
        dos = np.array(figures["vdos"]["dos"])
        out["VDOS"] = (l1_distance, dict(enumerate(dos / dos.sum())))
    return out


def _distance(name, one: dict, others: list) -> float:
    """Distance of one structure's distribution `name` to the mean of the others' (all as from _distributions)."""
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


def compare(generated, reference, entropy: bool = True, progress: bool = True, vdos=None) -> dict:
    """The comparison summary (JSON-ready) of two sets of structures.

    `vdos`: a function giving a structure's vibrational DOS (e.g. ase_dm2.md.vdos_for(potential)), whose
    owner holds the potential: analysis runs no MD itself.
    """
    if not generated or not reference:
        raise ValueError("compare needs at least one generated and one reference structure")
    every = list(generated) + list(reference)
    environments = [descriptors([a]) if entropy else None for a in every]  # QUESTS descriptors, once each
    figures = [structure_figures(a, entropy=entropy, vdos=None if vdos is None else vdos(a), environments=env)
               for a, env in tqdm(zip(every, environments), total=len(every), desc="analysing", disable=not progress)]
    gen, ref = figures[: len(generated)], figures[len(generated):]
    names = sorted(set().union(*(_scalars(f) for f in figures)))
    summary = {"generated": len(gen), "reference": len(ref), "scalars": {}, "distances": {}}
    for name in names:
        summary["scalars"][name] = {"generated": _mean_std(_scalars(f).get(name) for f in gen),
                                    "reference": _mean_std(_scalars(f).get(name) for f in ref)}
    gen_dist, ref_dist = [_distributions(f) for f in gen], [_distributions(f) for f in ref]
    for name in sorted(set(gen_dist[0]) & set(ref_dist[0])):
        summary["distances"][name] = {
            "gen_vs_sim": _mean_std(_distance(name, d, ref_dist) for d in gen_dist),
            "sim_vs_sim": _mean_std(_distance(name, d, ref_dist[:k] + ref_dist[k + 1:]) for k, d in enumerate(ref_dist))
            if len(ref) > 1 else [None, None],
        }
    if entropy:
        gen_env, ref_env = environments[: len(generated)], environments[len(generated):]
        summary["distances"]["QUESTS overlap"] = {
            "gen_vs_sim": _mean_std(overlap_fraction(y, np.concatenate(ref_env)) for y in gen_env),
            "sim_vs_sim": _mean_std(overlap_fraction(y, np.concatenate(ref_env[:k] + ref_env[k + 1:]))
                                    for k, y in enumerate(ref_env)) if len(ref_env) > 1 else [None, None],
        }
    summary["crystals"] = crystal_baselines(reference[0])
    summary["figures"] = {"generated": gen, "reference": ref}
    return summary


def _cell(value) -> str:
    mean, std = value
    return "–" if mean is None else f"{mean:.4g} ± {std:.2g}"


def markdown(summary: dict) -> str:
    lines = [f"# Comparison: {summary['generated']} generated vs {summary['reference']} reference structures", "",
             "## Figures (mean ± spread over structures)", "", "| figure | generated | reference |", "|---|---|---|"]
    lines += [f"| {k} | {_cell(v['generated'])} | {_cell(v['reference'])} |" for k, v in summary["scalars"].items()]
    lines += ["", "## Distances to the reference set", "",
              "R-factor for g(r), Jensen-Shannon distance for angles, L1 for rings and Voronoi motifs; "
              "QUESTS overlap is a fraction of environments (higher is closer).", "",
              "| distance | gen vs sim | sim vs sim (baseline) |", "|---|---|---|"]
    lines += [f"| {k} | {_cell(v['gen_vs_sim'])} | {_cell(v['sim_vs_sim'])} |" for k, v in summary["distances"].items()]
    if summary.get("crystals"):
        lines += ["", "## Crystal baselines", "", "| crystal | density (g/cm3) | entropy (nats) | rings |",
                  "|---|---|---|---|"]
        for name, c in summary["crystals"].items():
            rings = ", ".join(f"{n}: {k}" for n, k in c.get("rings", {}).items()) or "–"
            lines.append(f"| {name} | {c.get('density', float('nan')):.3f} | {c.get('entropy', float('nan')):.3f} "
                         f"| {rings} |")
    return "\n".join(lines) + "\n"


def write_report(summary: dict, out_dir) -> Path:
    """report.json, report.md and PNG plots in out_dir; returns the Markdown path."""
    from ase_dm2.analysis.plots import plot_summary

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "report.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=1))
    with atomic_path(out_dir / "report.md") as tmp:
        tmp.write_text(markdown(summary) + "\n" + "\n".join(f"![{p.stem}]({p.name})" for p in
                                                             plot_summary(summary, out_dir)) + "\n")
    return out_dir / "report.md"
