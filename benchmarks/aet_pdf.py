"""The AET particle's partial PDFs beside generated bulk's, on the same footing (issue 22): the particle's
amorphous region as a finite cluster, normalised by its convex hull's shape function (ase_dm2.analysis.pdf), so
its g(r) no longer falls with r; generated glasses periodic as they are.

For each of the six pairs: the peaks (local maxima of prominence >= --prominence) up to --r-max Å with their
heights, for the particle with and without the shape function, and for the generated structures (their mean g);
then each pair's Warren-Cowley parameter within --shell Å (the particle's deep amorphous atoms counted), which
tells the particle's own chemical order (its Pt atoms avoid each other) from a model's exaggeration of it.
Usage: python benchmarks/aet_pdf.py [GENERATED.extxyz ...] (default: reports/AET-nanoparticle/generated.extxyz)
"""
import argparse
from pathlib import Path

import ase.io
import numpy as np
from scipy.signal import find_peaks
from scipy.spatial import ConvexHull

from _util import SHARED_DATA as DATA, print_table
from ase_dm2.analysis import partial_rdfs, warren_cowley
from ase_dm2.analysis.pdf import shape_function
from ase_dm2.io.aet import read_aet_nanoparticle
from ase_dm2.training.crops import crop_centres

REPORT = Path(__file__).resolve().parent.parent / "reports" / "AET-nanoparticle" / "generated.extxyz"


def peaks(r: np.ndarray, g: np.ndarray, prominence: float) -> str:
    found = find_peaks(g, prominence=prominence)[0]
    return ", ".join(f"{r[k]:.2f} ({g[k]:.2f})" for k in found) or "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("generated", nargs="*", default=[str(REPORT)])
    parser.add_argument("--r-max", type=float, default=8.0)
    parser.add_argument("--bins", type=int, default=100)
    parser.add_argument("--prominence", type=float, default=0.1, help="of a peak in g(r) (default 0.1)")
    parser.add_argument("--shell", type=float, default=3.4, help="first-shell cutoff of the Warren-Cowley parameters")
    args = parser.parse_args()
    whole = read_aet_nanoparticle(DATA / "aet-nanoparticle")
    particle = whole[whole.arrays["amorphous"]]
    ours = partial_rdfs(particle, args.r_max, args.bins)
    shape = shape_function(ConvexHull(particle.positions), ours["r"])
    structures = {f"{path} [{k}]": atoms for path in args.generated for k, atoms in enumerate(ase.io.read(path, ":"))}
    generated = [partial_rdfs(atoms, args.r_max, args.bins) for atoms in structures.values()]
    r = ours["r"]
    rows = []
    for pair in [k for k in ours if isinstance(k, tuple)] + ["total"]:
        label = "-".join(pair) if isinstance(pair, tuple) else pair
        mean = np.mean([g[pair] for g in generated], axis=0)
        rows.append([label, peaks(r, ours[pair], args.prominence), peaks(r, ours[pair] * shape, args.prominence),
                     peaks(r, mean, args.prominence)])
    print(f"particle: {len(particle)} amorphous atoms, shape function {shape[np.searchsorted(r, 4.8)]:.3f} at 4.8 Å "
          f"and {shape[-1]:.3f} at {r[-1]:.2f} Å; generated: {len(generated)} structures")
    print_table(["pair", "particle, peaks Å (g)", "particle without the shape function", "generated"], rows)

    orders = [("particle", warren_cowley(whole, args.shell, crop_centres(whole, args.shell)))]
    orders += [(name, warren_cowley(atoms, args.shell)) for name, atoms in structures.items()]
    pairs = [pair for pair in orders[0][1] if pair[0] <= pair[1]]
    print(f"\nWarren-Cowley parameters within {args.shell} Å (0 random, 1 no such neighbours, < 0 attraction)")
    print_table(["structure"] + ["-".join(pair) for pair in pairs],
                [[name] + [f"{order[pair]:+.2f}" for pair in pairs] for name, order in orders])


if __name__ == "__main__":
    main()
