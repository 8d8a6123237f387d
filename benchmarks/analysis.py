"""Time of each analysis on a-SiO2 of 3,000 atoms (a reference glass) and 30,000 atoms (it, repeated 2x5x1).

Ratios are per-atom time against the 3,000-atom structure, measured in the same run.
Usage: python benchmarks/analysis.py [--structure FILE] [--repeats 2 5 1]
"""
import argparse
import time
from pathlib import Path

import ase.io

from _util import SHARED_DATA as DATA, print_table
from ase_dm2 import configure_runtime
from ase_dm2.analysis import (bond_angles, overlap, partial_rdfs, silica_defects, silica_rings, structure_entropy,
                              voronoi_analysis)

ANALYSES = {
    "partial g(r), 100 bins to 8 Å": partial_rdfs,
    "coordination and defects": silica_defects,
    "bond angles O-Si-O + Si-O-Si": lambda a: (bond_angles(a, ("O", "Si", "O")), bond_angles(a, ("Si", "O", "Si"))),
    "rings up to 10 Si (matscipy)": silica_rings,
    "Voronoi (OVITO)": voronoi_analysis,
    "QUESTS entropy H": structure_entropy,
    "QUESTS overlap vs a copy": lambda a: overlap(a, [a]),
}


def once(fn, atoms) -> float:
    start = time.perf_counter()
    fn(atoms)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--structure", default=str(DATA / "a-SiO2" / "sio2_3000_glass_1k_sample0.dat"))
    parser.add_argument("--repeats", type=int, nargs=3, default=[2, 5, 1])
    args = parser.parse_args()
    configure_runtime(1)
    small = ase.io.read(args.structure, format="lammps-data" if args.structure.endswith(".dat") else None)
    large = small.repeat(args.repeats)
    structure_entropy(small.repeat((1, 1, 1))[:100])  # compile QUESTS' numba kernels before timing
    rows = []
    for name, fn in ANALYSES.items():
        t_small, t_large = once(fn, small), once(fn, large)
        ratio = (t_large / len(large)) / (t_small / len(small))
        rows.append([name, f"{t_small:.2f}", f"{t_large:.2f}", f"{ratio:.2f}"])
    print(f"{Path(args.structure).name}: {len(small)} and {len(large)} atoms, 1 thread")
    print_table(["analysis", f"{len(small)} atoms s", f"{len(large)} atoms s", "per-atom ratio"], rows)


if __name__ == "__main__":
    main()
