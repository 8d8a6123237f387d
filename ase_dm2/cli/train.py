"""ase-dm2 train: train a denoiser on ASE-readable structure files."""
import datetime
import os
from dataclasses import fields, replace
from pathlib import Path


def add_parser(subparsers):
    from ase_dm2.training.settings import LOSS_WEIGHTS, SIGMA_DISTRIBUTIONS, TrainingSettings

    d = TrainingSettings()
    p = subparsers.add_parser("train", help="train a denoiser on structure files",
                              description="Train a denoiser (conditional on cooling rate unless --unconditional). "
                                          "Run under torchrun for data-parallel training.")
    p.add_argument("files", nargs="+", help="ASE-readable structure files (extxyz, traj, LAMMPS data, ...) or "
                                            "the AET nanoparticle's folder of .mat files")
    p.add_argument("-o", "--out-dir", required=True, help="folder for checkpoint, loss curves and model.safetensors")
    p.add_argument("--unconditional", action="store_true", help="ignore cooling rates")
    p.add_argument("--rate-key", default=d.rate_key,
                   help="atoms.info key holding the cooling rate in K/ps (default %(default)s)")
    p.add_argument("--rate-from-filename", action="store_true",
                   help="read the rate from DM2-style file names (glass_0_1k = 0.1 K/ps)")
    p.add_argument("--types", help="LAMMPS atom types to elements, e.g. 1=O,2=Si (default: from the masses)")
    p.add_argument("--validation", nargs="*", help="held-out files (default: a fraction of FILES)")
    p.add_argument("--steps", type=int, default=d.steps, help="optimiser steps (default %(default)s, DM2's)")
    p.add_argument("--batch-size", type=int, default=d.batch_size,
                   help="structures per step, over all processes (default %(default)s, DM2's)")
    p.add_argument("--lr", type=float, default=d.learning_rate, dest="learning_rate",
                   help="AdamW learning rate (default %(default)s, DM2's)")
    p.add_argument("--final-lr", type=float, dest="final_learning_rate",
                   help="decay the learning rate on a cosine to this by the last step (default: constant)")
    p.add_argument("--ema-decay", type=float, default=d.ema_decay,
                   help="validate and save a moving average of the weights (e.g. 0.999; default 0: off)")
    p.add_argument("--validation-fraction", type=float, default=d.validation_fraction,
                   help="share of FILES held out when --validation is not given (default %(default)s)")
    p.add_argument("--validation-interval", type=int, default=d.validation_interval,
                   help="steps between validation losses (default %(default)s)")
    p.add_argument("--checkpoint-interval", type=int, default=d.checkpoint_interval,
                   help="steps between checkpoints (default %(default)s)")
    p.add_argument("--seed", type=int, default=d.seed, help="seed of the split, noise and batches (default "
                                                           "%(default)s)")
    p.add_argument("--device", default=d.device, help="cpu or cuda (default %(default)s)")
    p.add_argument("--crop-radius", type=float,
                   help="train on spherical crops (Å) of finite structures, counting only bulk atoms in the loss")
    p.add_argument("--crop-margin", type=float, default=d.crop_margin,
                   help="loss atoms lie this far (Å) inside the crop and the structure (default %(default)s)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue the run in OUT_DIR from its checkpoint")
    again.add_argument("--overwrite", action="store_true", help="start afresh in an OUT_DIR that holds a run, "
                                                                "replacing its model and checkpoint")
    p.add_argument("--init", metavar="MODEL", help="start from this model's weights (a bundled name or a file) "
                                                   "and its architecture, which the architecture options then leave")
    p.add_argument("--per-atom-noise", action="store_true",
                   help="draw each atom's noise scale in [sigma_min, the structure's sigma], so one structure "
                        "mixes scales as DM2's sampler noise does")
    p.add_argument("--sparse-noise", type=float, default=d.sparse_noise, metavar="P",
                   help="with probability P a structure's noise falls on a random fraction of its atoms only, the "
                        "rest kept nearly clean: displaced atoms in clean glass to mend (default: %(default)s, DM2's)")
    p.add_argument("--sigma-distribution", choices=SIGMA_DISTRIBUTIONS, default=d.sigma_distribution,
                   help="how each structure's noise scale is drawn in [0.001, 0.75] Å (default: %(default)s, DM2's)")
    p.add_argument("--loss-weight", choices=LOSS_WEIGHTS, default=d.loss_weight,
                   help="weight of each structure's error by its noise scale (default: %(default)s, DM2's; "
                        "inverse: w^2/(sigma^2+w^2); edm: 1+w^2/sigma^2, Karras et al. 2022)")
    p.add_argument("--loss-weight-sigma", type=float, default=d.loss_weight_sigma, metavar="W",
                   help="the scale w (Å) of --loss-weight (default %(default)s)")
    p.add_argument("--cuequivariance", action="store_true",
                   help="edge convolutions through NVIDIA's cuEquivariance (extra 'cuequivariance'; its CUDA "
                        "kernels on a GPU); the model file is the same")
    p.add_argument("--compile", action="store_true",
                   help="edge convolutions through torch.compile: a CPU step about 2x faster after 20-50 s of "
                        "compiling (needs a C++ compiler); the model file is the same")
    arch = p.add_argument_group("architecture (defaults: DM2's network)")
    arch.add_argument("--cutoff", type=float, default=5.0, help="neighbour cutoff in Å (default %(default)s)")
    arch.add_argument("--layers", type=int, default=3, dest="num_layers",
                      help="interaction layers (default %(default)s)")
    arch.add_argument("--hidden-scalars", type=int, default=64,
                      help="scalar (0e) channels per layer (default %(default)s)")
    arch.add_argument("--hidden-vectors", type=int, default=32,
                      help="vector (1o) channels per layer (default %(default)s)")
    arch.add_argument("--lmax", type=int, default=2, help="largest angular momentum of the edge harmonics "
                                                          "(default %(default)s)")
    arch.add_argument("--noise-conditional", action="store_true",
                      help="tell the network each structure's noise level (samplers: edm, pc); with --init, adds "
                           "a noise embedding that starts at zero to the initial model")
    arch.add_argument("--output-scale", type=float, metavar="S",
                      help="with --noise-conditional: scale the output by sigma/sqrt(sigma^2+S^2) (Å), so that the "
                           "network cannot move atoms much further than the noise at sigma << S (default: no scale, "
                           "DM2's)")
    p.set_defaults(run=run, kept=kept)


def kept(args) -> str:
    """What an interrupted run leaves: its last checkpoint, if one was written."""
    from ase_dm2.training.trainer import CHECKPOINT

    checkpoint = Path(args.out_dir) / CHECKPOINT
    if checkpoint.is_file():
        return f"the last checkpoint is kept in {checkpoint}; continue with --resume"
    return "no checkpoint was written yet"


def check_out_dir(args) -> None:
    """Refuse to start afresh in a folder that holds a run, unless told to resume or overwrite it."""
    from ase_dm2.io.output import check_output_folder
    from ase_dm2.training.trainer import CHECKPOINT, MODEL

    check_output_folder(args.out_dir)
    held = [name for name in (CHECKPOINT, MODEL) if (Path(args.out_dir) / name).exists()]
    if held and not (args.resume or args.overwrite):
        raise ValueError(f"{args.out_dir} already holds a run ({', '.join(held)}); pass --resume to continue it, "
                         "--overwrite to replace it, or choose another -o")


def run(args) -> int:
    import torch.distributed as dist

    from ase_dm2 import load_model
    from ase_dm2.io.structures import parse_type_map, read_structures
    from ase_dm2.network.denoiser import Denoiser, DenoiserConfig
    from ase_dm2.training.settings import TrainingSettings
    from ase_dm2.training.trainer import MODEL, Trainer

    check_out_dir(args)
    type_map = parse_type_map(args.types) if args.types else None
    read = dict(type_map=type_map, rate_key=args.rate_key, rate_from_name=args.rate_from_filename)
    structures = read_structures(args.files, **read)
    validation = read_structures(args.validation, **read) if args.validation else None
    species = sorted({s for a in structures + (validation or []) for s in a.get_chemical_symbols()})
    initial = None
    if args.init:
        initial = load_model(args.init)
        unknown = sorted(set(species) - set(initial.species))
        if unknown:
            raise ValueError(f"the structures contain {', '.join(unknown)}, which {args.init} does not know "
                             f"(its species: {', '.join(initial.species)}); train without --init")
        if not isinstance(initial, Denoiser):
            raise ValueError(f"{args.init} is a DM2 checkpoint, whose network ase_dm2 does not fine-tune; "
                             "train without --init, or --init an ase_dm2 model")
        changes = dict(noise_conditional=True) if args.noise_conditional else {}
        if args.output_scale is not None:
            changes["output_scale"] = args.output_scale
        config = replace(initial.config, **changes)
    else:
        config = DenoiserConfig(species=species, cutoff=args.cutoff, num_layers=args.num_layers,
                                hidden_scalars=args.hidden_scalars, hidden_vectors=args.hidden_vectors,
                                lmax=args.lmax, conditional=not args.unconditional,
                                noise_conditional=args.noise_conditional, output_scale=args.output_scale)
    settings = TrainingSettings(**{f.name: getattr(args, f.name) for f in fields(TrainingSettings)
                                   if hasattr(args, f.name)})
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl" if args.device.startswith("cuda") else "gloo",
                                timeout=datetime.timedelta(minutes=30))
    try:
        trainer = Trainer(structures, args.out_dir, config, settings, validation, initial)
        if args.resume:
            trainer.resume()
        trainer.run()
        if distributed:
            dist.barrier()  # rank 0 has written the model before anyone leaves
    finally:
        if distributed:
            dist.destroy_process_group()
    if trainer.rank == 0:
        print(f"model written to {Path(args.out_dir) / MODEL}")
    return 0
