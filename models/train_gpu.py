"""Train a bundled model for a fixed wall-clock budget, continuing the training state kept in the repository,
then evaluate it beside the bundled model: what a session with a GPU runs first.

    python models/train_gpu.py a-SiO2 --minutes 7 --out OUT         # a-SiO2 first; then CuZr, AET-nanoparticle
    python models/train_gpu.py a-SiO2 --minutes 60 --threads 1 --compile --out OUT   # between GPU sessions
    python models/train_gpu.py a-SiO2 --minutes 30 --cooldown 1500 --out OUT         # a snapshot to evaluate
    python models/train_gpu.py a-SiO2 --minutes 90 --steps 3000 --per-atom-noise --out OUT       # an arm
    python models/train_gpu.py a-SiO2 --minutes 90 --steps 3000 --loss-weight inverse --out OUT  # another
    python models/train_gpu.py a-SiO2 --minutes 90 --steps 3000 --sparse-noise 0.5 --out OUT     # another
    python models/train_gpu.py a-SiO2 --evaluate-only --state STATE --out OUT      # a state saved mid-run

It resumes models/state/NAME.safetensors (weights, AdamW moments, moving average and random state, with the totals so
far: steps, atom-passes, minutes per device; ase_dm2.training.state), or starts one at DM2's network size (64x0e+32x1o,
3 layers, lmax 2; --size), and trains with DM2's objective (sigma ~ U[0.001, 0.75] Å a structure, or with
--per-atom-noise each atom's scale below it, or with --sparse-noise on some atoms only; unweighted MSE, or weighted by
sigma with --loss-weight; AdamW at 2e-4, 16 structures a step on a GPU, 1 on a CPU) and a moving average of the
weights (0.999), until the next step would pass
--minutes. --cooldown N instead decays the learning rate (cosine) to --final-lr over the next N steps and stops there
(or at --minutes): a branch off the chain whose model is the one to evaluate and bundle, while the chain goes on from
the state before it, at the constant rate. --steps N stops after N steps: arms from one state then see the same
structures and noise (--per-atom-noise and --sparse-noise draw more: others). --evaluate-only trains nothing: it
writes the model of a state (e.g. one a stopped run saved) and its evaluation. The a-SiO2 recipe holds out the same
glasses as the bundled model, so the denoising errors compare. Then it writes to OUT:

- state.safetensors: the new state, written every --save-minutes (10) so a run stopped early keeps its steps
  (copy it over models/state/NAME.safetensors and commit it);
- model.safetensors, losses.csv, losses.png, progress.json (this run's and the total steps, atom-passes and
  minutes by device; with --evaluate-only the state's totals, which models/bundle.py records as the hardware);
- evaluation.json and evaluation.md: the denoising error per noise level on the held-out glasses, and
  --eval-seeds structures of --eval-atoms atoms generated with --eval-calls calls (DM2's step on the fast
  schedule) with Si fourfold, O twofold and QUESTS overlap with the simulations (mean ± s.e.), for the new and
  the bundled model, and whether the new one is better on every figure (only then may it replace the bundled
  one: python models/bundle.py, then regenerate the validation report).

On the GPU machine, which lacks ase, vesin, vesin-torch and quests, carry the wheels that
models/gpu_wheels.sh downloads into .whl/ and start the command with the install line it prints.
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

SIGMAS = [0.005, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75]
EVALUATION_RATE = 1.0  # K/ps, for rate-conditional models


def recipe(name: str) -> dict:
    """Training and reference files of a bundled model (as models/train.sh), and its training options."""
    from ase_dm2.paths import repository_data, shared_data

    data, cuzr = shared_data(), repository_data() / "cuzr"
    if name == "a-SiO2":
        files = sorted((data / "a-SiO2").glob("*.dat"))
        return dict(files=files, validation=None, read=dict(rate_from_name=True), conditional=True, options={},
                    references=files)
    if name == "CuZr":
        # DM2's data: two 5,000-atom glasses (data/cuzr/make_glasses.py --atoms 5000), a third held out
        files = [cuzr / f"cuzr_5000_10k_sample{k}.extxyz" for k in (1, 2)]
        validation = [cuzr / "cuzr_5000_10k_sample3.extxyz"]
        return dict(files=files, validation=validation, read={}, conditional=False, options={},
                    references=files + validation)
    if name == "AET-nanoparticle":
        particle = [data / "aet-nanoparticle"]
        return dict(files=particle, validation=None, read={}, conditional=False, references=particle,
                    options=dict(crop_radius=14.0, crop_margin=5.0))
    raise ValueError(f"unknown model {name!r}; choose a-SiO2, CuZr or AET-nanoparticle")


def parse_arguments(argv=None):
    from ase_dm2.network.denoiser import SIZES
    from ase_dm2.training.settings import LOSS_WEIGHTS

    parser = argparse.ArgumentParser(prog="train_gpu.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="a-SiO2, CuZr or AET-nanoparticle")
    parser.add_argument("--minutes", type=float, help="training budget (wall clock); required unless --evaluate-only")
    parser.add_argument("--out", required=True, help="folder for the new state, model, losses and evaluation")
    parser.add_argument("--state", help="training state to continue (default: models/state/NAME.safetensors, "
                                        "if it exists)")
    parser.add_argument("--size", choices=SIZES, help="network size of a new state (default dm2); a state's own "
                                                      "size is kept, and another refused")
    parser.add_argument("--files", nargs="+", help="train on these files instead of the recipe's (rates in "
                                                   "atoms.info); they are the references too")
    parser.add_argument("--device", help="cuda or cpu (default: cuda if there is one)")
    parser.add_argument("--batch-size", type=int, help="structures a step (default: 16 on a GPU, 1 on a CPU)")
    parser.add_argument("--learning-rate", type=float, default=2e-4, help="AdamW (default 2e-4, DM2's)")
    parser.add_argument("--cooldown", type=int, metavar="N",
                        help="decay the learning rate to --final-lr over the next N steps, then stop: a snapshot "
                             "to evaluate (keep the chain's state; do not copy this run's over it)")
    parser.add_argument("--steps", type=int, metavar="N",
                        help="stop after N steps (or at --minutes): arms of equal compute from the same state")
    parser.add_argument("--evaluate-only", action="store_true",
                        help="no training: write the state's model and evaluate it")
    parser.add_argument("--final-lr", type=float, default=1e-5, help="learning rate a cooldown ends at (1e-5)")
    parser.add_argument("--per-atom-noise", action="store_true",
                        help="each atom's noise scale ~ U[sigma_min, the structure's sigma], as the sampler's")
    parser.add_argument("--sparse-noise", type=float, default=0.0, metavar="P",
                        help="with probability P a structure's noise falls on a random fraction of its atoms only, "
                             "the rest kept nearly clean: displaced atoms in clean glass to mend (default 0, DM2's)")
    parser.add_argument("--loss-weight", choices=LOSS_WEIGHTS, default="none",
                        help="each structure's squared error weighted by its sigma: none (DM2's), inverse "
                             "(sigma_w^2 / (sigma^2 + sigma_w^2)) or edm (Karras et al.)")
    parser.add_argument("--loss-weight-sigma", type=float, default=0.05, metavar="SIGMA_W",
                        help="the loss weight's scale sigma_w in Å (0.05)")
    parser.add_argument("--cuequivariance", action="store_true",
                        help="edge convolutions through cuEquivariance (its CUDA kernels; same state and model)")
    parser.add_argument("--compile", action="store_true",
                        help="edge convolutions through torch.compile (same state and model; 20-50 s of compiling)")
    parser.add_argument("--eval-atoms", type=int, default=3000, help="atoms per generated structure (3000)")
    parser.add_argument("--eval-calls", type=int, default=300, help="network calls per structure (300)")
    parser.add_argument("--eval-seeds", type=int, default=2, help="structures per model (2)")
    parser.add_argument("--noise-seeds", type=int, default=2, help="noise draws per glass and sigma (2)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: $ASE_DM2_NUM_THREADS or 1)")
    parser.add_argument("--save-minutes", type=float, default=10.0,
                        help="write the state and progress.json this often (default 10 min), so a stopped run "
                             "keeps its steps")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_arguments(argv)
    try:
        return train_and_evaluate(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"train_gpu.py: error: {error}", file=sys.stderr)
        return 2


def train_and_evaluate(args) -> int:
    if args.evaluate_only:
        if args.minutes is not None or args.steps is not None or args.cooldown is not None:
            raise ValueError("--evaluate-only trains nothing: leave out --minutes, --steps and --cooldown")
    elif args.minutes is None:
        raise ValueError("give a training budget with --minutes (or --evaluate-only to evaluate a state)")
    elif not (args.minutes > 0 and args.save_minutes > 0):
        raise ValueError(f"--minutes and --save-minutes must be positive, got {args.minutes} and {args.save_minutes}")
    if args.cooldown is not None and not (args.cooldown > 0 and 0 < args.final_lr < args.learning_rate):
        raise ValueError(f"a cooldown needs N > 0 steps and 0 < --final-lr < --learning-rate, got {args.cooldown}, "
                         f"{args.final_lr} and {args.learning_rate}")
    if args.steps is not None and (args.steps <= 0 or args.cooldown is not None):
        raise ValueError(f"--steps needs N > 0 and no --cooldown (a cooldown's N is its length), got {args.steps}")
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty; give a new folder")

    import torch

    from ase_dm2 import configure_runtime
    from ase_dm2.io.structures import read_structures
    from ase_dm2.network.denoiser import SIZES, DenoiserConfig
    from ase_dm2.paths import reference_data_missing
    from ase_dm2.training import Trainer, TrainingSettings
    from ase_dm2.training.state import describe, load_state, read_bookkeeping

    configure_runtime(args.threads)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    state = Path(args.state) if args.state else ROOT / "models" / "state" / f"{args.name}.safetensors"
    if args.evaluate_only and not state.is_file():
        raise FileNotFoundError(f"--evaluate-only needs a training state; {state} does not exist")
    plan = recipe(args.name)
    if args.files:
        plan.update(files=[Path(f) for f in args.files], validation=None, read={}, references=args.files)
    missing = [str(f) for f in plan["files"] + (plan["validation"] or []) if not Path(f).exists()]
    if not plan["files"] or missing:
        raise FileNotFoundError(f"training data missing ({', '.join(missing) or 'no files'}): "
                                f"{reference_data_missing() or 'see the recipe in models/train_gpu.py'}")
    structures = read_structures(plan["files"], **plan["read"])
    validation = read_structures(plan["validation"], **plan["read"]) if plan["validation"] else None
    species = sorted({s for a in structures + (validation or []) for s in a.get_chemical_symbols()})
    config = DenoiserConfig(species=species, conditional=plan["conditional"], **SIZES[args.size or "dm2"])
    bookkeeping = read_bookkeeping(state) if state.is_file() else {"step": 0}
    if "config" in bookkeeping:
        held = DenoiserConfig(**bookkeeping["config"])
        if held.species != config.species or (args.size and held != config):
            raise ValueError(f"{state} holds a network of {describe(held.to_dict())}; this run asks for "
                             f"{describe(config.to_dict())}: leave out --size, or give another --state")
        config = held
    start = bookkeeping["step"]
    schedule = (dict(steps=start + args.cooldown, decay_start=start, final_learning_rate=args.final_lr)
                if args.cooldown else dict(steps=start + args.steps if args.steps else 10**7))
    settings = TrainingSettings(**schedule, batch_size=args.batch_size or (16 if device == "cuda" else 1),
                                learning_rate=args.learning_rate, ema_decay=0.999, device=device,
                                validation_interval=100, checkpoint_interval=10**7,
                                per_atom_noise=args.per_atom_noise, sparse_noise=args.sparse_noise,
                                loss_weight=args.loss_weight,
                                loss_weight_sigma=args.loss_weight_sigma, cuequivariance=args.cuequivariance,
                                compile=args.compile, **plan["options"])
    trainer = Trainer(structures, out, config, settings, validation)
    totals = load_state(trainer, state) if state.is_file() else {"steps": 0, "atom_passes": 0, "minutes": {}}
    if args.evaluate_only:
        trainer.finish()
        write_progress(out, {"total": totals})  # the state's totals: models/bundle.py reads its hardware there
    else:
        train(args, trainer, totals, out)
    evaluation = evaluate(args, trainer, plan["references"], plan["read"])
    (out / "evaluation.json").write_text(json.dumps(evaluation, indent=1) + "\n")
    (out / "evaluation.md").write_text(evaluation_text(evaluation))
    print(evaluation_text(evaluation))
    return 0


def train(args, trainer, totals: dict, out: Path) -> None:
    """Train for --minutes, writing state.safetensors and progress.json every --save-minutes and at the end, so a
    run stopped at any time keeps all but its last few minutes' steps."""
    from ase_dm2.training.state import save_state

    settings, device = trainer.settings, device_name(trainer.settings.device)
    atoms_per_structure = sum(len(a) for a in trainer.train_set) / len(trainer.train_set)
    first_step, began = trainer.step, time.monotonic()
    progress = {}

    def save() -> None:
        minutes, done = (time.monotonic() - began) / 60, trainer.step - first_step
        run = {"steps": done, "atom_passes": round(done * settings.batch_size * atoms_per_structure),
               "minutes": round(minutes, 3), "device": device, "batch_size": settings.batch_size}
        by_device = dict(totals["minutes"])
        by_device[device] = round(by_device.get(device, 0.0) + minutes, 3)
        total = {"steps": trainer.step, "atom_passes": totals["atom_passes"] + run["atom_passes"],
                 "minutes": by_device}
        save_state(trainer, out / "state.safetensors", total)
        progress.update(this_run=run, total=total)
        write_progress(out, progress)

    trainer.attach(save, seconds=60 * args.save_minutes)
    trainer.run(progress=not args.no_progress, seconds=60 * args.minutes)
    run, total = progress["this_run"], progress["total"]
    print(f"{run['steps']} steps in {run['minutes']:.2f} min on {device} "
          f"({run['atom_passes'] / max(60 * run['minutes'], 1e-9):.3g} atom-passes/s); total {trainer.step} steps, "
          f"{total['atom_passes']:.3g} atom-passes")


def write_progress(out: Path, progress: dict) -> None:
    """progress.json (steps, atom-passes and minutes by device), written atomically."""
    from ase_dm2.io.atomic import atomic_path

    with atomic_path(out / "progress.json") as tmp:
        Path(tmp).write_text(json.dumps(progress, indent=1) + "\n")


def device_name(device: str) -> str:
    import torch

    from ase_dm2.runtime import processor_name

    return torch.cuda.get_device_name(device) if device.startswith("cuda") else f"cpu: {processor_name()}"


def evaluate(args, trainer, reference_files, read_options) -> dict:
    """Denoising error per sigma on the held-out structures, and generated structures' figures, for the new
    model and the bundled one."""
    import numpy as np

    from denoising_error import errors
    from ase_dm2 import generate, load_model
    from ase_dm2.analysis.coordination import silica_defects
    from ase_dm2.analysis.entropy import descriptors, overlap_fraction
    from ase_dm2.conventions import RATE_KEY
    from ase_dm2.io.structures import read_structures
    from ase_dm2.sampling.schedule import NoiseSchedule

    device = trainer.device
    models = {"new": trainer.final_model.eval()}
    try:
        models["bundled"] = load_model(args.name, device=device).eval()
    except ValueError:  # no bundled model of that name
        pass
    held_out = trainer.validation_set or trainer.train_set[:1]
    references = read_structures(reference_files, **read_options)
    at_rate = [a for a in references if a.info.get(RATE_KEY) == EVALUATION_RATE]
    references = at_rate if trainer.model.conditional and at_rate else references
    reference_environments = descriptors(references)
    silica = set(references[0].get_chemical_symbols()) == {"Si", "O"}
    result = {"sigmas": SIGMAS, "held_out": [a.info.get("source", "?") for a in held_out],
              "generation": {"atoms": args.eval_atoms, "calls": args.eval_calls, "seeds": args.eval_seeds},
              "models": {}}
    for label, model in models.items():
        error = errors(model, held_out, SIGMAS, args.noise_seeds)
        samples = generate(model, n_atoms=args.eval_atoms, rate=EVALUATION_RATE if model.conditional else None,
                           schedule=NoiseSchedule.fast(args.eval_calls), n_samples=args.eval_seeds,
                           batch_size=args.eval_seeds, progress=False)
        figures = {"overlap": [overlap_fraction(descriptors([s]), reference_environments) for s in samples]}
        if silica:
            defects = [silica_defects(s) for s in samples]
            figures.update(si_fourfold=[d["si_fourfold"] for d in defects], o_twofold=[d["o_twofold"] for d in defects])
        result["models"][label] = {"denoising_error": error,
                                   "figures": {k: {"mean": float(np.mean(v)), "stderr": stderr(v), "values": v}
                                               for k, v in figures.items()}}
    if "bundled" in result["models"]:
        new, old = result["models"]["new"], result["models"]["bundled"]
        better = [a < b for a, b in zip(new["denoising_error"], old["denoising_error"])]
        better += [new["figures"][k]["mean"] > old["figures"][k]["mean"] for k in new["figures"]]
        result["better_than_bundled_on_every_figure"] = all(better)
    return result


def stderr(values) -> float:
    import numpy as np

    return float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else float("nan")


def evaluation_text(evaluation: dict) -> str:
    models = evaluation["models"]
    lines = ["Denoising error (MSE per coordinate, Å²) on the held-out structures:", "",
             "| model | " + " | ".join(f"σ {s:g} Å" for s in evaluation["sigmas"]) + " |",
             "|---" * (len(evaluation["sigmas"]) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(f"{e:.3g}" for e in m["denoising_error"]) + " |"
              for label, m in models.items()]
    g = evaluation["generation"]
    names = list(next(iter(models.values()))["figures"])
    lines += ["", f"Generated: {g['seeds']} structures of {g['atoms']} atoms, {g['calls']} calls (mean ± s.e.):", "",
              "| model | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(f"{m['figures'][k]['mean']:.4f} ± {m['figures'][k]['stderr']:.4f}"
                                           for k in names) + " |" for label, m in models.items()]
    if "better_than_bundled_on_every_figure" in evaluation:
        verdict = "yes" if evaluation["better_than_bundled_on_every_figure"] else "no"
        lines += ["", f"Better than the bundled model on every figure: {verdict}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
