"""ase-dm2 generate: amorphous structures from a model."""

from ase_dm2.cli.md import refinement_length_options
from ase_dm2.sampling.schedule import SCHEDULES


def add_schedule_arguments(p):
    """--sampler, --calls, --schedule, --steps and --noiseless-steps, read back by sampler_from (generate and
    validate)."""
    p.add_argument("--sampler", metavar="NAME",
                   help="dm2 (DM2's step, any model), edm (Heun steps with noise churn) or pc (predictor-corrector); "
                        "edm and pc need a noise-conditioned model (default: dm2 for every model)")
    p.add_argument("--calls", type=int, help="network calls per sample (default: 3000 for dm2 (300 with "
                                             "--schedule fast), 300 for edm and pc)")
    p.add_argument("--schedule", choices=list(SCHEDULES),
                   help="dm2 sampler's noise schedule: dm2 (DM2's, 3,000 steps; the default) or fast (300 steps, "
                        "most inside 0.7-0.3 Å)")
    p.add_argument("--steps", type=int, help="dm2 sampler's steps, the same as --calls")
    p.add_argument("--noiseless-steps", type=int,
                   help="dm2 sampler's final steps without noise (default: steps/30 for dm2, steps/10 for fast)")


def add_compile_argument(p):
    """--compile (generate and validate), applied by compile_if_asked."""
    p.add_argument("--compile", action="store_true",
                   help="CPU: the network's edge convolutions through torch.compile, about 2.7x faster a call "
                        "after 10-30 s of compiling (needs a C++ compiler); outputs equal to float round-off, "
                        "which a long noisy run turns into another glass than the plain run's")


def compile_if_asked(args, model):
    """The model with its convolutions compiled when --compile was given (in place)."""
    if args.compile:
        from ase_dm2.network.convolution import compile_convolutions

        compile_convolutions(model)
    return model


def sampler_from(args, model, calls=None):
    """The sampler the options ask for, with `calls` network calls if given (else --calls, else the default)."""
    from ase_dm2.sampling.samplers import DEFAULT_SAMPLER, make_sampler
    from ase_dm2.sampling.schedule import NoiseSchedule

    for option in ("calls", "steps"):
        if getattr(args, option) is not None and getattr(args, option) < 1:
            raise ValueError(f"--{option} must be at least 1 (DM2's protocol: 3000), got {getattr(args, option)}")
    if args.calls is not None and args.steps is not None and args.calls != args.steps:
        raise ValueError(f"--calls {args.calls} and --steps {args.steps} disagree; give one of them")
    calls = calls or args.calls or args.steps
    schedule = None  # shaped by --schedule and --noiseless-steps, which make_sampler refuses for edm and pc
    if (args.sampler or DEFAULT_SAMPLER) == "dm2" or args.schedule or args.noiseless_steps is not None:
        schedule = NoiseSchedule.named(args.schedule or "dm2", calls, args.noiseless_steps)
    return make_sampler(args.sampler, model, None if schedule else calls, schedule)


def add_parser(subparsers):
    p = subparsers.add_parser("generate", help="generate structures with a model",
                              description="Generate amorphous structures by denoising random starts (DM2).")
    p.add_argument("model", help="bundled model name or model file")
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--atoms", type=int, help="number of atoms")
    size.add_argument("--formula-units", type=int, help="number of formula units")
    p.add_argument("--formula", help="composition, e.g. SiO2 (default: the model's training composition)")
    p.add_argument("--rate", type=float, help="cooling rate in K/ps (conditional models; up to a decade beyond "
                                              "the model's training range)")
    p.add_argument("--extrapolate", action="store_true",
                   help="allow a rate more than a decade beyond the model's training range")
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--density", type=float, help="density in g/cm3 (default: predicted from the rate)")
    shape.add_argument("--cell", type=float, nargs="+", metavar="X",
                       help="cell as 3 lengths, 6 parameters (a b c alpha beta gamma) or 9 matrix entries (Å)")
    p.add_argument("--aspect", type=float, nargs=3, default=(1.0, 1.0, 1.0), metavar=("A", "B", "C"),
                   help="edge ratios of an orthorhombic box (default: cube)")
    p.add_argument("--pore-radius", type=float, help="cylindrical pore radius in Å (hexagonal cell)")
    add_schedule_arguments(p)
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the first sample's start and noise; sample k uses SEED + k (default %(default)s)")
    p.add_argument("--n-samples", type=int, default=1, help="structures to generate (default %(default)s)")
    p.add_argument("--batch-size", type=int, default=1,
                   help="samples denoised together, one network call per step for all (fills a GPU; default "
                        "%(default)s)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default %(default)s)")
    add_compile_argument(p)
    p.add_argument("-o", "--output", required=True, help="output file, one frame per sample (e.g. out.extxyz)")
    p.add_argument("--trajectory", help="denoising trajectory (.traj; one per sample when several)")
    p.add_argument("--log", help="log file of step, sigma and mean displacement ('-' for stdout)")
    refinement = p.add_argument_group("refinement (LAMMPS MD after generation, as DM2 does before measuring)")
    refinement.add_argument("--refine", metavar="POTENTIAL",
                            help="refine each sample: sio2 (Jakse), cuzr (Cheng-Sheng EAM) or an eam/alloy file; "
                                 "OUTPUT gets the refined samples, OUTPUT's name + .unrefined the others")
    refinement.add_argument("--potential-file", help="EAM file of the cuzr preset (default: the reference data's)")
    refinement_length_options(refinement)
    refinement.add_argument("--processes", type=int, help="refinements at once (default: the cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="spread the samples over a Dask distributed cluster (e.g. tcp://host:8786); the workers "
                        "must be able to read MODEL")
    p.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    import numpy as np
    import torch

    from ase_dm2.io.output import check_output_file, structure_format, write_structures
    from ase_dm2.modelfile import load_model
    from ase_dm2.sampling.generate import generate

    if args.n_samples < 1 or args.batch_size < 1:
        raise ValueError(f"--n-samples and --batch-size must be at least 1, got {args.n_samples} and "
                         f"{args.batch_size}")
    if args.processes is not None and args.processes < 1:
        raise ValueError(f"--processes must be at least 1, got {args.processes}")
    output_format = structure_format(args.output, args.n_samples)  # before any work
    unrefined_path = Path(args.output).with_suffix(".unrefined" + Path(args.output).suffix)
    if args.refine:
        structure_format(unrefined_path, args.n_samples)
    if args.trajectory:
        structure_format(args.trajectory)
    if args.log and args.log != "-":
        check_output_file(args.log)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but torch sees no CUDA GPU; use --device cpu")
    if args.compile and (args.device != "cpu" or args.scheduler):
        raise ValueError("--compile is for generation on this machine's CPU (a GPU replays the network as a CUDA "
                         "graph instead): leave out --compile, or --device and --scheduler")
    cell = None
    if args.cell:
        if len(args.cell) not in (3, 6, 9):
            raise ValueError(f"--cell takes 3, 6 or 9 numbers, got {len(args.cell)}")
        cell = np.reshape(args.cell, (3, 3)) if len(args.cell) == 9 else args.cell
    model = compile_if_asked(args, load_model(args.model, device=args.device))
    potential = None
    if args.refine:
        from ase_dm2.md.refine import refine_many, refinement_potential
        from ase_dm2.sampling.generate import default_composition

        potential = refinement_potential(args.refine, args.formula or default_composition(model),
                                         args.potential_file)
    options = dict(n_atoms=args.atoms, formula_units=args.formula_units, composition=args.formula, rate=args.rate,
                   density=args.density, cell=cell, aspect=args.aspect, pore_radius=args.pore_radius,
                   sampler=sampler_from(args, model), extrapolate=args.extrapolate)
    if args.scheduler:
        from ase_dm2.sampling.distributed import generate_on_cluster

        if args.trajectory or args.log:
            raise ValueError("--trajectory and --log are local files: leave them out with --scheduler")
        if args.batch_size > 1:
            raise ValueError("--scheduler runs one sample per task: leave out --batch-size")
        if args.rate is not None and model.density_model is not None:
            model.density_model.check_rate(args.rate, args.extrapolate)  # here, not on every worker
        samples = generate_on_cluster(args.scheduler, args.model, args.n_samples, seed=args.seed,
                                      device=args.device, num_threads=args.threads, progress=not args.quiet,
                                      **options)
    else:
        samples = generate(model, seed=args.seed, n_samples=args.n_samples, trajectory=args.trajectory,
                           logfile=args.log, batch_size=args.batch_size, progress=not args.quiet, **options)
    if potential is not None:
        write_structures(unrefined_path, samples, output_format)
        print(f"{len(samples)} unrefined structure(s) written to {unrefined_path}")
        samples = refine_many(samples, potential, args.processes, progress=not args.quiet, nvt_ps=args.nvt_ps,
                              npt_ps=args.npt_ps)
    replaced = write_structures(args.output, samples, output_format)
    print(f"{len(samples)} structure(s) written to {args.output}" + (" (replacing the file there)" if replaced else ""))
    return 0
