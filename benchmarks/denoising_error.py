"""Per-noise-level denoising error of any models on held-out simulated glasses, and where each model's
training loss comes from.

For each model and each sigma: the mean squared error per coordinate (Å²) of the predicted displacement
against fixed Gaussian noise (seeds 0..--noise-seeds-1, the same for every model) added to each glass.
Glasses: the a-SiO2 files that ase_dm2's bundled a-SiO2 model held out from training (the same for every
model, DM2 checkpoints included; --all for all 20), or --files. Noise-conditioned models are told sigma.
The second table gives, under each model's own objective (its sigma distribution and loss weight, from its
provenance; DM2's for checkpoints), the share of the expected training loss that each sigma band carries,
with the error between the measured sigmas interpolated on log-log axes.
Usage: python benchmarks/denoising_error.py MODEL [MODEL ...] [--sigmas 0.005 0.02 ...] [--noise-seeds 2]
           [--all | --files F ...] [--threads 1]
"""
import argparse
from pathlib import Path

import numpy as np
import torch

from _util import SHARED_DATA as DATA, model_label, print_table
from ase_dm2 import configure_runtime, load_model
from ase_dm2.io.structures import read_structures
from ase_dm2.training.trainer import loss_weight, split_validation

SIGMAS = [0.005, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75]
BANDS = [0.001, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75]


def held_out_files() -> list:
    """The a-SiO2 files the bundled a-SiO2 model did not train on (its own validation split)."""
    settings = load_model("a-SiO2").provenance["settings"]
    files = sorted((DATA / "a-SiO2").glob("*.dat"))
    return split_validation(files, settings["validation_fraction"], settings["seed"])[1]


def noisy(atoms, sigma: float, seed: int):
    """(noisy copy, noise) with per-coordinate Gaussian noise of scale sigma from a fixed seed."""
    noise = sigma * np.random.default_rng(seed).standard_normal(atoms.positions.shape)
    copy = atoms.copy()
    copy.positions = atoms.positions + noise
    copy.wrap()
    return copy, noise


def errors(model, glasses, sigmas, noise_seeds: int) -> list:
    """Mean squared error per coordinate at each sigma, over glasses and noise seeds."""
    out = []
    for sigma in sigmas:
        squared = []
        for k, atoms in enumerate(glasses):
            for seed in range(noise_seeds):
                copy, noise = noisy(atoms, sigma, 1000 * k + seed)
                rates = [atoms.info["cooling_rate"]] if model.conditional else None
                with torch.no_grad():
                    predicted = model(model.graph([copy], rates, [sigma])).double().cpu().numpy()
                squared.append(np.mean((predicted - noise) ** 2))
        out.append(float(np.mean(squared)))
    return out


def objective(model) -> dict:
    """The model's training objective: sigma range, distribution and loss weight (DM2's if not recorded)."""
    settings = model.provenance.get("settings", {})
    return {"low": settings.get("sigma_min", 0.001), "high": settings.get("sigma_max", 0.75),
            "distribution": settings.get("sigma_distribution", "uniform"),
            "weight": settings.get("loss_weight", "none"), "weight_sigma": settings.get("loss_weight_sigma", 0.05)}


def band_shares(sigmas, mse, goal: dict) -> list:
    """Share of the expected training loss in each band of BANDS under the objective `goal`."""
    grid = np.geomspace(goal["low"], goal["high"], 4000)
    error = np.exp(np.interp(np.log(grid), np.log(sigmas), np.log(mse)))
    uniform = np.full_like(grid, 1.0 / (goal["high"] - goal["low"]))
    log_uniform = 1.0 / (grid * np.log(goal["high"] / goal["low"]))
    density = {"uniform": uniform, "log-uniform": log_uniform,
               "mixture": 0.5 * (uniform + log_uniform)}[goal["distribution"]]
    weight = np.array([loss_weight(goal["weight"], s, goal["weight_sigma"]) for s in grid])
    integrand = density * weight * error
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(grid))])
    at = np.interp(BANDS, grid, cumulative)
    return list(np.diff(at) / cumulative[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="bundled names, model files or DM2 checkpoints (.pt)")
    parser.add_argument("--sigmas", type=float, nargs="+", default=SIGMAS)
    parser.add_argument("--noise-seeds", type=int, default=2)
    parser.add_argument("--all", action="store_true", help="all 20 a-SiO2 glasses, not only the held-out ones")
    parser.add_argument("--files", nargs="+", help="these glasses instead (cooling rate from DM2-style names)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    configure_runtime(args.threads)
    files = args.files or (sorted((DATA / "a-SiO2").glob("*.dat")) if args.all else held_out_files())
    glasses = read_structures(files, rate_from_name=True)
    print(f"{len(glasses)} glasses: {', '.join(Path(f).stem for f in files)}; {args.noise_seeds} noise seeds each\n")
    rows, shares = [], []
    for name in args.models:
        model = load_model(name).eval()
        mse = errors(model, glasses, args.sigmas, args.noise_seeds)
        label = model_label(name)
        rows.append([label] + [f"{e:.3g}" for e in mse])
        goal = objective(model)
        described = f"{goal['distribution']}, weight {goal['weight']}"
        shares.append([label, described] + [f"{100 * s:.1f}" for s in band_shares(args.sigmas, mse, goal)])
    print("Mean squared error per coordinate (Å²) at each sigma (Å):")
    print_table(["model"] + [f"{s:g}" for s in args.sigmas], rows)
    print("\nShare (%) of each model's expected training loss by sigma band (Å), under its own objective:")
    print_table(["model", "objective"] + [f"{a:g}-{b:g}" for a, b in zip(BANDS[:-1], BANDS[1:])], shares)


if __name__ == "__main__":
    main()
