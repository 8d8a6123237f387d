"""Reading model files (bundled names, safetensors files, DM2 checkpoints); loading never runs code.

Metadata (under the "ase_dm2" key of the safetensors header): the file format
and version, the architecture config (species, cutoff, conditioning range...),
the density model and the training provenance. Files are written by
ScoreModel.save; the architectures register themselves (network.base).
"""
import json
from pathlib import Path

import safetensors
import safetensors.torch

import ase_dm2.network.denoiser  # noqa: F401 (registers the architecture)
from ase_dm2.density import DensityModel
from ase_dm2.dm2.importer import import_dm2  # registers DM2's architecture too
from ase_dm2.network import base
from ase_dm2.network.base import ARCHITECTURES, FORMAT
from ase_dm2.paths import bundled_models



class ModelFileError(ValueError):
    """A model file that cannot be read: missing, truncated, corrupt or incompatible."""


def resolve_model_path(name_or_path) -> Path:
    bundled = bundled_models()
    if str(name_or_path) in bundled:
        return bundled[str(name_or_path)]
    path = Path(name_or_path)
    if not path.is_file():
        names = ", ".join(bundled) or "none installed"
        raise FileNotFoundError(f"no model file {path} and no bundled model of that name (bundled: {names})")
    return path


def load_model(name_or_path, device="cpu"):
    """A score model from a bundled model name, a model file (.safetensors) or a DM2 checkpoint (.pt)."""
    path = resolve_model_path(name_or_path)
    if path.suffix == ".pt":
        return import_dm2(path).to(device)
    try:
        with safetensors.safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
        tensors = safetensors.torch.load_file(str(path))
    except Exception as error:  # safetensors raises several types for damaged files
        raise ModelFileError(
            f"{path} is not a readable ase_dm2 model file ({error}); it may be truncated or corrupt: "
            "copy or download it again, or re-save it with Denoiser.save"
        ) from error
    try:
        metadata = json.loads(header["ase_dm2"])
        fmt, version = metadata["format"], metadata["format_version"]
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ModelFileError(
            f"{path} is a safetensors file but not an ase_dm2 model (no valid ase_dm2 metadata)"
        ) from error
    if fmt != FORMAT or version > base.FORMAT_VERSION:
        needs = metadata.get("needs", "a newer ase_dm2")
        raise ModelFileError(
            f"{path} has format {fmt!r} version {version}, which needs {needs}; this ase_dm2 reads {FORMAT!r} "
            f"up to version {base.FORMAT_VERSION}: upgrade ase_dm2 (pip install -U ase_dm2)"
        )
    try:
        model_class = ARCHITECTURES[metadata.get("architecture", "ase_dm2")]
        config = model_class.config_class(**metadata["config"])
    except (KeyError, TypeError) as error:
        raise ModelFileError(
            f"{path} has an architecture this ase_dm2 does not know ({error}): upgrade ase_dm2"
        ) from error
    density = metadata.get("density_model")
    density = None if density is None else DensityModel.from_dict(density)
    model = model_class(config, density, metadata.get("provenance"))
    expected = model.state_dict()
    rebuilt = model_class.rebuilt_keys
    if rebuilt is not None:
        tensors = {key: value for key, value in tensors.items() if not rebuilt.search(key)}
        expected = {key: value for key, value in expected.items() if not rebuilt.search(key)}
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    mismatched = sorted(k for k in set(expected) & set(tensors) if expected[k].shape != tensors[k].shape)
    if missing or unexpected or mismatched:
        raise ModelFileError(
            f"{path} does not match its declared architecture (missing {missing[:3]}, unexpected "
            f"{unexpected[:3]}, wrong shapes {mismatched[:3]}); the file is damaged or was written by "
            "an incompatible version"
        )
    model.load_state_dict(tensors, strict=rebuilt is None)
    return model.to(device).eval()
