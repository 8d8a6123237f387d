"""Atom-passes per second of a whole training step (noise, graphs, forward, backward, AdamW, EMA) at DM2's and
the bundled network size, for batches of 3,000-atom glasses, on the CPU or CUDA.

Each row times --steps steps of ase_dm2's Trainer after one warm-up step; on CUDA, --tf32 adds rows with
TF32 matrix products (a lever to keep only where benchmarks/denoising_error.py shows no loss);
--cuequivariance adds rows with the edge convolutions through cuEquivariance (ase_dm2.network.cue). DM2's whole
training budget is about 1.44e9 atom-passes (30,000-40,000 steps of 16 structures of 3,000 atoms).
Usage: python benchmarks/training_throughput.py [--device cuda] [--sizes dm2 bundled] [--batches 1 4 16]
           [--steps 3] [--tf32] [--cuequivariance] [--threads 1]
"""
import argparse
import tempfile
import time

import torch

from _util import SHARED_DATA as DATA, print_table, silica
from ase_dm2 import DenoiserConfig, Trainer, TrainingSettings, configure_runtime
from ase_dm2.io.structures import read_structures
from ase_dm2.network.denoiser import SIZES

DM2_BUDGET = 1.44e9  # atom-passes


def glasses(count: int) -> list:
    """The reference glasses (3,000 atoms) if present, else random silica of the same size and density."""
    files = sorted((DATA / "a-SiO2").glob("*.dat"))[:count]
    if files:
        return read_structures(files, rate_from_name=True)
    structures = silica(3000, count, 2.2)
    for atoms in structures:
        atoms.info["cooling_rate"] = 1.0
    return structures


def seconds_per_step(size: str, batch: int, device: str, steps: int, structures, cuequivariance=False) -> float:
    config = DenoiserConfig(species=("O", "Si"), conditional=True, **SIZES[size])
    settings = TrainingSettings(steps=steps + 1, batch_size=batch, ema_decay=0.999, device=device,
                                validation_fraction=0, checkpoint_interval=10**9, validation_interval=10**9,
                                cuequivariance=cuequivariance)
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(structures, out, config, settings, validation=[])
        trainer.train_step()  # warm-up: allocations, kernels
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--sizes", nargs="+", choices=SIZES, default=["dm2", "bundled"])
    parser.add_argument("--batches", type=int, nargs="+", help="structures a step (default: 1 4 16 on CUDA, "
                                                              "1 4 on the CPU)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps a row (default 3)")
    parser.add_argument("--tf32", action="store_true", help="CUDA: also time with TF32 matrix products")
    parser.add_argument("--cuequivariance", action="store_true", help="also time with cuEquivariance's convolution")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    configure_runtime(args.threads)
    cuda = args.device.startswith("cuda")
    batches = args.batches or ([1, 4, 16] if cuda else [1, 4])
    structures = glasses(max(batches))
    levers = [(False, False)] + [(True, False)] * (cuda and args.tf32) + [(False, True)] * args.cuequivariance
    rows = []
    for size in args.sizes:
        for batch in batches:
            for tf32, cue in levers:
                torch.backends.cuda.matmul.allow_tf32 = tf32  # restored below
                seconds = seconds_per_step(size, batch, args.device, args.steps, structures, cue)
                rate = batch * len(structures[0]) / seconds
                rows.append([size, batch, "tf32" if tf32 else "fp32", "cuEquivariance" if cue else "ours",
                             f"{seconds:.3f}", f"{rate:.3g}", f"{DM2_BUDGET / rate / 3600:.2f}"])
    torch.backends.cuda.matmul.allow_tf32 = False
    name = torch.cuda.get_device_name(args.device) if cuda else f"CPU, {torch.get_num_threads()} thread(s)"
    print(f"{name}; {args.steps} timed steps a row, after one warm-up\n")
    print_table(["size", "batch", "matmul", "convolution", "s/step", "atom-passes/s", "h for DM2's budget"], rows)


if __name__ == "__main__":
    main()
