"""The `ase-dm2` command line: one module per subcommand (md.py holds the LAMMPS ones).

Parsing imports nothing heavy (torch, e3nn and scikit-learn load inside each command's run), so `--help`
answers at once. Errors a user can fix end in one line and exit code 2; Ctrl-C ends in one line saying what
was kept, and exit code 130.
"""
import argparse
import sys
import warnings

from ase_dm2 import __version__
from ase_dm2.cli import analyze, generate, import_dm2, md, train, validate, vdos
from ase_dm2.paths import bundled_models

SUBCOMMANDS = [generate, analyze, md, validate, vdos, train, import_dm2]

DESCRIPTION = """\
Generate amorphous structures (silica glass, metallic glasses) with an equivariant diffusion model, and check
that they are physically right: coordination defects, pair distributions, angles, rings, information entropy,
and elastic moduli after LAMMPS refinement.

A typical session:
  ase-dm2 generate a-SiO2 --atoms 3000 --rate 1 -o glass.extxyz    # silica glass as if cooled at 1 K/ps
  ase-dm2 analyze glass.extxyz                                      # its figures of merit
  ase-dm2 refine glass.extxyz --potential sio2 -o refined.extxyz    # 25 ps NVT + 25 ps NPT with LAMMPS (DM2)
  ase-dm2 elastic refined.extxyz --potential sio2                   # elastic constants and moduli

Bundled models: {models}. 'ase-dm2 COMMAND --help' gives each command's options."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ase-dm2", formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description=DESCRIPTION.format(models=", ".join(bundled_models())))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: $ASE_DM2_NUM_THREADS, else 1)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr if file is None else file)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warning  # restored on leaving the block
        try:
            from ase_dm2.runtime import configure_runtime

            configure_runtime(args.threads)
            return args.run(args) or 0
        except (ValueError, FileNotFoundError, RuntimeError) as error:
            print(f"ase-dm2 {args.command}: error: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            kept = getattr(args, "kept", None)
            print(f"ase-dm2 {args.command}: interrupted; {kept(args) if kept else 'nothing was written'}",
                  file=sys.stderr)
            return 130
