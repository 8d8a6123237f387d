"""Time per generation step (DiffusionDynamics) split into neighbour list, network and bookkeeping.

Bookkeeping is the rest of a step: noise, wrapping, calculator and tensor conversions.
Ratios are per-atom step time against the smallest size measured in the same run.
Usage: python benchmarks/generation.py [--sizes 300 3000 30000] [--threads 1]
"""

import torch

from _util import best_time, print_table, size_parser, step_seconds
from ase_dm2 import Denoiser, DenoiserConfig, configure_runtime
from ase_dm2.build import random_structure
from ase_dm2.graph import build_graph


def main():
    args = size_parser(__doc__).parse_args()
    configure_runtime(args.threads)
    torch.manual_seed(0)
    model = Denoiser(DenoiserConfig(species=("O", "Si"), conditional=True)).eval()
    rows, baseline = [], None
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
        baseline = baseline or total / n
        rows.append([n, f"{total:.3f}", f"{neighbours:.4f}", f"{net:.3f}", f"{max(total - neighbours - net, 0):.4f}",
                     f"{100 * neighbours / total:.1f}", f"{total / n / baseline:.2f}"])
    print(f"default Denoiser, {args.threads} thread(s), torch {torch.__version__}")
    print_table(["atoms", "step s", "neighbour list s", "network s", "bookkeeping s", "nl %", "per-atom ratio"],
                rows)


if __name__ == "__main__":
    main()
