"""Generate amorphous structures with a denoising diffusion model, and check them with physics.

The `ase-dm2` command line: one module per subcommand, except md.py, which holds the LAMMPS ones (refine,
meltquench, elastic, fracture).
"""
import argparse
import sys

from ase_dm2.cli import analyze, generate, import_dm2, md, train, validate, vdos

SUBCOMMANDS = [train, generate, import_dm2, analyze, md, vdos, validate]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ase-dm2", description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: $ASE_DM2_NUM_THREADS or 1)")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)
    return parser


def main(argv=None) -> int:
    from ase_dm2.runtime import configure_runtime

    args = build_parser().parse_args(argv)
    configure_runtime(args.threads)
    try:
        return args.run(args) or 0
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"ase-dm2 {args.command}: error: {error}", file=sys.stderr)
        return 2

