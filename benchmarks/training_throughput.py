"""Atom-passes per second of a whole training step (noise, graphs, forward, backward, AdamW, EMA) at DM2's and
the bundled network size, for batches of 3,000-atom glasses, on the CPU or CUDA.

Each row times --steps steps of ase_dm2's Trainer after one warm-up step. Levers: --tf32 (CUDA) adds rows with
TF32 matrix products (to keep only where benchmarks/denoising_error.py shows no loss); --cuequivariance rows with
the edge convolutions through cuEquivariance (ase_dm2.network.cue); --compile rows with them through
torch.compile (ase_dm2.network.convolution.compile_convolutions; the compiling falls in the warm-up step).
--baseline DIR adds rows of another checkout's training step (e.g. a git worktree of an older commit), each timed
in a fresh process, in the same run; --baseline-compile times it with its convolutions compiled (checkouts from
966b2f9 on). DM2's whole training budget is about 1.44e9 atom-passes (30,000-40,000 steps
of 16 structures of 3,000 atoms).
Usage: python benchmarks/training_throughput.py [--device cuda] [--sizes dm2 bundled] [--batches 1 4 16]
           [--steps 3] [--tf32] [--cuequivariance] [--compile] [--baseline DIR [--baseline-compile]] [--skip-plain]
           [--threads 1]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def seconds_per_step(size: str, batch: int, device: str, steps: int, structures, lever="ours") -> float:
    config = DenoiserConfig(species=("O", "Si"), conditional=True, **SIZES[size])
    levers = {"cuEquivariance": {"cuequivariance": True}, "torch.compile": {"compile": True}}.get(lever, {})
    settings = TrainingSettings(steps=steps + 1, batch_size=batch, ema_decay=0.999, device=device,
                                validation_fraction=0, checkpoint_interval=10**9, validation_interval=10**9,
                                **levers)  # no lever: also what older checkouts (--baseline) take
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


def baseline_seconds(checkout: str, args, size: str, batch: int) -> float:
    """Seconds a step of `checkout`'s own package (PYTHONPATH), timed by this script in a fresh process."""
    command = [sys.executable, __file__, "--json", "--sizes", size, "--batches", str(batch), "--steps",
               str(args.steps), "--threads", str(args.threads), "--device", args.device,
               *["--compile", "--skip-plain"] * args.baseline_compile]
    environment = dict(os.environ, PYTHONPATH=str(Path(checkout).resolve()))
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"the baseline in {checkout} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.splitlines()[-1])[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--sizes", nargs="+", choices=SIZES, default=["dm2", "bundled"])
    parser.add_argument("--batches", type=int, nargs="+", help="structures a step (default: 1 4 16 on CUDA, "
                                                              "1 4 on the CPU)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps a row (default 3)")
    parser.add_argument("--tf32", action="store_true", help="CUDA: also time with TF32 matrix products")
    parser.add_argument("--cuequivariance", action="store_true", help="also time with cuEquivariance's convolution")
    parser.add_argument("--compile", action="store_true", help="also time with torch.compile'd convolutions")
    parser.add_argument("--baseline", metavar="DIR", help="also time the training step of the checkout in DIR")
    parser.add_argument("--baseline-compile", action="store_true",
                        help="time the baseline's step with its convolutions compiled")
    parser.add_argument("--json", action="store_true", help="print only the seconds a step of each row, as JSON")
    parser.add_argument("--skip-plain", action="store_true", help="leave out the plain fp32 step's rows")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    configure_runtime(args.threads)
    cuda = args.device.startswith("cuda")
    batches = args.batches or ([1, 4, 16] if cuda else [1, 4])
    structures = glasses(max(batches))
    levers = ([("fp32", "ours")] * (not args.skip_plain) + [("tf32", "ours")] * (cuda and args.tf32)
              + [("fp32", "cuEquivariance")] * args.cuequivariance + [("fp32", "torch.compile")] * args.compile)
    rows, seconds_only = [], []
    for size in args.sizes:
        for batch in batches:
            timed = [(matmul, lever, None) for matmul, lever in levers]
            if args.baseline:
                lever = "baseline, compiled" if args.baseline_compile else "baseline"
                timed.insert(0, ("fp32", f"{lever} ({args.baseline})",
                                 baseline_seconds(args.baseline, args, size, batch)))
            for matmul, lever, seconds in timed:
                if seconds is None:
                    torch.backends.cuda.matmul.allow_tf32 = matmul == "tf32"  # restored below
                    seconds = seconds_per_step(size, batch, args.device, args.steps, structures, lever)
                    seconds_only.append(seconds)
                rate = batch * len(structures[0]) / seconds
                rows.append([size, batch, matmul, lever, f"{seconds:.3f}", f"{rate:.3g}",
                             f"{DM2_BUDGET / rate / 3600:.2f}"])
    torch.backends.cuda.matmul.allow_tf32 = False
    if args.json:
        print(json.dumps(seconds_only))
        return
    name = torch.cuda.get_device_name(args.device) if cuda else f"CPU, {torch.get_num_threads()} thread(s)"
    print(f"{name}; {args.steps} timed steps a row, after one warm-up\n")
    print_table(["size", "batch", "matmul", "convolution", "s/step", "atom-passes/s", "h for DM2's budget"], rows)


if __name__ == "__main__":
    main()
