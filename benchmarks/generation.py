"""Time per generation step (DiffusionDynamics) split into neighbour list, network and bookkeeping.

Bookkeeping is the rest of a step: noise, wrapping, calculator and tensor conversions.
Ratios are per-atom step time against the smallest size measured in the same run.
`--batch B` adds a table: B samples of the smallest size denoised together (one network call per step)
against one at a time. `--model` times a bundled or saved model instead of the default architecture.
`--compile` adds a table: the step with the network's edge convolutions through torch.compile against without
(compile_convolutions; its compiling is left out of the timing).
Usage: python benchmarks/generation.py [--sizes 300 3000 30000] [--threads 1] [--batch 16] [--model a-SiO2]
           [--compile]
"""
import time

import torch

from _util import best_time, print_table, size_parser, step_seconds
from ase_dm2 import Denoiser, DenoiserConfig, NoiseSchedule, configure_runtime, load_model
from ase_dm2.build import random_structure
from ase_dm2.graph import build_graph
from ase_dm2.network.convolution import compile_convolutions
from ase_dm2.sampling.engine import denoise


def batch_rows(model, n_atoms: int, batch: int, steps: int = 5) -> list:
    """[mode, samples, s per sample-step, throughput ratio] for one-at-a-time and batched denoising."""
    schedule = NoiseSchedule(steps=steps, noiseless_steps=0)
    rows = []
    for size in (1, batch):
        structures = [random_structure("SiO2", n_atoms=n_atoms, density=2.2, seed=k) for k in range(batch)]
        warm_up = NoiseSchedule(steps=1, noiseless_steps=0)
        denoise(structures[:size], model, warm_up, [0] * size, [1.0] * size, progress=False)
        start = time.perf_counter()
        for first in range(0, batch, size):
            group = structures[first:first + size]
            denoise(group, model, schedule, list(range(len(group))), [1.0] * len(group), progress=False)
        rows.append([f"{size} per call", batch, f"{(time.perf_counter() - start) / (batch * steps):.4f}"])
    for row in rows:
        row.append(f"{float(rows[0][2]) / float(row[2]):.2f}")
    return rows


def main():
    parser = size_parser(__doc__)
    parser.add_argument("--batch", type=int, help="also time this many samples of the smallest size per call")
    parser.add_argument("--model", help="bundled model name or file (default: the default architecture)")
    parser.add_argument("--compile", action="store_true", help="also time the step with compiled convolutions")
    args = parser.parse_args()
    configure_runtime(args.threads)
    torch.manual_seed(0)
    if args.model:
        model = load_model(args.model).eval()
    else:
        model = Denoiser(DenoiserConfig(species=("O", "Si"), conditional=True)).eval()
    rows, baseline, plain_steps = [], None, []
    for n in args.sizes:
        atoms = random_structure("SiO2", n_atoms=n, density=2.2, seed=0)
        repeat = args.repeat if n <= 3000 else 1
        neighbours = best_time(lambda: build_graph([atoms], model.species, model.cutoff, [1.0]), repeat)
        graph = model.graph([atoms], [1.0])

        def network():
            with torch.no_grad():
                model(graph)

        net = best_time(network, repeat)
        total = step_seconds(atoms, model, 1.0, repeat)
        plain_steps.append(total)
        baseline = baseline or total / n
        rows.append([n, f"{total:.3f}", f"{neighbours:.4f}", f"{net:.3f}", f"{max(total - neighbours - net, 0):.4f}",
                     f"{100 * neighbours / total:.1f}", f"{total / n / baseline:.2f}"])
    print(f"{args.model or 'default Denoiser'} ({sum(p.numel() for p in model.parameters()):,} parameters), "
          f"{args.threads} thread(s), torch {torch.__version__}")
    print_table(["atoms", "step s", "neighbour list s", "network s", "bookkeeping s", "nl %", "per-atom ratio"],
                rows)
    if args.batch:
        print(f"\n{args.sizes[0]}-atom samples, one at a time against {args.batch} per network call:")
        print_table(["mode", "samples", "s per sample-step", "throughput ratio"],
                    batch_rows(model, args.sizes[0], args.batch))
    if args.compile:
        compile_convolutions(model)
        rows = []
        for n, plain in zip(args.sizes, plain_steps):
            atoms = random_structure("SiO2", n_atoms=n, density=2.2, seed=0)
            step_seconds(atoms, model, 1.0, 2)  # compiles: full chunks, then the last one with a dynamic size
            compiled = step_seconds(atoms, model, 1.0, args.repeat if n <= 3000 else 1)
            rows.append([n, f"{plain:.3f}", f"{compiled:.3f}", f"{plain / compiled:.2f}"])
        print("\nThe step with the edge convolutions through torch.compile:")
        print_table(["atoms", "plain step s", "compiled step s", "speed-up"], rows)


if __name__ == "__main__":
    main()
