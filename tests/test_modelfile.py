"""Safe model files: round trip, metadata, clear errors for damaged or foreign files, atomic writes."""
import json
import os

import pytest
import safetensors.torch
import torch

from ase_dm2 import DensityModel, ModelFileError, load_model
from helpers import random_silica, tiny_model


@pytest.fixture
def saved(tmp_path):
    model = tiny_model(conditional=True)
    model.density_model = DensityModel.fit([0.1, 1.0, 10.0, 100.0], [2.11, 2.13, 2.15, 2.17])
    model.provenance = {"training_files": ["a.extxyz"], "steps": 10}
    path = tmp_path / "model.safetensors"
    model.save(path)
    return model, path


def test_round_trip_gives_identical_outputs_and_metadata(saved):
    model, path = saved
    loaded = load_model(path)
    atoms = random_silica(6)
    with torch.no_grad():
        a = model(model.graph([atoms], [1.0]))
        b = loaded(loaded.graph([atoms], [1.0]))
    assert torch.equal(a, b)
    assert loaded.config == model.config
    assert loaded.provenance == model.provenance
    assert loaded.density_model.predict(1.0) == pytest.approx(model.density_model.predict(1.0))


def test_saved_file_is_readable_by_others(saved):
    _, path = saved
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_metadata_is_plain_json(saved):
    _, path = saved
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        meta = json.loads(f.metadata()["ase_dm2"])
    assert meta["config"]["species"] == ["O", "Si"] and meta["config"]["cutoff"] == 5.0
    assert meta["config"]["conditional"] and meta["config"]["log_rate_range"] == [-2.0, 3.0]
    assert "slope" in meta["density_model"] and meta["provenance"]["steps"] == 10


def test_truncated_file(saved, tmp_path):
    _, path = saved
    broken = tmp_path / "truncated.safetensors"
    broken.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        load_model(broken)


def test_garbage_file(tmp_path):
    bad = tmp_path / "garbage.safetensors"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelFileError):
        load_model(bad)


def test_foreign_safetensors_file(tmp_path):
    foreign = tmp_path / "foreign.safetensors"
    safetensors.torch.save_file({"w": torch.zeros(3)}, str(foreign))
    with pytest.raises(ModelFileError, match="not an ase_dm2 model"):
        load_model(foreign)


def _rewrite(path, out, edit_meta=None, edit_tensors=None):
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        meta = json.loads(f.metadata()["ase_dm2"])
    tensors = safetensors.torch.load_file(str(path))
    if edit_meta:
        edit_meta(meta)
    if edit_tensors:
        edit_tensors(tensors)
    safetensors.torch.save_file(tensors, str(out), metadata={"ase_dm2": json.dumps(meta)})


def test_newer_format_version(saved, tmp_path):
    _, path = saved
    out = tmp_path / "future.safetensors"
    _rewrite(path, out, edit_meta=lambda m: m.update(format_version=99))
    with pytest.raises(ModelFileError, match="upgrade ase_dm2"):
        load_model(out)


def test_tensors_not_matching_architecture(saved, tmp_path):
    _, path = saved
    out = tmp_path / "mismatch.safetensors"
    _rewrite(path, out, edit_meta=lambda m: m["config"].update(hidden_scalars=16))
    with pytest.raises(ModelFileError, match="does not match"):
        load_model(out)


def test_missing_file_names_bundled_models(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        load_model(tmp_path / "nope.safetensors")


def test_failed_save_keeps_the_old_file(saved, monkeypatch):
    model, path = saved
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_file", explode)
    with pytest.raises(OSError):
        model.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_density_model_warns_outside_training_range():
    density = DensityModel.fit([0.1, 100.0], [2.11, 2.17])
    with pytest.warns(UserWarning, match="outside the training range"):
        extrapolated = density.predict(1000.0)
    assert extrapolated == pytest.approx(2.17 + 0.02, abs=1e-9)
    assert DensityModel.from_dict(density.to_dict()).predict(1.0) == pytest.approx(2.13)
    with pytest.raises(ValueError, match="two or more rates"):
        DensityModel.fit([1.0, 1.0], [2.1, 2.2])


def test_model_files_hold_only_the_networks_weights(tmp_path):
    """No e3nn internals (masks, Wigner 3j constants, an unused TensorProduct) are written: only parameters."""
    model = tiny_model(conditional=True, noise_conditional=True)
    model.save(tmp_path / "m.safetensors")
    keys = set(safetensors.torch.load_file(str(tmp_path / "m.safetensors")))
    assert keys == {name for name, _ in model.named_parameters()}
    assert not any("w3j" in key or ".conv." in key for key in keys)


def test_files_of_ase_dm2_0_1_with_e3nn_buffers_still_load(saved, tmp_path):
    """Files written before the buffers were left out hold them (and an unused TensorProduct's): dropped."""
    model, path = saved
    out = tmp_path / "old.safetensors"
    extra = {**{k: v for k, v in model.state_dict().items() if k.endswith("output_mask")},
             "interactions.1.conv._compiled_main_left_right._w3j_1_2_1": torch.zeros(3, 5, 3),
             "interactions.0.conv.output_mask": torch.ones(4)}
    _rewrite(path, out, edit_tensors=lambda tensors: tensors.update(extra))
    loaded = load_model(out)
    for name, value in model.named_parameters():
        assert torch.equal(dict(loaded.named_parameters())[name], value.detach())
