"""Small helpers shared by the benchmark scripts: data location, arguments, timing and tables."""
import argparse
import time
from pathlib import Path

import numpy as np

from ase_dm2.paths import shared_data

SHARED_DATA = shared_data()


def model_label(name: str) -> str:
    """A short name for a model argument: a bundled name as given, runs/X/model.safetensors as X, else the stem."""
    path = Path(name)
    return (path.parent.name if path.stem == "model" else path.stem) if path.suffix else name


def size_parser(description: str) -> argparse.ArgumentParser:
    """Arguments of the size-scaling benchmarks: --sizes, --threads, --repeat."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 3000, 30000])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    return parser


def device_parser(description: str, steps: int) -> argparse.ArgumentParser:
    """Arguments of the device-loop benchmarks: --device (cuda if any), --model, --atoms, --steps, --threads."""
    import torch

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--model", default="a-SiO2")
    parser.add_argument("--atoms", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--threads", type=int, default=1)
    return parser


def device_model(args):
    """The runtime set up, args.model on args.device in eval mode, and its density at 1 K/ps (else 2.2 g/cm3)."""
    from ase_dm2 import configure_runtime, load_model

    configure_runtime(args.threads)
    model = load_model(args.model, device=args.device).eval()
    return model, model.density_model.predict(1.0) if model.density_model is not None else 2.2


def silica(n_atoms: int, count: int, density: float) -> list:
    """`count` random SiO2 starts of `n_atoms` at `density`, seeds 0, 1, ..."""
    from ase_dm2.build import random_structure

    return [random_structure("SiO2", n_atoms=n_atoms, density=density, seed=k) for k in range(count)]


def best_time(fn, repeat: int = 3) -> float:
    """Best wall time of `repeat` calls (after one warm-up call), in seconds."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def step_seconds(atoms, model, rate=1.0, repeat: int = 3) -> float:
    """Best wall time of one DiffusionDynamics step (network, neighbour list, noise and wrapping)."""
    from ase_dm2 import DiffusionDynamics, NoiseSchedule

    dyn = DiffusionDynamics(atoms, model, rate=rate if model.conditional else None, seed=0,
                            schedule=NoiseSchedule(steps=10000))
    steps = dyn.irun()
    next(steps)  # sets up the engine; each next() is then one step

    return best_time(lambda: next(steps), repeat)


def print_table(headers, rows) -> None:
    widths = [max(len(str(h)), *(len(str(r[k])) for r in rows)) for k, h in enumerate(headers)]
    line = "  ".join(f"{h:>{w}}" for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(f"{v:>{w}}" for v, w in zip(row, widths)))


def standard_error(values) -> float:
    """Standard error of the mean of `values` (nan for a single value)."""
    values = np.asarray(values, dtype=float)
    return float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else float("nan")


def mean_and_error(values, digits: int = 6, signed: bool = False) -> str:
    """'mean ± standard error' with `digits` significant digits for the mean (with its sign: paired differences)."""
    sign = "+" if signed else ""
    return f"{np.mean(values):{sign}.{digits}g} ± {standard_error(values):.2g}"
