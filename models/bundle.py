"""Copy a trained model into the package as a bundled model, recording the hardware and any notes.

Usage: python models/bundle.py NAME [--run runs/NAME] [--composition Ni18Pd15Pt7] [--note TEXT]
(from the repository root, after `bash models/train.sh NAME`, or a `models/train_gpu.py` run with --run its folder).
"""
import argparse
import json
from pathlib import Path

from ase_dm2 import load_model
from ase_dm2.build import parse_composition
from ase_dm2.runtime import processor_name

PACKAGE_MODELS = Path(__file__).resolve().parents[1] / "ase_dm2" / "models"


def trained_on(run: Path) -> str:
    """The devices a models/train_gpu.py run and the chained runs before it trained on, with their minutes (its
    progress.json), else this machine's processor (models/train.sh: one thread, no GPU)."""
    progress = run / "progress.json"
    if not progress.is_file():
        return f"{processor_name()}, 1 torch thread (no GPU)"
    minutes = json.loads(progress.read_text())["total"]["minutes"]
    return ", ".join(f"{device} for {m:.0f} minutes" for device, m in minutes.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name")
    parser.add_argument("--run", help="training folder (default runs/NAME)")
    parser.add_argument("--composition", help="default composition for generation, e.g. Ni18Pd15Pt7")
    parser.add_argument("--note", action="append", default=[], help="a note kept in the provenance")
    args = parser.parse_args()
    run = Path(args.run or f"runs/{args.name}")
    model = load_model(run / "model.safetensors")
    if args.composition:
        model.provenance["composition"] = parse_composition(args.composition)
    model.provenance.update(bundled_as=args.name, hardware=trained_on(run),
                            notes=list(model.provenance.get("notes", [])) + args.note)
    model.save(PACKAGE_MODELS / f"{args.name}.safetensors")
    print(f"{args.name}: {sum(p.numel() for p in model.parameters()):,} parameters, "
          f"{model.provenance.get('steps')} steps -> {PACKAGE_MODELS / (args.name + '.safetensors')}")


if __name__ == "__main__":
    main()
