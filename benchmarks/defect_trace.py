"""Where along the sampler a model's silica network forms, and which defects it keeps.

Generates SiO2 with a model and its sampler (DM2's step on the named schedule) and, every --every steps, measures
the denoised estimate x - eps(x) of that step: Si fourfold, O twofold, the stretched pairs (a threefold Si and
a onefold O between 2.0 and 2.25 Å apart, one bond short of two defects fewer) and the threefold O (triclusters).
The last row is the generated structure. Means over seeds (the seeds of dm2_generation_quality.py, but at the given
density rather than its fitted one, so the structures are alike, not bit-identical).
Usage: python benchmarks/defect_trace.py MODEL [MODEL ...] [--atoms 3000] [--calls 300] [--schedule fast]
           [--seeds 2] [--every 15] [--rate 1.0] [--density 2.135] [--threads 1] [--compile]
"""
import argparse

import numpy as np

from _util import model_label, print_table
from ase_dm2 import configure_runtime, load_model
from ase_dm2.analysis.coordination import SI_O_CUTOFF, silica_defects
from ase_dm2.analysis.pairs import bonds
from ase_dm2.build import random_structure
from ase_dm2.network.convolution import compile_convolutions
from ase_dm2.sampling import NoiseSchedule
from ase_dm2.sampling.engine import DenoisingEngine
from ase_dm2.sampling.schedule import SCHEDULES
from ase_dm2.sampling.samplers import make_sampler

STRETCHED = 2.25  # Å: a Si-O pair beyond the bond cutoff but within this is a stretched bond


def stretched_pairs(atoms) -> int:
    """Pairs of a threefold Si and a onefold O whose distance lies in [SI_O_CUTOFF, STRETCHED) Å."""
    symbols = np.array(atoms.get_chemical_symbols())
    i, j, vectors = bonds(atoms, {("Si", "O"): STRETCHED})
    d = np.linalg.norm(vectors, axis=1)
    bonded = np.bincount(i[d < SI_O_CUTOFF], minlength=len(atoms))
    return int(np.sum((symbols[i] == "Si") & (d >= SI_O_CUTOFF) & (bonded[i] == 3) & (bonded[j] == 1)))


def figures(atoms) -> list:
    """Si fourfold %, O twofold %, stretched pairs per 1,000 Si, threefold O per 1,000 O."""
    d = silica_defects(atoms)
    symbols = atoms.get_chemical_symbols()
    return [100 * d["si_fourfold"], 100 * d["o_twofold"], 1000 * stretched_pairs(atoms) / symbols.count("Si"),
            1000 * d["overcoordinated_oxygens"] / symbols.count("O")]


def trace(model, atoms, sampler, seed: int, rate: float, every: int) -> dict:
    """{step: figures of that step's denoised estimate}, and "end": those of the generated structure."""
    engine = DenoisingEngine([atoms], model, [seed], [rate] if model.conditional else None)
    found, estimate = {}, atoms.copy()
    for k in range(sampler.steps):
        traced = k % every == 0 or k == sampler.steps - 1
        before = engine.positions.clone() if traced else None
        eps = sampler.step(engine, k)
        if traced:
            estimate.positions = (before - eps).cpu().numpy()
            estimate.wrap()
            found[k] = figures(estimate)
    engine.write_to([atoms])
    found["end"] = figures(atoms)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="bundled names, model files or DM2 checkpoints")
    parser.add_argument("--atoms", type=int, default=3000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--schedule", choices=list(SCHEDULES), default="fast")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--every", type=int, default=15, help="trace every this many steps (15)")
    parser.add_argument("--rate", type=float, default=1.0, help="cooling rate for conditional models (K/ps)")
    parser.add_argument("--density", type=float, default=2.135, help="g/cm3 (dm2_generation_quality.py's fit)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--compile", action="store_true", help="the edge convolutions through torch.compile")
    args = parser.parse_args()
    configure_runtime(args.threads)
    schedule = NoiseSchedule.named(args.schedule, args.calls)
    for name in args.models:
        model = load_model(name)
        if args.compile:
            compile_convolutions(model)
        sampler = make_sampler(schedule, model)
        runs = [trace(model, random_structure("SiO2", n_atoms=args.atoms, density=args.density, seed=seed),
                      sampler, seed, args.rate, args.every) for seed in range(args.seeds)]
        rows = [[k, "-" if k == "end" else f"{schedule.sigma(k):.3f}"]
                + [f"{np.mean(column):.1f}" for column in zip(*(run[k] for run in runs))] for k in runs[0]]
        print(f"\n{model_label(name)}: {args.atoms} atoms, {sampler.describe()}, seeds 0-{args.seeds - 1}")
        print_table(["step", "sigma_t (Å)", "Si 4-fold %", "O 2-fold %", "stretched pairs / 1000 Si",
                     "3-fold O / 1000 O"], rows)


if __name__ == "__main__":
    main()
