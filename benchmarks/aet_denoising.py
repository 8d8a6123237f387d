"""Why the AET-nanoparticle model packs atoms too far apart: the model on the particle it was trained on.

For each --sigmas, the particle is noised once (fixed seed) and the model predicts the noise of every atom:
- the mean squared error per coordinate on the deep amorphous atoms (its loss atoms: the trainer's crop centres),
  for the whole particle and for --crops spherical crops as the trainer cuts them (radius and margin of the model's
  own training), on the same atoms; against sigma², the error of predicting no noise at all;
- a one-shot denoise (noisy positions minus the prediction) against the clean particle: the mean length of the
  deep atoms' pairs shorter than 3.2 Å (the first shell), and of those shorter than 2.6 Å, clean, noisy and
  denoised. A denoiser that has learned the particle returns its pairs near their clean lengths; one that has
  learned a generic metal pushes short pairs apart;
- the same one-shot denoise per pair of element groups: how much it lengthens each pair's first-shell pairs on
  average (denoised minus clean). The particle's Pt atoms avoid each other; a bias on Pt-Pt pairs alone is how a
  model turns that into Pt-Pt first shells emptier than the particle's.
Then, for all the models together, the error on every deep amorphous atom of the whole particle over --noise-seeds
draws (mean ± standard error), and each model's paired difference from the first (the same draws): the figure a
model must lower to replace the bundled one.
Usage: python benchmarks/aet_denoising.py [--model AET-nanoparticle [MODEL ...]] [--sigmas 0.05 0.1 0.2 0.35 0.5]
[--crops 30] [--noise-seeds 4]
"""
import argparse
from pathlib import Path

import numpy as np
import torch
from scipy.spatial import cKDTree

from _util import SHARED_DATA as DATA, mean_and_error, print_table
from ase_dm2 import configure_runtime, load_model
from ase_dm2.io.aet import read_aet_nanoparticle
from ase_dm2.training.crops import crop_centres, spherical_crop
from denoising_error import noisy

FIRST_SHELL, SHORT = 3.2, 2.6  # Å


def predicted_noise(model, atoms, sigma: float) -> np.ndarray:
    with torch.no_grad():
        return model(model.graph([atoms], None, [sigma])).double().cpu().numpy()


def deep_errors(model, particle, counted, sigmas, seeds) -> np.ndarray:
    """(sigmas, seeds) mean squared error per coordinate on the counted atoms of the whole particle."""
    errors = np.empty((len(sigmas), len(seeds)))
    for i, sigma in enumerate(sigmas):
        for j, seed in enumerate(seeds):
            copy, noise = noisy(particle, sigma, seed)
            errors[i, j] = np.mean((predicted_noise(model, copy, sigma)[counted] - noise[counted]) ** 2)
    return errors


def short_name(model: str) -> str:
    """A bundled model's name, or a model file's folder (runs/NAME/model.safetensors -> NAME)."""
    path = Path(model)
    return path.parent.name or path.stem if path.suffix else model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", nargs="+", default=["AET-nanoparticle"],
                        help="bundled names or model files; the first is the baseline of the paired differences")
    parser.add_argument("--sigmas", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.35, 0.5])
    parser.add_argument("--crops", type=int, default=30, help="crops whose loss atoms are compared")
    parser.add_argument("--noise-seeds", type=int, default=4, help="noise draws of the whole-particle error")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.crops < 1:
        parser.error(f"--crops must be at least 1 (the errors are compared on the crops' loss atoms), got {args.crops}")
    if args.noise_seeds < 1:
        parser.error(f"--noise-seeds must be at least 1, got {args.noise_seeds}")
    configure_runtime(args.threads)
    particle = read_aet_nanoparticle(DATA / "aet-nanoparticle")
    first_shell = np.array(sorted(cKDTree(particle.positions).query_pairs(FIRST_SHELL)))
    deep = {}
    for name in args.model:
        model = load_model(name).eval()
        counted, first_draw = one_model(name, model, particle, first_shell, args.sigmas, args.crops)
        more_draws = deep_errors(model, particle, counted, args.sigmas, range(2, args.noise_seeds + 1))
        deep[name] = np.column_stack([first_draw, more_draws])
    print(f"\nMean squared error per coordinate on all deep amorphous atoms of the whole particle, "
          f"{args.noise_seeds} noise draws (mean ± standard error; differences paired draw by draw)")
    first, label = args.model[0], {name: short_name(name) for name in args.model}
    headers = ["sigma Å"] + list(label.values()) + [f"{label[name]} - {label[first]}" for name in args.model[1:]]
    print_table(headers, [[f"{sigma:g}"] + [mean_and_error(deep[name][i], 5) for name in args.model]
                          + [mean_and_error(deep[name][i] - deep[first][i], 5) for name in args.model[1:]]
                          for i, sigma in enumerate(args.sigmas)])


def one_model(name, model, particle, first_shell, sigmas, n_crops) -> tuple:
    """Print the model's tables for noise draw 1 (`first_shell`: the particle's pairs within FIRST_SHELL); return
    the mask of deep amorphous atoms and the error on them at each sigma in that draw."""
    settings = model.provenance.get("settings", {})
    radius, margin = settings.get("crop_radius") or 14.0, settings.get("crop_margin", 5.0)
    deep = crop_centres(particle, margin)
    counted = np.zeros(len(particle), bool)
    counted[deep] = True
    centres = np.random.default_rng(0).choice(deep, min(n_crops, len(deep)), replace=False)
    pairs = first_shell[counted[first_shell[:, 0]] & counted[first_shell[:, 1]]]

    def lengths(positions):
        return np.linalg.norm(positions[pairs[:, 0]] - positions[pairs[:, 1]], axis=1)

    clean = lengths(particle.positions)
    short = clean < SHORT
    symbols = np.array(particle.get_chemical_symbols())
    kinds = np.array(["-".join(sorted(pair)) for pair in zip(symbols[pairs[:, 0]], symbols[pairs[:, 1]])])
    kind_names = sorted(set(kinds))
    rows, per_pair, on_deep = [], [], []
    for sigma in sigmas:
        copy, noise = noisy(particle, sigma, seed=1)
        copy.set_array("particle_index", np.arange(len(copy)))  # carried into each crop
        whole = predicted_noise(model, copy, sigma)
        on_deep.append(np.mean((whole[counted] - noise[counted]) ** 2))
        on_crops, on_whole = [], []
        for centre in centres:
            crop, mask = spherical_crop(copy, centre, radius, margin, counted)
            loss_atoms = crop.arrays["particle_index"][mask]
            on_crops.append(np.mean((predicted_noise(model, crop, sigma)[mask] - noise[loss_atoms]) ** 2))
            on_whole.append(np.mean((whole[loss_atoms] - noise[loss_atoms]) ** 2))
        before, after = lengths(copy.positions), lengths(copy.positions - whole)
        rows.append([f"{sigma:g}", f"{sigma ** 2:.3g}", f"{np.mean(on_crops):.4g}", f"{np.mean(on_whole):.4g}",
                     f"{clean.mean():.3f} / {before.mean():.3f} / {after.mean():.3f}",
                     f"{clean[short].mean():.3f} / {before[short].mean():.3f} / {after[short].mean():.3f}"])
        per_pair.append([f"{sigma:g}"] + [f"{np.mean(after[kinds == k] - clean[kinds == k]):+.3f}" for k in kind_names])
    print(f"{name} on the particle: {counted.sum()} deep amorphous atoms, {len(pairs)} of their pairs within "
          f"{FIRST_SHELL} Å ({short.sum()} within {SHORT} Å); crops of {radius:g} Å, margin {margin:g} Å")
    print_table(["sigma Å", "sigma² (no change)", "MSE, crops", "MSE, whole particle",
                 f"pairs < {FIRST_SHELL} Å: clean / noisy / denoised", f"pairs < {SHORT} Å: clean / noisy / denoised"],
                rows)
    print(f"\nOne denoise step, pairs < {FIRST_SHELL} Å lengthened on average by (Å); clean mean length in the header")
    print_table(["sigma Å"] + [f"{k} ({clean[kinds == k].mean():.3f})" for k in kind_names], per_pair)
    print()
    return counted, np.array(on_deep)


if __name__ == "__main__":
    main()
