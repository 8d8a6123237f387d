"""Generation on one device (the GPU goals of issue 8): the device loop, batches and large cells.

1. One sample of --atoms through the whole schedule (--steps) with the denoising engine (positions,
   neighbour list and noise stay on the device): on a GPU launched op by op (the baseline), then its
   default (a batch of up to REPLAY_MAX_ATOMS atoms replays the network as a CUDA graph), and with
   fixed-size neighbour lists (fixed_shapes: nothing read back per step; on a GPU list and network
   replay as one graph); ratio = first row / row.
2. --batch samples of --atoms in one call (with either neighbour list) against one at a time: throughput ratio.
3. --large sizes (multiples of 3 atoms, SiO2 units): seconds per step (over at least 2,000,000 atom-steps),
   the whole schedule extrapolated, and peak device memory; each row is printed as it is measured, and the first
   size that runs out of memory (or fails) ends the table.
4. With --chunks: edge chunk sizes, CUDA graph and op by op, at --atoms and the first --large
   size (how DEFAULT_CHUNK and REPLAY_MAX_ATOMS were chosen); ratio against the first chunk size
   (replayed on a GPU).
2-4 time steady-state steps: an (n + 1)-step call minus a 1-step call, leaving out set-up,
copies and the CUDA graph capture, which a long schedule pays once.
Usage: python benchmarks/device_generation.py [--device cuda] [--model a-SiO2] [--atoms 3000] [--steps 3000]
           [--batch 16] [--large 112848 1000002] [--chunks 262144 65536 16384] [--threads 1]
"""
import time

import torch

from _util import device_model, device_parser, print_table, silica
from ase_dm2 import NoiseSchedule
from ase_dm2.network.convolution import EdgeConvolution
from ase_dm2.runtime import processor_name
from ase_dm2.sampling.engine import denoise


def timed(structures, model, schedule, **options) -> float:
    """Wall seconds of one call; denoise returns host structures, so the device has finished."""
    start = time.perf_counter()
    denoise(structures, model, schedule, list(range(len(structures))), [1.0] * len(structures), progress=False,
            **options)
    return time.perf_counter() - start


def seconds_per_step(structures, model, steps: int, **options) -> float:
    """Steady-state seconds per device-loop step: (steps + 1)-step call minus 1-step call, over `steps`.

    The difference leaves out what a long schedule pays once: set-up, copies and the CUDA graph capture.
    """
    def schedule(n):
        return NoiseSchedule(steps=n, noiseless_steps=0)
    return (timed(structures, model, schedule(steps + 1), **options)
            - timed(structures, model, schedule(1), **options)) / steps


def peak_memory_gib(device) -> str:
    return f"{torch.cuda.max_memory_allocated(device) / 2**30:.1f}" if device.type == "cuda" else "-"


def main():
    parser = device_parser(__doc__, steps=3000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--batch-steps", type=int, default=20)
    parser.add_argument("--large", type=int, nargs="*", default=[112848, 1000002])
    parser.add_argument("--chunks", type=int, nargs="*", default=[])
    args = parser.parse_args()
    device = torch.device(args.device)
    model, density = device_model(args)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else processor_name()
    print(f"{args.model} on {name}, torch {torch.__version__}, {args.threads} CPU thread(s), 1 K/ps, "
          f"{density:.3f} g/cm3")

    schedule = NoiseSchedule.dm2(args.steps)
    timed(silica(args.atoms, 1, density), model, NoiseSchedule.dm2(3))  # warm-up
    loops = [("engine, its default", {}), ("engine, fixed-size neighbour lists (fixed_shapes)",
                                          {"fixed_shapes": True})]
    if device.type == "cuda":
        loops.insert(0, ("engine, network launched op by op", {"cuda_graph": False}))
    rows = []
    for label, options in loops:
        seconds = timed(silica(args.atoms, 1, density), model, schedule, **options)
        rows.append([label, f"{seconds:.1f}", f"{float(rows[0][1]) / seconds if rows else 1.0:.2f}"])
    print(f"\n1. one {args.atoms}-atom sample, {args.steps} steps:")
    print_table(["loop", "seconds", "ratio"], rows)

    one = sum(seconds_per_step([atoms], model, args.batch_steps) for atoms in silica(args.atoms, args.batch, density))
    together = seconds_per_step(silica(args.atoms, args.batch, density), model, args.batch_steps)
    fixed = seconds_per_step(silica(args.atoms, args.batch, density), model, args.batch_steps, fixed_shapes=True)
    print(f"\n2. {args.batch} samples of {args.atoms} atoms, device loop, steady state over {args.batch_steps} steps:")
    print_table(["mode", "s per sample-step", "throughput ratio"],
                [["one at a time", f"{one / args.batch:.4f}", "1.00"],
                 [f"{args.batch} per call", f"{together / args.batch:.4f}", f"{one / together:.2f}"],
                 [f"{args.batch} per call, fixed-size neighbour lists", f"{fixed / args.batch:.4f}",
                  f"{one / fixed:.2f}"]])

    rows = []
    if args.large:
        print("\n3. large cells, device loop, steady state over 2,000,000 atom-steps (at least 3 steps), rows as "
              "measured:", flush=True)
    for n in args.large:
        structure = silica(n, 1, density)
        try:
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            # 112,848 atoms on an H100: 3 steps gave 0.15 or 0.34 s a step, 20 steps 0.10 s
            per_step = seconds_per_step(structure, model, max(3, round(2e6 / n)))
        except (torch.OutOfMemoryError, RuntimeError) as error:  # the network's or vesin-torch's allocation
            rows.append([n, f"failed: {str(error).splitlines()[0][:100]}", "", ""])
            print(*rows[-1], flush=True)
            break
        rows.append([n, f"{per_step:.3f}", f"{per_step * args.steps / 60:.1f}", peak_memory_gib(device)])
        print(*rows[-1], flush=True)
        del structure
        if device.type == "cuda":
            torch.cuda.empty_cache()  # the next size starts from an empty cache
    if rows:
        print_table(["atoms", "s per step", f"min per {args.steps} steps", "peak GiB"], rows)

    if args.chunks:
        chunk_sizes(model, args.chunks, [(args.atoms, 30)] + [(n, 5) for n in args.large[:1]], density)


def chunk_sizes(model, chunks, sizes, density):
    """Section 4: steady-state seconds per step for each edge chunk size, replayed and op by op."""
    rows, modes = [], (True, False) if next(model.parameters()).is_cuda else (False,)
    modules = [module for module in model.modules() if isinstance(module, EdgeConvolution)]
    for n, steps in sizes:
        structure = silica(n, 1, density)
        baseline = None
        for chunk in chunks:
            for module in modules:
                module.chunk_size = chunk
            for replay in modes:
                per_step = seconds_per_step(structure, model, steps, cuda_graph=replay)
                baseline = baseline or per_step
                rows.append([n, chunk, "CUDA graph" if replay else "op by op", f"{per_step * 1e3:.2f}",
                             f"{baseline / per_step:.2f}"])
    for module in modules:
        module.chunk_size = None  # back to DEFAULT_CHUNK
    print("\n4. edge chunk sizes, device loop, steady state:")
    print_table(["atoms", "edges per chunk", "network", "ms per step", "speed ratio"], rows)


if __name__ == "__main__":
    main()
