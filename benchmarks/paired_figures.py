"""Is model B's glass closer to a reference than model A's, figure by figure? Paired over sampling seeds.

A and B are structures generated with the same seeds (the n-th of each file from the same start and noise stream), so
their differences are paired: for each scalar figure (first peaks, Voronoi face fractions, Warren-Cowley parameters,
atomic volumes, entropy, ...) the distance of B's value to the reference minus A's, mean ± standard error over the
pairs; negative where B is closer, starred where the mean lies beyond two standard errors. The reference's figures
come from the report of `ase-dm2 compare ... --reference REF -o DIR` or of `ase-dm2 validate` (DIR/report.json), so a
reference measured in its own setting (a particle's amorphous atoms among their crystalline neighbours) is not
measured again.
This is the "better on every figure" test a candidate model must pass to replace a bundled one.
Usage: python benchmarks/paired_figures.py A.extxyz B.extxyz DIR/report.json
"""
import argparse
import json

import ase.io
import numpy as np

from _util import mean_and_error, print_table, standard_error
from ase_dm2.analysis.figures import scalars, structure_figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", help="structures of model A (the baseline)")
    parser.add_argument("b", help="structures of model B, generated with the same seeds")
    parser.add_argument("report", help="report.json of `ase-dm2 compare` or `validate` against the reference")
    args = parser.parse_args()
    a, b = ase.io.read(args.a, ":"), ase.io.read(args.b, ":")
    if len(a) != len(b):
        parser.error(f"{args.a} holds {len(a)} structures and {args.b} {len(b)}: pairs need the same seeds")
    report = json.load(open(args.report))
    report = report.get("comparison", report)  # `ase-dm2 validate`'s report holds compare's under "comparison"
    reference = {label: entry["reference"][0] for label, entry in report["scalars"].items()
                 if entry["reference"] and entry["reference"][0] is not None}
    figures_a = [scalars(structure_figures(atoms)) for atoms in a]
    figures_b = [scalars(structure_figures(atoms)) for atoms in b]
    rows = []
    for label in sorted(set(reference) & set(figures_a[0])):
        value_a = np.array([f[label] for f in figures_a])
        value_b = np.array([f[label] for f in figures_b])
        closer = np.abs(value_b - reference[label]) - np.abs(value_a - reference[label])
        closer = np.where(np.isclose(closer, 0, atol=1e-9), 0, closer)  # equal values, not round-off, at zero
        se = standard_error(closer)
        rows.append([label, f"{reference[label]:.4g}", mean_and_error(value_a, 4), mean_and_error(value_b, 4),
                     mean_and_error(closer, 3, signed=True) + (" *" if abs(closer.mean()) > 2 * se else "")])
    print(f"{len(a)} pairs; distance to the reference, B minus A (negative: B closer; * beyond 2 standard errors)")
    print_table(["figure", "reference", "A", "B", "B - A distance"], rows)


if __name__ == "__main__":
    main()
