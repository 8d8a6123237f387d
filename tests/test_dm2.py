"""DM2 checkpoints: safe import, reference outputs, generation, equivariance, refusal of foreign files."""
import pickle
import zipfile

import numpy as np
import pytest
import torch
from ase import Atoms

from ase_dm2 import DiffusionDynamics, load_model
from ase_dm2.build import random_structure
from ase_dm2.cli import main
from ase_dm2.dm2 import DM2CheckpointError, import_dm2
from ase_dm2.dm2 import importer
from ase_dm2.graph import build_graph
from ase_dm2.network.symmetry import equivariance_error
from helpers import random_silica, tiny_model

FILES = {"cond": "gen-a-sio2-cond-v1.pt", "uncond": "gen-a-sio2-uncond-v1.pt", "cuzr": "gen-cu50zr50-v1.pt"}


@pytest.fixture(scope="module")
def checkpoints(shared_data):
    return shared_data / "dm2-checkpoints"


@pytest.fixture(scope="module")
def models(checkpoints):
    return {key: import_dm2(checkpoints / name) for key, name in FILES.items()}


def reference_cases(checkpoints):
    ref = np.load(checkpoints / "reference_outputs.npz")
    for case in sorted({k[: -len("_numbers")] for k in ref if k.endswith("_numbers")}):
        atoms = Atoms(numbers=ref[f"{case}_numbers"], positions=ref[f"{case}_positions"],
                      cell=ref[f"{case}_cell"], pbc=True)
        for key in ref:
            tag = key[len(case) + 1:]
            if key.startswith(case + "_") and tag not in ("numbers", "positions", "cell"):
                yield case, tag, atoms, ref[key]


def test_every_reference_output_is_reproduced(checkpoints, models):
    checked = set()
    for case, tag, atoms, expected in reference_cases(checkpoints):
        if tag.startswith("cond_rate"):
            model, rates = models["cond"], [float(tag[len("cond_rate"):])]
        else:
            model, rates = models[tag], None
        with torch.no_grad():
            out = model(model.graph([atoms], rates)).numpy()
        assert np.abs(out - expected).max() < 1e-4, (case, tag)
        checked.add(tag.split("_rate")[0])
    assert checked == {"cond", "uncond", "cuzr"}


def test_metadata_read_from_the_files(models):
    assert models["cond"].conditional and not models["uncond"].conditional
    assert models["cond"].species == ("O", "Si") and models["cuzr"].species == ("Cu", "Zr")
    assert models["cuzr"].config.basis_cutoff == 6.0 and models["cuzr"].cutoff == 5.0
    assert sum(p.numel() for p in models["cond"].parameters()) == 596864


def test_load_model_and_cli_conversion_to_safe_format(checkpoints, tmp_path):
    direct = load_model(checkpoints / FILES["cond"])
    out = tmp_path / "dm2-cond.safetensors"
    assert main(["import-dm2", str(checkpoints / FILES["cond"]), str(out)]) == 0
    converted = load_model(out)
    assert type(converted).__name__ == "DM2Network" and converted.provenance["imported_from"] == FILES["cond"]
    atoms = random_silica(20, seed=4)
    with torch.no_grad():
        a = direct(direct.graph([atoms], [3.0]))
        b = converted(converted.graph([atoms], [3.0]))
    assert torch.equal(a, b)


def test_imported_model_generates_through_diffusion_dynamics(models):
    atoms = random_structure("SiO2", n_atoms=60, density=2.13, seed=0)
    DiffusionDynamics(atoms, models["cond"], rate=1.0, seed=0).run(20)
    assert np.isfinite(atoms.positions).all()


def test_dm2_conditioning_breaks_equivariance_ours_does_not(models):
    atoms = random_silica(20, seed=2)
    dm2_cond = equivariance_error(models["cond"], atoms, rate=1.0)
    dm2_uncond = equivariance_error(models["uncond"], atoms)
    ours = equivariance_error(tiny_model(conditional=True), atoms, rate=1.0)
    assert dm2_uncond < 1e-4 and ours < 1e-4
    assert dm2_cond > 100 * max(dm2_uncond, ours)


class Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_code_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", pickle.dumps(Exploit(str(marker)), protocol=2))
    with pytest.raises(DM2CheckpointError, match="unexpected class io.open"):
        import_dm2(path, species=("O", "Si"))
    assert not marker.exists()


def test_foreign_torch_file_is_refused(tmp_path):
    path = tmp_path / "linear.pt"
    torch.save(torch.nn.Linear(2, 2), path)
    with pytest.raises(DM2CheckpointError):
        load_model(path)
    not_zip = tmp_path / "text.pt"
    not_zip.write_text("hello")
    with pytest.raises(DM2CheckpointError, match="not a torch zip archive"):
        import_dm2(not_zip, species=("O",))


def test_wrong_species_count_and_shapes(checkpoints, monkeypatch):
    with pytest.raises(DM2CheckpointError, match="2 species but 3"):
        import_dm2(checkpoints / FILES["uncond"], species=("O", "Si", "Na"))
    read = importer.read_checkpoint

    def shrunk(path):
        root, tensors = read(path)
        tensors["out.weight"] = tensors["out.weight"][:10]
        return root, tensors

    monkeypatch.setattr(importer, "read_checkpoint", shrunk)
    with pytest.raises(DM2CheckpointError, match="wrong shapes"):
        import_dm2(checkpoints / FILES["uncond"])


def test_unknown_file_needs_species(checkpoints, tmp_path):
    renamed = tmp_path / "my-model.pt"
    with zipfile.ZipFile(checkpoints / FILES["cuzr"]) as source, zipfile.ZipFile(renamed, "w") as target:
        for name in source.namelist():
            target.writestr("model/" + name.split("/", 1)[1], source.read(name))
    with pytest.raises(DM2CheckpointError, match="do not record their elements"):
        import_dm2(renamed)
    assert import_dm2(renamed, species=("Zr", "Cu")).species == ("Cu", "Zr")


def test_graph_cutoff_matters_for_cuzr(checkpoints, models):
    """DM2 built graphs at 5 Å even for its 6 Å basis: the reference needs exactly that."""
    case, tag, atoms, expected = next(c for c in reference_cases(checkpoints) if c[1] == "cuzr")
    model = models["cuzr"]
    with torch.no_grad():
        wide = model(build_graph([atoms], model.species, 6.0)).numpy()
    assert np.abs(wide - expected).max() > 1e-2
