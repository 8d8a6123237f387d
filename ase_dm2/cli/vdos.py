"""ase-dm2 vdos: vibrational density of states of a structure under a LAMMPS potential (phonopy)."""
from ase_dm2.cli.md import _load, _structure_options


def add_parser(subparsers):
    p = subparsers.add_parser("vdos", help="vibrational DOS, boson peak and heat capacity (LAMMPS + phonopy)",
                              description="Minimise, build the whole-cell force constants with LAMMPS and "
                                          "diagonalise them at Gamma with phonopy.")
    _structure_options(p)
    p.add_argument("-o", "--output", required=True,
                   help="CSV of frequency (THz), g, g/nu^2; a PNG is written beside it")
    p.add_argument("--width", type=float, default=0.25, help="Gaussian smearing in THz (default %(default)s)")
    p.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    import numpy as np

    from ase_dm2.io.atomic import atomic_path
    from ase_dm2.io.output import check_output_file
    from ase_dm2.md.vibrations import vibrational_dos

    check_output_file(args.output)
    atoms, potential = _load(args)
    vdos = vibrational_dos(atoms, potential, width=args.width, progress=not args.quiet)
    with atomic_path(args.output) as tmp:
        np.savetxt(tmp, np.column_stack([vdos["grid"], vdos["dos"], vdos["reduced_dos"]]), delimiter=",",
                   header="frequency_THz,g,g_over_nu2", comments="")
    plot(vdos, Path(args.output).with_suffix(".png"), Path(args.file).name)
    print(f"{vdos['modes']} modes ({len(vdos['atoms'])} atoms), {vdos['imaginary_modes']} imaginary, "
          f"C_v(300 K) = {vdos['heat_capacity_kB_per_atom']:.3f} kB/atom -> {args.output}")
    return 0


def plot(vdos, path, label) -> None:
    from ase_dm2.analysis.plots import save_figure, subplots

    fig, axes = subplots(1, 2, figsize=(8, 3.2))
    axes[0].plot(vdos["grid"], vdos["dos"], label=label)
    axes[0].set(xlabel="frequency (THz)", ylabel="g(nu)", title="VDOS")
    axes[1].plot(vdos["grid"], vdos["reduced_dos"])
    axes[1].set(xlabel="frequency (THz)", ylabel="g(nu)/nu^2", title="boson peak", xlim=(0, 5))
    axes[0].legend()
    save_figure(fig, path)
