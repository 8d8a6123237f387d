"""Is a simulated glass a fixed point of the sampler's last steps?

A model that denoises exactly, under a sampler that keeps the data's temperature, leaves a sample of the data
where it is: each step removes as much noise as it adds. Here each held-out glass gets the noise DM2's step
injects at sigma (each coordinate's scale uniform in [sigma_min, sigma]), then the rest of DM2's schedule runs
with the model and its sampler (generate's default for it: the told rule, the per-atom mixture). The table
gives, for each species pair, the g(r) R-factor of the end against the glass it started from and the height of
the first peak over the start's: 0 and 1 for a fixed point; peaks above 1 are glass quenched colder than the
simulation (benchmarks/sampler_temperature.py measures the same on an exact denoiser). For silica a second table
gives Si fourfold, O twofold, the stretched Si-O pairs and the threefold O (triclusters) of the start and the end
(defect_trace.py's figures): whether the tail makes the defects a generated glass ends with even from a glass
without them. Means over glasses and noise seeds.
Usage: python benchmarks/sampler_tail.py MODEL [MODEL ...] [--sigmas 0.1 0.02] [--calls 1000] [--noiseless-steps N]
           [--seeds 2]
           [--files F ...] [--threads 1] [--compile]
"""
import argparse
from pathlib import Path

import numpy as np

from _util import model_label, print_table
from defect_trace import figures as network_figures
from denoising_error import held_out_files
from ase_dm2 import configure_runtime, load_model
from ase_dm2.analysis import partial_rdfs
from ase_dm2.analysis.distances import r_factor
from ase_dm2.analysis.figures import kind_of
from ase_dm2.io.structures import read_structures
from ase_dm2.network.convolution import compile_convolutions
from ase_dm2.sampling import NoiseSchedule
from ase_dm2.sampling.engine import DenoisingEngine
from ase_dm2.sampling.samplers import make_sampler


def tail(model, atoms, sigma: float, schedule: NoiseSchedule, seed: int):
    """A copy of `atoms` given the noise DM2's step injects at `sigma`, then denoised along the rest of
    `schedule` (from its first step at or below `sigma`)."""
    sampler = make_sampler(schedule, model)
    first = next(k for k in range(1, schedule.steps) if schedule.sigma(k) <= sigma)
    start = atoms.copy()
    rates = [atoms.info["cooling_rate"]] if model.conditional else None
    engine = DenoisingEngine([start], model, [seed], rates)
    engine.positions -= engine.uniform(schedule.sigma_min, schedule.sigma(first - 1)) * engine.noise()
    for k in range(first, sampler.steps):
        sampler.step(engine, k)
    engine.write_to([start])
    return start


def drift(model, glasses, sigma: float, schedule: NoiseSchedule, seeds: int, silica: bool) -> tuple:
    """({pair: (R-factor of end against start, first-peak height of end over start)}, the ends' network figures
    if `silica`, else None), means over glasses and seeds."""
    found, network = {}, []
    for k, glass in enumerate(glasses):
        before = partial_rdfs(glass)
        for seed in range(seeds):
            end = tail(model, glass, sigma, schedule, 1000 * k + seed)
            after = partial_rdfs(end)
            for pair in (key for key in before if isinstance(key, tuple)):
                found.setdefault(pair, []).append((r_factor(after[pair], before[pair]),
                                                   after[pair].max() / before[pair].max()))
            if silica:
                network.append(network_figures(end))
    drifts = {pair: tuple(np.mean(values, axis=0)) for pair, values in found.items()}
    return drifts, np.mean(network, axis=0) if network else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="bundled names, model files or DM2 checkpoints (.pt)")
    parser.add_argument("--sigmas", type=float, nargs="+", default=[0.1, 0.02], help="where the tail starts (Å)")
    parser.add_argument("--calls", type=int, default=1000, help="length of DM2's schedule the tail is cut from")
    parser.add_argument("--noiseless-steps", type=int, help="steps without noise at its end (default DM2's 1/30)")
    parser.add_argument("--seeds", type=int, default=2, help="noise seeds per glass")
    parser.add_argument("--files", nargs="+", help="glasses (default: the bundled a-SiO2 model's held-out ones)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--compile", action="store_true", help="the edge convolutions through torch.compile")
    args = parser.parse_args()
    configure_runtime(args.threads)
    files = args.files or held_out_files()
    glasses = read_structures(files, rate_from_name=True)
    schedule = NoiseSchedule.dm2(args.calls, args.noiseless_steps)
    print(f"{len(glasses)} glasses: {', '.join(Path(f).stem for f in files)}; {args.seeds} noise seeds each; "
          f"{schedule.describe()}\n")
    rows, pairs = [], None
    silica = all(kind_of(g) == "silica" for g in glasses)
    start = np.mean([network_figures(g) for g in glasses], axis=0) if silica else None
    network_rows = [["the glasses (start)", "-", *(f"{x:.2f}" for x in start)]] if silica else []
    for name in args.models:
        model = load_model(name).eval()
        if args.compile:
            compile_convolutions(model)
        label = model_label(name)
        for sigma in args.sigmas:
            found, network = drift(model, glasses, sigma, schedule, args.seeds, silica)
            pairs = pairs or list(found)
            rows.append([label, f"{sigma:g}"] + [f"{found[p][0]:.3f} / {found[p][1]:.2f}" for p in pairs])
            if network is not None:
                network_rows.append([label, f"{sigma:g}", *(f"{x:.2f}" for x in network)])
    print("g(r) R-factor of the end against the start / first-peak height of the end over the start's:")
    print_table(["model", "from sigma (Å)"] + ["-".join(p) for p in pairs], rows)
    if network_rows:
        print("\nThe silica network of the ends (the start: the glasses themselves):")
        print_table(["model", "from sigma (Å)", "Si 4-fold %", "O 2-fold %", "stretched per 1,000 Si",
                     "threefold O per 1,000 O"], network_rows)


if __name__ == "__main__":
    main()
