"""ase-dm2 validate: a model's validation report (generated vs reference structures, moduli, rate trends)."""
import shlex
import sys
from pathlib import Path

from ase_dm2.cli.generate import add_compile_argument, add_schedule_arguments, compile_if_asked, sampler_from
from ase_dm2.cli.md import refinement_length_options
from ase_dm2.paths import repository_data, shared_data

# Bundled models and what they are checked against: reference files under the shared data folder,
# (or this repository's data/), the LAMMPS potential preset and the main comparison's rate. The bundled CuZr model
# is checked against the 2,000-atom glasses it was trained on (data/cuzr also holds DM2-size 5,000-atom ones).
BUNDLED = {
    "a-SiO2": dict(references="a-SiO2/*.dat", potential="sio2", rate=1.0),
    "CuZr": dict(references="cuzr/cuzr_2000_*.extxyz", potential="cuzr", rate=None, in_repository=True, n_atoms=2000),
    "AET-nanoparticle": dict(references="aet-nanoparticle", potential=None, rate=None, n_atoms=3000),
}


def add_parser(subparsers):
    p = subparsers.add_parser(
        "validate", help="validation report of a model",
        description="Generate samples, refine them with LAMMPS as DM2 does, compare them before and after "
                    "refinement with reference structures on every figure of merit (with the energy after "
                    "minimising and the elastic moduli), follow cooling-rate trends, and write report.md with "
                    "PNG plots. Bundled models know their references (" + ", ".join(BUNDLED) + ").")
    p.add_argument("model", help="bundled model name or model file")
    p.add_argument("-o", "--out-dir", required=True,
                   help="folder for report.md, report.json, the plots and the generated structures")
    p.add_argument("--reference", nargs="+", help="reference structure files (default for bundled models: their "
                                                  "training or experimental data)")
    p.add_argument("--rate-from-filename", action="store_true",
                   help="read the references' cooling rates from DM2-style file names (glass_0_1k = 0.1 K/ps)")
    p.add_argument("--potential", help="LAMMPS preset for the MD: sio2 or cuzr (default for bundled models)")
    p.add_argument("--potential-file", help="EAM file for the cuzr preset (default: the shared data's)")
    p.add_argument("--atoms", type=int, help="atoms per generated sample (default 3000; 2000 for CuZr)")
    p.add_argument("--samples", type=int, default=3, help="samples of the main comparison (default %(default)s)")
    p.add_argument("--rate", type=float, help="cooling rate of the main comparison (default 1 K/ps)")
    add_schedule_arguments(p)
    add_compile_argument(p)
    p.add_argument("--trend-rates", type=float, nargs="*", help="cooling rates of the trend (default 0.01-1000)")
    p.add_argument("--trend-samples", type=int, default=1, help="samples per trend rate (default %(default)s)")
    p.add_argument("--trend-steps", type=int, help="network calls per trend sample (default: --steps)")
    md = p.add_argument_group("molecular dynamics (LAMMPS)")
    md.add_argument("--no-md", action="store_true", help="no refinement, minimised energies or elastic moduli")
    md.add_argument("--no-refine", action="store_true", help="figures of the generated structures only, unrefined")
    refinement_length_options(md)
    md.add_argument("--no-elastic", action="store_true", help="skip the elastic moduli (minutes per structure)")
    md.add_argument("--tension", type=float, metavar="STRAIN",
                    help="also pull the refined (with --no-refine the generated) and reference structures along z to "
                         "this strain at 1e9 1/s and 300 K (DM2's Fig. 5d): stress-strain curves and the highest "
                         "stress (about 20 minutes per 2,000 Cu-Zr atoms to 0.2)")
    md.add_argument("--convergence", type=float, nargs="+", metavar="L",
                    help="also tabulate the figures after L ps NVT + L ps NPT for each L, e.g. 0 2 5 10 25")
    p.add_argument("--no-entropy", action="store_true", help="skip QUESTS entropy and overlap")
    p.add_argument("--seed", type=int, default=0, help="seed of the first sample (default %(default)s)")
    p.set_defaults(run=run)


def _references(args, preset):
    from ase_dm2.io.aet import read_aet_nanoparticle
    from ase_dm2.io.structures import read_structures

    if args.reference:
        return read_structures(args.reference, rate_from_name=args.rate_from_filename)
    if preset is None:
        raise ValueError(f"{args.model} is not a bundled model: give its reference structures with --reference")
    root = repository_data() if preset.get("in_repository") else shared_data()
    pattern = preset["references"]
    if pattern == "aet-nanoparticle":
        if not (root / pattern).is_dir():
            raise FileNotFoundError(f"no nanoparticle data at {root / pattern}; set ASE_DM2_SHARED_DATA")
        return [read_aet_nanoparticle(root / pattern)]  # amorphous atoms counted, crystalline grains their neighbours
    files = sorted(root.glob(pattern))
    if not files:
        raise FileNotFoundError(f"no reference files {root / pattern}; set ASE_DM2_SHARED_DATA to the shared data "
                                "folder or give --reference")
    return read_structures(files, rate_from_name=pattern.endswith(".dat"))


def run(args) -> int:
    from ase_dm2.conventions import RATE_KEY
    from ase_dm2.io.output import check_output_folder
    from ase_dm2.modelfile import load_model
    from ase_dm2.md.refine import refinement_potential
    from ase_dm2.sampling.generate import default_composition
    from ase_dm2.validation import TREND_RATES, ValidationSettings, validate

    check_output_folder(args.out_dir)
    if args.tension is not None and (args.no_md or not args.tension > 0):
        raise ValueError(f"--tension needs MD and a positive strain, got {args.tension:g}"
                         + (" with --no-md" if args.no_md else "") + "; e.g. --tension 0.2")
    preset = BUNDLED.get(args.model)
    model = compile_if_asked(args, load_model(args.model))
    references = _references(args, preset)
    potential_name = args.potential or (preset or {}).get("potential")
    potential = None
    if potential_name and not args.no_md:  # species and LAMMPS checked before any work
        potential = refinement_potential(potential_name, default_composition(model), args.potential_file)
    rate = args.rate if args.rate is not None else (preset or {}).get("rate", 1.0)
    by_rate = {}
    for atoms in references:
        by_rate.setdefault(atoms.info.get(RATE_KEY), []).append(atoms)
    main = by_rate.get(rate, references) if model.conditional else references
    sampler = sampler_from(args, model)
    trend_sampler = sampler_from(args, model, args.trend_steps) if args.trend_steps else sampler
    settings = ValidationSettings(
        n_atoms=args.atoms or (preset or {}).get("n_atoms", 3000), samples=args.samples, sampler=sampler, rate=rate,
        trend_rates=tuple(TREND_RATES if args.trend_rates is None else args.trend_rates),
        trend_samples=args.trend_samples, trend_sampler=trend_sampler,
        refine=not args.no_refine, nvt_ps=args.nvt_ps, npt_ps=args.npt_ps, elastic=not args.no_elastic,
        tension=args.tension,
        convergence=tuple(args.convergence or ()), entropy=not args.no_entropy, seed=args.seed)
    trends = {r: s for r, s in by_rate.items() if r is not None} or None
    command = "ase-dm2 " + shlex.join(sys.argv[1:]) if "validate" in sys.argv else ""
    path = validate(model, main, args.out_dir, settings, potential=potential, reference_trends=trends,
                    name=Path(args.model).stem if preset is None else args.model, command=command)
    print(f"report written to {path}")
    return 0
