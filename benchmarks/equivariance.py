"""Rotational equivariance error of DM2's imported checkpoints against ase_dm2's Denoiser.

DM2's conditional model adds its cooling-rate embedding to vector channels too,
which breaks equivariance; ase_dm2 conditions scalar channels only.
Usage: python benchmarks/equivariance.py [--structure FILE] [--rotations 3]
"""
import argparse
from pathlib import Path

import ase.io
import numpy as np
import torch

from _util import SHARED_DATA as DATA, print_table
from ase_dm2 import Denoiser, DenoiserConfig, load_model, configure_runtime
from ase_dm2.network.symmetry import equivariance_error



def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--structure", default=str(DATA / "a-SiO2" / "sio2_3000_glass_1k_sample0.dat"))
    parser.add_argument("--rotations", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    configure_runtime(args.threads)
    atoms = ase.io.read(args.structure, format="lammps-data" if args.structure.endswith(".dat") else None)
    torch.manual_seed(0)
    models = {
        "DM2 conditional (imported)": load_model(DATA / "dm2-checkpoints" / "gen-a-sio2-cond-v1.pt"),
        "DM2 unconditional (imported)": load_model(DATA / "dm2-checkpoints" / "gen-a-sio2-uncond-v1.pt"),
        "ase_dm2 Denoiser conditional (random weights)": Denoiser(DenoiserConfig(("O", "Si"), conditional=True)),
    }
    rows = []
    for name, model in models.items():
        for rate in ([0.01, 1.0, 100.0] if model.conditional else [None]):
            with torch.no_grad():
                scale = np.abs(model(model.graph([atoms], [rate] if rate else None)).numpy()).max()
            error = equivariance_error(model, atoms, rate, args.rotations)
            rows.append([name, "-" if rate is None else rate, f"{error:.2e}", f"{error / scale:.2e}"])
    print(f"{Path(args.structure).name}, {len(atoms)} atoms, {args.rotations} random rotations, float32")
    print_table(["model", "rate K/ps", "max |f(Rx) - R f(x)| Å", "relative to max |f|"], rows)


if __name__ == "__main__":
    main()
