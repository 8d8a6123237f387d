"""ase-dm2 import-dm2: convert a DM2 checkpoint into ase_dm2's safe model format."""


def add_parser(subparsers):
    p = subparsers.add_parser("import-dm2", help="convert a DM2 .pt checkpoint (no pickled code is run)",
                              description="Read a DM2 checkpoint's weights without executing pickled code "
                                          "and save them as an ase_dm2 model file.")
    p.add_argument("checkpoint", help="DM2 .pt file")
    p.add_argument("output", help="model file to write (.safetensors)")
    p.add_argument("--species", nargs="+", help="elements of the model (default: guessed for DM2's published files)")
    p.set_defaults(run=run)


def run(args) -> int:
    from ase_dm2.dm2.importer import import_dm2

    model = import_dm2(args.checkpoint, species=args.species)
    model.save(args.output)
    kind = "conditional on cooling rate" if model.conditional else "unconditional"
    print(f"{args.checkpoint}: DM2 model ({', '.join(model.species)}, {kind}) written to {args.output}")
    return 0
