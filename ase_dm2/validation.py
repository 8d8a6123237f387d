"""Validation reports of models: generated structures against simulated (or experimental) ones.

`validate(model, references, out_dir, ...)` generates samples, refines them
with MD as DM2 does (25 ps NVT + 25 ps NPT), compares them before and after
refinement with the references on every figure of merit (analysis.report),
including the energy after minimising and the elastic moduli, tabulates how
the figures converge with the refinement length, follows trends across
cooling rates (conditional models), checks DM2's quality bar for silica, and
writes report.md with PNG plots and report.json.
`ase-dm2 validate` runs it for a bundled model with its reference data.
"""
import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from tqdm.auto import tqdm

from ase_dm2.analysis.angles import bond_angles
from ase_dm2.analysis.coordination import SI_O_CUTOFF
from ase_dm2.analysis.entropy import structure_entropy
from ase_dm2.analysis.figures import kind_of
from ase_dm2.analysis.plots import save_figure, subplots
from ase_dm2.analysis.report import (compare_measured, crystal_baselines, markdown, mean_spread, measure_structures,
                                     write_report)
from ase_dm2.density import density_of
from ase_dm2.io.atomic import atomic_path
from ase_dm2.runtime import processor_name
from ase_dm2.sampling.generate import generate
from ase_dm2.sampling.samplers import make_sampler
from ase_dm2.sampling.schedule import NoiseSchedule

MODULI = ("K", "G", "E", "nu")
# the convergence table's columns, where the structures have them (plus every g(r) R-factor)
CONVERGENCE_SCALARS = ("density (g/cm3)", "si_fourfold", "o_twofold", "energy after minimising (eV/atom)")
CONVERGENCE_DISTANCES = ("QUESTS overlap", "voronoi motifs")
TREND_RATES = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)
# DM2's quality bar for a-SiO2 (3,000 atoms, 1 K/ps, before refinement)
SI_FOURFOLD_BAR, O_TWOFOLD_BAR, OVERLAP_MARGIN = 0.995, 0.99, 0.02


@dataclass
class ValidationSettings:
    """Sizes of a validation run; the defaults are the committed reports' (hours on one CPU core)."""

    n_atoms: int = 3000
    samples: int = 3
    sampler: object = NoiseSchedule()  # a sampler (ase_dm2.sampling.samplers), or DM2's along this schedule
    rate: Optional[float] = 1.0  # the main comparison's cooling rate (conditional models)
    trend_rates: tuple = TREND_RATES
    trend_samples: int = 1
    trend_sampler: object = None  # default: `sampler`
    refine: bool = True  # with a potential: every figure also after MD refinement (nvt_ps, then npt_ps, at 300 K)
    nvt_ps: float = 25.0
    npt_ps: float = 25.0
    elastic: bool = True  # with a potential: elastic moduli of every structure
    tension: Optional[float] = None  # with a potential: pull refined (else generated) and references to this strain
    convergence: tuple = ()  # refinement lengths L (L ps NVT + L ps NPT) of the convergence table, e.g. (0, 2, 5)
    entropy: bool = True
    seed: int = 0


def trend_figures(atoms) -> dict:
    """Density, mean Si-O-Si angle (silica) and QUESTS entropy of one structure."""
    out = {"density": density_of(atoms), "entropy": structure_entropy(atoms)}
    if kind_of(atoms) == "silica":
        out["Si-O-Si"] = float(np.mean(bond_angles(atoms, ("Si", "O", "Si"), {("Si", "O"): SI_O_CUTOFF})))
    return out


def _trends(model, references: dict, settings: ValidationSettings, progress: bool) -> dict:
    """{'generated': {rate: [figures]}, 'reference': {rate: [figures]}} across cooling rates."""
    sampler = settings.trend_sampler or settings.sampler
    generated = {}
    for rate in tqdm(settings.trend_rates, desc="cooling-rate trend", disable=not progress):
        samples = generate(model, n_atoms=settings.n_atoms, rate=rate, sampler=sampler, seed=settings.seed + 100,
                           n_samples=settings.trend_samples, progress=False)
        generated[rate] = [trend_figures(a) for a in samples]
    reference = {rate: [trend_figures(a) for a in structures] for rate, structures in references.items()}
    return {"generated": generated, "reference": reference}


def quality_bar(summary: dict) -> list:
    """[(criterion, generated, target, met)] of DM2's a-SiO2 bar, for what the summary holds: coordination and
    overlap before refinement, elastic moduli after it."""
    rows = []
    gen = summary["figures"]["generated"]
    if all("defects" in f for f in gen):
        si = [f["defects"]["si_fourfold"] for f in gen]
        o = [f["defects"]["o_twofold"] for f in gen]
        rows.append(("Si fourfold", f"{100 * np.mean(si):.2f} % (lowest {100 * min(si):.2f} %)",
                     f">= {100 * SI_FOURFOLD_BAR:.1f} %", bool(np.mean(si) >= SI_FOURFOLD_BAR)))
        rows.append(("O twofold", f"{100 * np.mean(o):.2f} % (lowest {100 * min(o):.2f} %)",
                     f">= {100 * O_TWOFOLD_BAR:.1f} %", bool(np.mean(o) >= O_TWOFOLD_BAR)))
    overlap = summary["distances"].get("QUESTS overlap")
    if overlap and overlap["sim_vs_sim"][0] is not None:
        gap = overlap["sim_vs_sim"][0] - overlap["gen_vs_sim"][0]
        rows.append(("QUESTS overlap gen-vs-sim", f"{overlap['gen_vs_sim'][0]:.3f}",
                     f"within {100 * OVERLAP_MARGIN:.0f} points of sim-vs-sim {overlap['sim_vs_sim'][0]:.3f}",
                     bool(gap <= OVERLAP_MARGIN)))
    refined, reference = summary["figures"].get("refined", []), summary["figures"]["reference"]
    if refined and all("moduli" in f for f in refined + reference):
        for key in MODULI:
            ref = [f["moduli"][key] for f in reference]
            values = [f["moduli"][key] for f in refined]
            inside = all(min(ref) <= v <= max(ref) for v in values)
            unit = "" if key == "nu" else " GPa"
            rows.append((f"{key} after refinement", ", ".join(f"{v:.3g}" for v in values) + unit,
                         f"within {min(ref):.3g}-{max(ref):.3g}{unit}", inside))
    return rows


def refinement_convergence(generated: list, reference: list, potential, lengths, known: dict = None,
                           entropy: bool = True, progress: bool = True) -> dict:
    """{L: comparison summary} of the generated structures after L ps NVT + L ps NPT (0: as generated) against
    the references (`reference`: as measure_structures returns, measured once); `known`: {L: measured set}
    already at hand (e.g. the main comparison's), reused instead of refined again."""
    from ase_dm2.md import md_figures, refine_many

    measure = md_figures(potential)
    out = {}
    for length in tqdm(lengths, desc="refinement convergence", disable=not progress):
        measured = (known or {}).get(length)
        if measured is None:
            structures = generated if length == 0 else refine_many(generated, potential, nvt_ps=length,
                                                                    npt_ps=length, progress=False)
            measured = measure_structures(structures, entropy, measure, progress=False)
        out[length] = compare_measured({"generated": measured, "reference": reference})
    return out


def _convergence_table(convergence: dict) -> list:
    """Markdown rows: each convergence figure at each refinement length, and the simulations' mean ± spread."""
    any_summary = next(iter(convergence.values()))
    scalars = [k for k in CONVERGENCE_SCALARS if k in any_summary["scalars"]]
    distances = [k for k in any_summary["distances"] if k in CONVERGENCE_DISTANCES or k.startswith("g(r)")]
    lines = ["| refinement (ps NVT + NPT) | " + " | ".join(scalars + [f"{d} vs sim" for d in distances]) + " |",
             "|---" * (1 + len(scalars) + len(distances)) + "|"]
    for length, summary in convergence.items():
        cells = [mean_spread(summary["scalars"][k]["generated"]) for k in scalars]
        cells += [mean_spread(summary["distances"][k]["gen_vs_sim"]) for k in distances]
        lines.append(f"| {length:g} + {length:g} | " + " | ".join(cells) + " |")
    cells = [mean_spread(any_summary["scalars"][k]["reference"]) for k in scalars]
    cells += [mean_spread(any_summary["distances"][k]["sim_vs_sim"]) for k in distances]
    return lines + ["| simulations (sim vs sim) | " + " | ".join(cells) + " |"]


def plot_trends(trends: dict, out_dir: Path) -> Path:
    """Density, Si-O-Si angle and entropy against cooling rate: generated points, simulated mean and spread."""
    names = [n for n in ("density", "Si-O-Si", "entropy") if any(n in f for fs in trends["generated"].values()
                                                                  for f in fs)]
    labels = {"density": "density (g/cm³)", "Si-O-Si": "mean Si-O-Si angle (deg)", "entropy": "QUESTS entropy (nats)"}
    fig, axes = subplots(1, len(names), figsize=(4 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        for key, style, label in (("reference", "s-", "simulated"), ("generated", "o--", "generated")):
            rates = sorted(trends[key])
            if not rates:
                continue
            values = [[f[name] for f in trends[key][r]] for r in rates]
            ax.errorbar(rates, [np.mean(v) for v in values], yerr=[np.std(v) for v in values], fmt=style,
                        color="k" if key == "reference" else "tab:red", capsize=3, label=label)
        ax.set(xscale="log", xlabel="cooling rate (K/ps)", ylabel=labels[name])
    axes[0][0].legend(fontsize=8)
    return save_figure(fig, out_dir / "trends.png")


def _trend_table(trends: dict) -> list:
    names = [n for n in ("density", "Si-O-Si", "entropy") if any(n in f for fs in trends["generated"].values()
                                                                  for f in fs)]
    lines = ["| rate (K/ps) | " + " | ".join(f"{n} generated | {n} simulated" for n in names) + " |",
             "|---" * (1 + 2 * len(names)) + "|"]
    for rate in sorted(set(trends["generated"]) | set(trends["reference"])):
        cells = []
        for name in names:
            for key in ("generated", "reference"):
                values = [f[name] for f in trends[key].get(rate, [])]
                cells.append(f"{np.mean(values):.4g} ± {np.std(values):.2g}" if values else "–")
        lines.append(f"| {rate:g} | " + " | ".join(cells) + " |")
    return lines


def _provenance_lines(model) -> list:
    p = model.provenance
    batch = p.get("settings", {}).get("batch_size", "?")
    kind = "conditional on cooling rate" if model.conditional else "unconditional"
    losses = (f"final losses train {p.get('final_train_loss', float('nan')):.4g}, "
              f"validation {p.get('final_validation_loss', float('nan')):.4g} Å²")
    lines = [f"- architecture {model.architecture}, {sum(q.numel() for q in model.parameters()):,} parameters, "
             f"species {', '.join(model.species)}, {kind}",
             f"- trained on {p.get('hardware', p.get('device', '?'))} for {p.get('steps', '?')} steps (batch {batch}) "
             f"on {p.get('num_train', '?')} structures; {losses}"]
    return lines + [f"- note: {note}" for note in p.get("notes", [])]


def validate(model, references, out_dir, settings: ValidationSettings = None, potential=None,
             reference_trends: Optional[dict] = None, name: str = "model", command: str = "",
             progress: bool = True) -> Path:
    """Write out_dir/report.md (+ report.json, PNGs, generated.extxyz, refined.extxyz); returns its path.

    references: the structures to compare with at `settings.rate` (or any, for unconditional models);
    reference_trends: {rate: structures} for the cooling-rate trends (conditional models);
    potential: a LAMMPS potential or ASE calculator for the refinement, minimised energies and elastic moduli
    (None skips all MD).
    """
    settings = settings or ValidationSettings()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rate = settings.rate if model.conditional else None
    sampler = make_sampler(settings.sampler, model)
    generated = generate(model, n_atoms=settings.n_atoms, rate=rate, sampler=sampler,
                         seed=settings.seed, n_samples=settings.samples, progress=progress)
    _write(out_dir / "generated.extxyz", generated)
    refined = None
    if potential is not None and settings.refine:
        from ase_dm2.md import refine_many

        refined = refine_many(generated, potential, nvt_ps=settings.nvt_ps, npt_ps=settings.npt_ps,
                              progress=progress)
        _write(out_dir / "refined.extxyz", refined)
    measure = unpulled = None
    if potential is not None:
        from ase_dm2.md import md_figures

        measure = md_figures(potential, elastic=settings.elastic, tension=settings.tension)
        # DM2 pulls the refined structures (Fig. 5d): the as-generated ones are not pulled when refined ones exist
        unpulled = md_figures(potential, elastic=settings.elastic) if refined is not None else measure
    measured = {label: measure_structures(structures, settings.entropy, how, progress, f"analysing {label}")
                for label, structures, how in (("generated", generated, unpulled), ("refined", refined, measure),
                                               ("reference", references, measure))
                if structures is not None}
    summary = compare_measured(measured)
    summary["crystals"] = crystal_baselines(references[0])
    write_report(summary, out_dir / "comparison")
    convergence = None
    if potential is not None and settings.convergence:
        known = {0: measured["generated"]}
        if refined is not None and settings.nvt_ps == settings.npt_ps:
            known[settings.nvt_ps] = measured["refined"]
        convergence = refinement_convergence(generated, measured["reference"], potential, settings.convergence,
                                             known, settings.entropy, progress)
    trends = None
    if model.conditional and settings.trend_rates and reference_trends is not None:
        trends = _trends(model, reference_trends, settings, progress)
        plot_trends(trends, out_dir)
    bar = quality_bar(summary) if kind_of(generated[0]) == "silica" else []

    md = (f", refined with MD ({settings.nvt_ps:g} ps NVT + {settings.npt_ps:g} ps NPT at 300 K)"
          if refined is not None else "")
    lines = [f"# Validation of the {name} model", "",
             f"Generated {settings.samples} x {settings.n_atoms} atoms"
             + (f" at {rate:g} K/ps" if rate is not None else "")
             + f" with {sampler.calls} network calls per sample ({sampler.describe()}){md}, compared with "
             f"{len(references)} reference structures, each figure beside the references' own spread.", ""]
    lines += _provenance_lines(model)
    lines += [f"- {datetime.date.today().isoformat()}, {processor_name()}, "
              f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)"]
    if command:
        lines += [f"- regenerate with `{command}`"]
    if bar:
        lines += ["", "## DM2's quality bar", "", "| criterion | generated | target | met |", "|---|---|---|---|"]
        lines += [f"| {c} | {g} | {t} | {'yes' if met else '**no**'} |" for c, g, t, met in bar]
    plots = sorted((out_dir / "comparison").glob("*.png"))
    lines += ["", "## Generated against reference", ""]
    if measure is not None:
        lines += ["Energies after minimising positions in the fixed cell"
                  + (", elastic moduli after minimising positions and six ±0.5 % strains (Hill averages)"
                     if settings.elastic else "")
                  + (f", true stress-strain curves pulling along z to {settings.tension:g} strain at 1e9 1/s and 300 K"
                     + (" (refined and reference structures)" if refined is not None else "")
                     if settings.tension else "") + f", under the {_potential_name(potential)} potential.", ""]
    lines += [markdown(summary).split("\n", 1)[1].replace("## ", "### "),
              "Plots (generated red" + (", refined orange" if refined is not None else "") + ", reference blue): "
              + ", ".join(f"[{p.stem}](comparison/{p.name})" for p in plots), ""]
    lines += [f"![{p.stem}](comparison/{p.name})" for p in plots]
    if convergence:
        lines += ["", "## Convergence with the refinement length", "",
                  "The same generated structures after L ps NVT + L ps NPT at 300 K; pick the shortest refinement "
                  "whose figures reach the simulations' row.", ""]
        lines += _convergence_table(convergence)
    if trends:
        lines += ["", "## Cooling-rate trends", "",
                  f"{settings.trend_samples} generated sample(s) of {settings.n_atoms} atoms per rate; the density is "
                  "the model's linear fit on log10(rate), outside the training range an extrapolation.", ""]
        lines += _trend_table(trends) + ["", "![trends](trends.png)"]
    report = {"name": name, "quality_bar": bar,
              "trends": trends and {k: {str(r): v for r, v in t.items()} for k, t in trends.items()},
              "comparison": {k: summary[k] for k in ("scalars", "distances")},
              "convergence": convergence and {f"{length:g}": {k: c[k] for k in ("scalars", "distances")}
                                              for length, c in convergence.items()}}
    with atomic_path(out_dir / "report.json") as tmp:
        tmp.write_text(json.dumps(report, indent=1))
    with atomic_path(out_dir / "report.md") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return out_dir / "report.md"


def _write(path: Path, structures) -> None:
    import ase.io

    with atomic_path(path) as tmp:
        ase.io.write(tmp, structures, format="extxyz")


def _potential_name(potential) -> str:
    return getattr(potential, "name", None) or type(potential).__name__
