"""ase-dm2 analyze / compare: figures of merit of structures, and generated-vs-reference reports."""


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
                                          "structures with references, with the references' own spread as baseline.")
    p.add_argument("generated", nargs="+", help="generated structure files")
    p.add_argument("--reference", nargs="+", required=True, help="reference structure files (e.g. melt-quenched)")
    p.add_argument("-o", "--out-dir", required=True, help="folder for report.md, report.json and the plots")
    p.add_argument("--potential", help="add the VDOS with this LAMMPS preset (sio2, cuzr); minutes per structure")
    p.add_argument("--potential-file", help="EAM file for the cuzr preset")
    _read_options(p)
    p.set_defaults(run=run_compare)


def _read(paths, args):
    from ase_dm2.io.structures import parse_type_map, read_structures

    return read_structures(paths, type_map=parse_type_map(args.types) if args.types else None)


def _row(name, figures):
    d = figures.get("defects", {})
    angles = figures.get("angles", {})
    motifs = figures.get("voronoi", {}).get("motifs", {})

    def percent(key):
        return f"{100 * d[key]:.1f}" if key in d else "-"

    return [name, figures["formula"], f"{figures.get('density', float('nan')):.3f}", percent("si_fourfold"),
            percent("o_twofold"), str(d.get("non_bridging_oxygens", "-")),
            f"{angles['Si-O-Si']['mean']:.1f}" if "Si-O-Si" in angles else "-",
            f"{figures['entropy']:.3f}" if "entropy" in figures else "-",
            next(iter(motifs), "-"), _crystal(figures)]


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
    headers = ["file", "formula", "g/cm3", "Si4 %", "O2 %", "NBO", "Si-O-Si", "H nats", "top Voronoi", "crystal"]
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

    from ase_dm2.md import preset, vdos_for

    check_output_folder(args.out_dir)
    vdos = vdos_for(preset(args.potential, args.potential_file)) if args.potential else None
    summary = compare(_read(args.generated, args), _read(args.reference, args), entropy=not args.no_entropy,
                      vdos=vdos)
    print(f"report written to {write_report(summary, args.out_dir)}")
    return 0
