"""Where ase_dm2 finds the data it does not ship, in one place for the package, tests, benchmarks and tutorials.

The reference data (the DM2 a-SiO2 glasses, the AET nanoparticle, the Cheng-Sheng Cu-Zr EAM file; see the
README) is at $ASE_DM2_SHARED_DATA, else ../shared/data beside the project checkout, else ../shared/data beside
the working directory. The project's own data/ (Cu-Zr glasses made here) is found beside the checkout, else where a
wheel installs it (<prefix>/share/ase_dm2), else in the working directory. The bundled models ship inside the package.
"""
import os
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
ENVIRONMENT_VARIABLE = "ASE_DM2_SHARED_DATA"
BUNDLED_MODELS = Path(__file__).resolve().parent / "models"


def bundled_models() -> dict:
    """Names and paths of the models shipped with the package."""
    return {p.stem: p for p in sorted(BUNDLED_MODELS.glob("*.safetensors"))}


def shared_data() -> Path:
    """The reference data folder: the first of the places above that exists (else the first place, for messages)."""
    if ENVIRONMENT_VARIABLE in os.environ:
        return Path(os.environ[ENVIRONMENT_VARIABLE])
    candidates = [CHECKOUT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    return next((path for path in candidates if path.is_dir()), candidates[0])


def reference_data_missing():
    """Why the reference data cannot be used here (for skips and errors), or None when it is in place."""
    path = shared_data()
    if (path / "a-SiO2").is_dir():
        return None
    return f"reference data not found at {path} (set {ENVIRONMENT_VARIABLE} to the shared/data folder; see the README)"


def repository_data() -> Path:
    """The project's data/ folder: beside the checkout (an editable install), else the copy a wheel installs in
    <prefix>/share/ase_dm2, else data/ in the working directory."""
    candidates = [CHECKOUT / "data", Path(sys.prefix) / "share" / "ase_dm2", Path.cwd() / "data"]
    return next((path for path in candidates if path.is_dir()), candidates[-1])
