"""Can the AET particle's Voronoi indices be compared with the authors' own? Our tessellation (OVITO, surface
atoms excluded) of the particle against `voronoi_index_amorphous_region.mat`, atom by atom.

For each relative face threshold (--thresholds), plain and radical (--radii), over the amorphous atoms that both
analyses keep: the share of atoms whose index <n3,n4,n5,n6> is identical, the mean number of faces, the
correlation of each atom's face count, and the 3-, 4-, 5- and 6-edged face fractions beside the authors'.
Usage: python benchmarks/aet_voronoi.py [--thresholds 0 0.005 0.01 0.02] [--radii]
"""
import argparse

import numpy as np

from _util import SHARED_DATA as DATA, print_table
from ase_dm2.analysis.voronoi import face_fractions, voronoi_analysis
from ase_dm2.io.aet import read_aet_nanoparticle

METALLIC_RADII = {"Ni": 1.25, "Pd": 1.37, "Pt": 1.39}  # Å, the representative elements of the three types


def row(label: str, ours: np.ndarray, theirs: np.ndarray) -> list:
    faces = face_fractions(ours)
    return [label, f"{np.all(ours == theirs, axis=1).mean():.3f}", f"{ours.sum(axis=1).mean():.2f}",
            f"{np.corrcoef(ours.sum(axis=1), theirs.sum(axis=1))[0, 1]:.2f}", *(f"{v:.3f}" for v in faces.values())]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.0, 0.005, 0.01, 0.02])
    parser.add_argument("--radii", action="store_true", help=f"also the radical tessellation with {METALLIC_RADII}")
    args = parser.parse_args()
    particle = read_aet_nanoparticle(DATA / "aet-nanoparticle")
    theirs, amorphous = particle.arrays["aet_voronoi"], particle.arrays["amorphous"]
    rows = []
    for radii in [None, METALLIC_RADII] if args.radii else [None]:
        for threshold in args.thresholds:
            result = voronoi_analysis(particle, radii=radii, relative_face_threshold=threshold)
            both = result["kept"] & amorphous & (theirs.sum(axis=1) > 0)
            label = f"{'radical' if radii else 'plain'}, {threshold:g}"
            rows.append(row(label, result["indices"][both], theirs[both]))
    faces = face_fractions(theirs[both])
    rows.append(["the authors'", "1", f"{theirs[both].sum(axis=1).mean():.2f}", "1",
                 *(f"{v:.3f}" for v in faces.values())])
    print(f"{both.sum()} amorphous atoms kept by both analyses")
    print_table(["tessellation, face threshold", "identical", "faces", "corr", "n3", "n4", "n5", "n6"], rows)


if __name__ == "__main__":
    main()
