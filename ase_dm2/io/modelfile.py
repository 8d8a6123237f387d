"""Safe model files: safetensors tensors plus JSON metadata; loading never runs code.

Metadata (under the "ase_dm2" key of the safetensors header): the file format
and version, the architecture config (species, cutoff, conditioning range...),
the density model and the training provenance.
"""
import json
from pathlib import Path

import safetensors
import safetensors.torch

from ase_dm2.density import DensityModel
from ase_dm2.io.atomic import atomic_path
from ase_dm2.dm2.importer import import_dm2
from ase_dm2.dm2.network import DM2Config, DM2Network
from ase_dm2.network.denoiser import Denoiser, DenoiserConfig

FORMAT = "ase_dm2.denoiser"
FORMAT_VERSION = 2
# the first ase_dm2 release that reads each format version; version 2 added noise-level (sigma) conditioning,
# and sigma-blind models are still written as version 1, so older releases keep reading them
FIRST_READER = {1: "0.1.0", 2: "0.2.0"}
BUNDLED_DIR = Path(__file__).resolve().parent.parent / "models"
ARCHITECTURES = {Denoiser.architecture: (Denoiser, DenoiserConfig), DM2Network.architecture: (DM2Network, DM2Config)}


class ModelFileError(ValueError):
    """A model file that cannot be read: missing, truncated, corrupt or incompatible."""


def save_model(model, path) -> None:
    """Write any ScoreModel (Denoiser, DM2Network) as a safetensors file, atomically."""
    version = 2 if model.noise_conditional else 1
    metadata = {
        "format": FORMAT,
        "format_version": version,
        "needs": f"ase_dm2 >= {FIRST_READER[version]}",
        "architecture": model.architecture,
        "config": model.config.to_dict(),
        "density_model": None if model.density_model is None else model.density_model.to_dict(),
        "provenance": model.provenance,
    }
    rebuilt = getattr(model, "rebuilt_keys", None)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()
               if rebuilt is None or not rebuilt.search(k)}
    with atomic_path(path) as tmp:
        safetensors.torch.save_file(tensors, str(tmp), metadata={"ase_dm2": json.dumps(metadata)})


def bundled_models() -> dict:
    """Names and paths of the models shipped with the package."""
    return {p.stem: p for p in sorted(BUNDLED_DIR.glob("*.safetensors"))}


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
    if fmt != FORMAT or version > FORMAT_VERSION:
        needs = metadata.get("needs", "a newer ase_dm2")
        raise ModelFileError(
            f"{path} has format {fmt!r} version {version}, which needs {needs}; this ase_dm2 reads {FORMAT!r} "
            f"up to version {FORMAT_VERSION}: upgrade ase_dm2 (pip install -U ase_dm2)"
        )
    try:
        model_class, config_class = ARCHITECTURES[metadata.get("architecture", Denoiser.architecture)]
        config = config_class(**metadata["config"])
    except (KeyError, TypeError) as error:
        raise ModelFileError(
            f"{path} has an architecture this ase_dm2 does not know ({error}): upgrade ase_dm2"
        ) from error
    density = metadata.get("density_model")
    density = None if density is None else DensityModel.from_dict(density)
    model = model_class(config, density, metadata.get("provenance"))
    expected = model.state_dict()
    rebuilt = getattr(model_class, "rebuilt_keys", None)
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
