"""Forward and forward+backward time of the default denoiser on random a-SiO2 (density 2.2 g/cm3).

Ratios are per-atom time against the smallest size measured in the same run.
Usage: python benchmarks/network.py [--sizes 300 3000 30000] [--threads 1]
"""

import torch

from _util import best_time, print_table, size_parser
from ase_dm2 import Denoiser, DenoiserConfig, configure_runtime
from ase_dm2.build import random_structure
from ase_dm2.runtime import processor_name


def main():
    args = size_parser(__doc__).parse_args()
    configure_runtime(args.threads)
    torch.manual_seed(0)
    model = Denoiser(DenoiserConfig(species=("O", "Si"), conditional=True))
    rows, baseline = [], {}
    for n in args.sizes:
        atoms = random_structure("SiO2", n_atoms=n, density=2.2, seed=0)
        graph = model.graph([atoms], [1.0])

        def forward():
            with torch.no_grad():
                model(graph)

        def forward_backward():
            model.zero_grad()
            model(graph).square().mean().backward()

        repeat = args.repeat if n <= 3000 else 1
        times = (best_time(forward, repeat), best_time(forward_backward, repeat))
        per_atom = [t / n for t in times]
        baseline = baseline or dict(zip(("f", "fb"), per_atom))
        rows.append([n, len(graph.center), f"{times[0]:.3f}", f"{times[1]:.3f}",
                     f"{per_atom[0] * 1e6:.0f}", f"{per_atom[0] / baseline['f']:.2f}",
                     f"{per_atom[1] / baseline['fb']:.2f}"])
    print(f"default Denoiser ({sum(p.numel() for p in model.parameters())} parameters), torch {torch.__version__}, "
          f"{args.threads} thread(s), {processor_name()}")
    print_table(["atoms", "edges", "forward s", "fwd+bwd s", "fwd us/atom", "fwd ratio", "fwd+bwd ratio"], rows)


if __name__ == "__main__":
    main()
