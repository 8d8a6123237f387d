"""ase-dm2 analyze / compare: figures of merit of structures, and generated-vs-reference reports."""
from ase_dm2.cli.md import refinement_length_options


def _read_options(p):
    p.add_argument("--types", help="LAMMPS atom types to elements, e.g. 1=O,2=Si (default: from the masses)")
    p.add_argument("--no-entropy", action="store_true", help="skip the QUESTS entropy (faster)")


def add_parser(subparsers):
    p = subparsers.add_parser("analyze", help="figures of merit of structure files",
                              description="Density, coordination defects, PDF peaks, angles, rings, Voronoi "
                                          "motifs and QUESTS entropy of each structure.")
    p.add_argument("files", nargs="+", help="structure files (any ASE format; LAMMPS data by masses)")
    p.add_argument("--json", help="write all figures (per structure) to this JSON file")
    _read_options(p)
    p.set_defaults(run=run_analyze)

    p = subparsers.add_parser("compare", help="compare generated with reference structures",
                              description="Write report.md, report.json and PNG plots comparing generated "
                                          "structures (and, with --refine, the same after MD refinement) with "
                                          "references, with the references' own spread as baseline.")
    p.add_argument("generated", nargs="+", help="generated structure files")
    p.add_argument("--reference", nargs="+", required=True, help="reference structure files (e.g. melt-quenched)")
    p.add_argument("-o", "--out-dir", required=True, help="folder for report.md, report.json and the plots")
    p.add_argument("--potential", help="add the energy after minimising positions under this LAMMPS preset "
                                       "(sio2, cuzr); seconds to a minute per structure")
    p.add_argument("--potential-file", help="EAM file for the cuzr preset")
    p.add_argument("--vdos", action="store_true", help="with --potential, add the vibrational DOS too (minutes per "
                                                        "structure)")
    p.add_argument("--refine", metavar="POTENTIAL",
                   help="also compare the generated structures after LAMMPS refinement under this potential (sio2, "
                        "cuzr or an eam/alloy file; measures energies with it unless --potential is given)")
    refinement_length_options(p)
    p.add_argument("--processes", type=int, help="refinements at once (default: the cores)")
    _read_options(p)
    p.set_defaults(run=run_compare)


def _read(paths, args):
    from ase_dm2.io.structures import parse_type_map, read_structures

    return read_structures(paths, type_map=parse_type_map(args.types) if args.types else None)


def _row(name, figures):
    from ase_dm2.analysis.figures import scalars

    values = scalars(figures)
    motifs = figures.get("voronoi", {}).get("motifs", {})

    def cell(label, form, scale=1):
        return format(scale * values[label], form) if label in values else "-"

    return [name, figures["formula"], cell("density (g/cm3)", ".3f"), cell("si_fourfold", ".1f", 100),
            cell("o_twofold", ".1f", 100), cell("non_bridging_oxygens", "d"),
            cell("overcoordinated_oxygens", "d"), cell("Si-O-Si mean (deg)", ".1f"),
            cell("entropy (nats)", ".3f"), next(iter(motifs), "-"), _crystal(figures)]


def _crystal(figures) -> str:
    c = figures.get("crystallinity")
    if c is None:
        return "-"
    return f"YES {c['space_group']}" if c["crystalline"] else "no"


def run_analyze(args) -> int:
    import json
    from pathlib import Path

    from ase_dm2.analysis.figures import structure_figures
    from ase_dm2.analysis.porous import nbo_surface_density
    from ase_dm2.io.atomic import atomic_path
    from ase_dm2.io.output import check_output_file

    if args.json:
        check_output_file(args.json)
    rows, everything = [], []
    for atoms in _read(args.files, args):
        figures = structure_figures(atoms, entropy=not args.no_entropy)
        if "pore_radius" in atoms.info and figures["kind"] == "silica":
            figures["pore"] = nbo_surface_density(atoms)
        figures["source"] = atoms.info["source"]
        everything.append(figures)
        rows.append(_row(Path(atoms.info["source"]).name, figures))
    headers = ["file", "formula", "g/cm3", "Si4 %", "O2 %", "NBO", "O3", "Si-O-Si", "H nats", "top Voronoi", "crystal"]
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(headers)]
    for row in [headers] + rows:
        print("  ".join(f"{v:>{w}}" for v, w in zip(row, widths)))
    for figures in everything:
        if "pore" in figures:
            pore = figures["pore"]
            print(f"{Path(figures['source']).name}: pore radius {pore['pore_radius']:.2f} Å, "
                  f"{pore['nbo']} NBO, {pore['nbo_per_nm2']:.2f} NBO/nm^2")
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(everything, indent=1, default=float))
    return 0


def run_compare(args) -> int:
    from ase_dm2.analysis.report import compare, write_report
    from ase_dm2.io.output import check_output_folder

    from ase_dm2.md import md_figures, preset, refine_many, refinement_potential

    if args.vdos and not (args.potential or args.refine):
        raise ValueError("--vdos needs a potential: add --potential sio2 or --potential cuzr")
    check_output_folder(args.out_dir)
    generated, reference = _read(args.generated, args), _read(args.reference, args)
    refined = potential = None
    if args.refine:
        potential = refinement_potential(args.refine, generated[0].get_chemical_formula(), args.potential_file)
        refined = refine_many(generated, potential, args.processes, nvt_ps=args.nvt_ps, npt_ps=args.npt_ps)
    if args.potential:
        potential = preset(args.potential, args.potential_file)
    measure = md_figures(potential, vdos=args.vdos) if potential is not None else None
    summary = compare(generated, reference, entropy=not args.no_entropy, measure=measure, refined=refined)
    print(f"report written to {write_report(summary, args.out_dir)}")
    return 0
