"""Validation reports of models: generated structures against simulated (or experimental) ones.

`validate(model, references, out_dir, ...)` generates samples, compares them
with the references on every figure of merit (ase_dm2.analysis.compare),
refines them with LAMMPS and compares elastic moduli with the references',
follows trends across cooling rates (conditional models), checks DM2's
quality bar for silica, and writes report.md with PNG plots and report.json.
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
from ase_dm2.analysis.report import compare, markdown, write_report
from ase_dm2.density import density_of
from ase_dm2.io.atomic import atomic_path
from ase_dm2.runtime import processor_name
from ase_dm2.sampling.generate import generate
from ase_dm2.sampling.samplers import make_sampler
from ase_dm2.sampling.schedule import NoiseSchedule

MODULI = ("K", "G", "E", "nu")
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
    elastic: bool = True  # refine (25 ps NVT + 25 ps NPT) and compute moduli; needs a potential
    entropy: bool = True
    seed: int = 0


def trend_figures(atoms) -> dict:
    """Density, mean Si-O-Si angle (silica) and QUESTS entropy of one structure."""
    out = {"density": density_of(atoms), "entropy": structure_entropy(atoms)}
    if kind_of(atoms) == "silica":
        out["Si-O-Si"] = float(np.mean(bond_angles(atoms, ("Si", "O", "Si"), {("Si", "O"): SI_O_CUTOFF})))
    return out


def _moduli(structures, potential, refine_first: bool, progress: bool) -> list:
    from ase_dm2.md import elastic_constants, refine

    rows = []
    for atoms in tqdm(structures, desc="elastic moduli", disable=not progress):
        if refine_first:
            atoms = refine(atoms, potential, progress=progress)
        result = elastic_constants(atoms, potential, progress=progress)
        rows.append({k: result[k] for k in MODULI})
    return rows


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


def quality_bar(summary: dict, moduli: Optional[dict]) -> list:
    """[(criterion, generated, target, met)] of DM2's a-SiO2 bar, for what the summary holds."""
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
    if moduli and moduli["generated"] and moduli["reference"]:
        for key in MODULI:
            ref = [m[key] for m in moduli["reference"]]
            values = [m[key] for m in moduli["generated"]]
            inside = all(min(ref) <= v <= max(ref) for v in values)
            unit = "" if key == "nu" else " GPa"
            rows.append((f"{key} after refinement", ", ".join(f"{v:.3g}" for v in values) + unit,
                         f"within {min(ref):.3g}-{max(ref):.3g}{unit}", inside))
    return rows


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


def _moduli_table(moduli: dict) -> list:
    lines = ["| structure | K (GPa) | G (GPa) | E (GPa) | nu |", "|---|---|---|---|---|"]
    for key, label in (("generated", "generated, refined"), ("reference", "simulated")):
        for k, m in enumerate(moduli[key]):
            lines.append(f"| {label} {k} | {m['K']:.1f} | {m['G']:.1f} | {m['E']:.1f} | {m['nu']:.3f} |")
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
    """Write out_dir/report.md (+ report.json, PNGs, generated.extxyz); returns the Markdown path.

    references: the structures to compare with at `settings.rate` (or any, for unconditional models);
    reference_trends: {rate: structures} for the cooling-rate trends (conditional models);
    potential: a LAMMPS potential for the elastic moduli (None skips them).
    """
    import ase.io

    settings = settings or ValidationSettings()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rate = settings.rate if model.conditional else None
    sampler = make_sampler(settings.sampler, model)
    generated = generate(model, n_atoms=settings.n_atoms, rate=rate, sampler=sampler,
                         seed=settings.seed, n_samples=settings.samples, progress=progress)
    with atomic_path(out_dir / "generated.extxyz") as tmp:
        ase.io.write(tmp, generated, format="extxyz")
    summary = compare(generated, references, entropy=settings.entropy, progress=progress)
    write_report(summary, out_dir / "comparison")
    moduli = None
    if settings.elastic and potential is not None:
        moduli = {"generated": _moduli(generated, potential, True, progress),
                  "reference": _moduli(references, potential, False, progress)}
    trends = None
    if model.conditional and settings.trend_rates and reference_trends is not None:
        trends = _trends(model, reference_trends, settings, progress)
        plot_trends(trends, out_dir)
    bar = quality_bar(summary, moduli) if kind_of(generated[0]) == "silica" else []

    lines = [f"# Validation of the {name} model", "",
             f"Generated {settings.samples} x {settings.n_atoms} atoms"
             + (f" at {rate:g} K/ps" if rate is not None else "")
             + f" with {sampler.calls} network calls per sample ({sampler.describe()}), compared with "
             f"{len(references)} reference structures. Figures before any MD refinement unless stated.", ""]
    lines += _provenance_lines(model)
    lines += [f"- {datetime.date.today().isoformat()}, {processor_name()}, "
              f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)"]
    if command:
        lines += [f"- regenerate with `{command}`"]
    if bar:
        lines += ["", "## DM2's quality bar", "", "| criterion | generated | target | met |", "|---|---|---|---|"]
        lines += [f"| {c} | {g} | {t} | {'yes' if met else '**no**'} |" for c, g, t, met in bar]
    lines += ["", "## Generated against reference", "", markdown(summary).split("\n", 1)[1].replace("## ", "### "),
              "Plots (generated red, reference blue): "
              + ", ".join(f"[{p.stem}](comparison/{p.name})" for p in sorted((out_dir / "comparison").glob("*.png"))),
              ""] + [f"![{p.stem}](comparison/{p.name})" for p in sorted((out_dir / "comparison").glob("*.png"))]
    if moduli:
        lines += ["", "## Elastic moduli", "",
                  "Generated structures refined with LAMMPS (25 ps NVT + 25 ps NPT, 300 K), then, like the "
                  "simulated ones, positions minimised and six ±0.5 % strains applied (Hill averages).", ""]
        lines += _moduli_table(moduli)
    if trends:
        lines += ["", "## Cooling-rate trends", "",
                  f"{settings.trend_samples} generated sample(s) of {settings.n_atoms} atoms per rate; the density is "
                  "the model's linear fit on log10(rate), outside the training range an extrapolation.", ""]
        lines += _trend_table(trends) + ["", "![trends](trends.png)"]
    with atomic_path(out_dir / "report.json") as tmp:
        tmp.write_text(json.dumps({"name": name, "quality_bar": bar, "moduli": moduli,
                                   "trends": trends and {k: {str(r): v for r, v in t.items()}
                                                         for k, t in trends.items()},
                                   "comparison": {k: summary[k] for k in ("scalars", "distances")}}, indent=1))
    with atomic_path(out_dir / "report.md") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return out_dir / "report.md"
