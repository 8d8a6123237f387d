"""The AET particle's partial PDFs beside generated bulk's, on the same footing (issue 22): the particle's
amorphous region as a finite cluster, normalised by its convex hull's shape function (ase_dm2.analysis.pdf), so
its g(r) no longer falls with r; generated glasses periodic as they are.

For each of the six pairs: the peaks (local maxima of prominence >= --prominence) up to --r-max Å with their
heights, for the particle with and without the shape function, and for the generated structures (their mean g).
Usage: python benchmarks/aet_pdf.py [GENERATED.extxyz ...] (default: reports/AET-nanoparticle/generated.extxyz)
"""
import argparse
from pathlib import Path

import ase.io
import numpy as np
from scipy.signal import find_peaks
from scipy.spatial import ConvexHull

from _util import SHARED_DATA as DATA, print_table
from ase_dm2.analysis.pdf import partial_rdfs, shape_function
from ase_dm2.io.aet import read_aet_nanoparticle

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
    args = parser.parse_args()
    particle = read_aet_nanoparticle(DATA / "aet-nanoparticle", amorphous_only=True)
    ours = partial_rdfs(particle, args.r_max, args.bins)
    shape = shape_function(ConvexHull(particle.positions), ours["r"])
    generated = [partial_rdfs(atoms, args.r_max, args.bins)
                 for path in args.generated for atoms in ase.io.read(path, index=":")]
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


if __name__ == "__main__":
    main()
