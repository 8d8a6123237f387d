"""ase-dm2 refine / elastic / fracture / meltquench: LAMMPS molecular dynamics on structure files.

Output names are checked before LAMMPS starts; a structure that cannot be written at the end is rescued into an
extxyz file beside it.
"""


def _potential_options(p):
    p.add_argument("--potential", required=True, help="preset: sio2 (Jakse) or cuzr (Cheng-Sheng EAM)")
    p.add_argument("--potential-file", help="EAM file for the cuzr preset (e.g. ZrCu.lammps.eam)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def refinement_length_options(p):
    """--nvt-ps and --npt-ps, DM2's refinement by default (for every command that refines)."""
    p.add_argument("--nvt-ps", type=float, default=25.0, help="NVT time in ps (default %(default)s, DM2's)")
    p.add_argument("--npt-ps", type=float, default=25.0, help="NPT time in ps (default %(default)s, DM2's)")


def _structure_options(p):
    p.add_argument("file", help="structure file (any ASE format; LAMMPS data by masses)")
    _potential_options(p)
    p.add_argument("--index", type=int, default=-1, help="frame of a multi-frame file (default: last)")


def add_parser(subparsers):
    p = subparsers.add_parser("refine", help="NVT then NPT refinement with LAMMPS")
    _structure_options(p)
    refinement_length_options(p)
    p.add_argument("--temperature", type=float, default=300.0, help="K (default %(default)s)")
    p.add_argument("--pressure", type=float, default=0.0, help="NPT pressure in GPa (default %(default)s)")
    p.add_argument("-o", "--output", required=True, help="refined structure file (e.g. refined.extxyz)")
    p.add_argument("--log", help="keep the LAMMPS log here")
    p.set_defaults(run=run_refine)

    p = subparsers.add_parser("elastic", help="elastic constants (6x6, GPa) and K, G, E, nu with LAMMPS")
    _structure_options(p)
    p.add_argument("--strain", type=float, default=0.005, help="strain of each deformation (default 0.5 %%)")
    p.add_argument("--json", help="write the results here")
    p.set_defaults(run=run_elastic)

    p = subparsers.add_parser("fracture", help="uniaxial tension along z to fracture with LAMMPS")
    _structure_options(p)
    p.add_argument("--strain-rate", type=float, default=1e9, help="1/s (default 1e9)")
    p.add_argument("--max-strain", type=float, default=0.5, help="stop at this strain (default %(default)s)")
    p.add_argument("--temperature", type=float, default=300.0, help="K (default %(default)s)")
    p.add_argument("--min-atoms", type=int, help="replicate into a slab (Lz/Lx = --aspect) of at least this size")
    p.add_argument("--aspect", type=float, default=1.4, help="Lz/Lx of the slab (default %(default)s, DM2's)")
    p.add_argument("-o", "--output", required=True, help="stress-strain CSV (a PNG plot is written beside it)")
    p.set_defaults(run=run_fracture)

    p = subparsers.add_parser("meltquench", help="melt-quench a glass with LAMMPS (training data)")
    _potential_options(p)
    p.add_argument("--formula", required=True, help="composition, e.g. SiO2 or Cu50Zr50")
    p.add_argument("--atoms", type=int, required=True, help="number of atoms")
    p.add_argument("--rate", type=float, required=True, help="cooling rate in K/ps")
    p.add_argument("--density", type=float, required=True, help="starting density in g/cm3")
    p.add_argument("--seed", type=int, default=1, help="seed of the random start and velocities (default "
                                                        "%(default)s)")
    p.add_argument("-o", "--output", required=True, help="quenched glass file (e.g. glass.extxyz)")
    p.set_defaults(run=run_meltquench)


def _load(args):
    from ase_dm2.io.structures import read_structures
    from ase_dm2.md.potentials import preset

    return read_structures([args.file])[args.index], preset(args.potential, args.potential_file)


def run_refine(args) -> int:
    from ase_dm2.io.output import check_output_file, structure_format, write_structures
    from ase_dm2.md.refine import refine

    output_format = structure_format(args.output)
    if args.log:
        check_output_file(args.log)
    atoms, potential = _load(args)
    refined = refine(atoms, potential, args.nvt_ps, args.npt_ps, args.temperature, args.pressure, log=args.log,
                     progress=not args.quiet)
    write_structures(args.output, refined, output_format)
    print(f"refined: {refined.get_potential_energy() / len(refined):.4f} eV/atom, "
          f"cell {refined.cell.lengths().round(3).tolist()} Å -> {args.output}")
    return 0


def run_elastic(args) -> int:
    import json

    import numpy as np

    from ase_dm2.io.atomic import atomic_path
    from ase_dm2.io.output import check_output_file
    from ase_dm2.md.elastic import elastic_constants

    if args.json:
        check_output_file(args.json)
    atoms, potential = _load(args)
    result = elastic_constants(atoms, potential, delta=args.strain, progress=not args.quiet)
    print("C (GPa):")
    print(np.array2string(result["C"], precision=1, suppress_small=True))
    print("K {K:.1f} GPa, G {G:.1f} GPa, E {E:.1f} GPa, nu {nu:.3f}".format(**result))
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps({**result, "C": result["C"].tolist()}, indent=1))
    return 0


def run_fracture(args) -> int:
    from pathlib import Path

    import numpy as np

    from ase_dm2.io.atomic import atomic_path
    from ase_dm2.io.output import check_output_file
    from ase_dm2.md.fracture import fracture, fracture_slab, plot_stress_strain

    check_output_file(args.output)
    atoms, potential = _load(args)
    if args.min_atoms:
        atoms = fracture_slab(atoms, args.min_atoms, args.aspect)
    curve = fracture(atoms, potential, args.strain_rate, args.max_strain, args.temperature, progress=not args.quiet)
    with atomic_path(args.output) as tmp:
        np.savetxt(tmp, np.column_stack([curve["strain"], curve["stress"]]), delimiter=",",
                   header="strain,true_stress_GPa", comments="")
    plot_stress_strain({Path(args.file).name: curve}, Path(args.output).with_suffix(".png"))
    print(f"{len(atoms)} atoms: maximum stress {curve['max_stress']:.2f} GPa at strain "
          f"{curve['strain_at_max']:.3f} -> {args.output}")
    return 0


def run_meltquench(args) -> int:
    from ase_dm2.io.output import structure_format, write_structures
    from ase_dm2.md.meltquench import melt_quench
    from ase_dm2.md.potentials import preset

    output_format = structure_format(args.output)
    glass = melt_quench(args.formula, args.atoms, args.rate, preset(args.potential, args.potential_file),
                        args.density, seed=args.seed, progress=not args.quiet)
    write_structures(args.output, glass, output_format)
    print(f"{glass.info['md_steps']} MD steps at {glass.info['atom_steps_per_second']:.3g} atom-steps/s "
          f"-> {args.output}")
    return 0
