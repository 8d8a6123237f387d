"""Training: loss goes down, resume is exact, bad input is refused cleanly, DDP over gloo works."""
import os
import subprocess
import sys

import ase.io
import numpy as np
import pytest
import torch

from ase_dm2 import load_model
from ase_dm2.io.structures import read_structures
from ase_dm2.training import Trainer, TrainingSettings
from helpers import random_silica, tiny_config

FAST = dict(batch_size=2, validation_interval=2, checkpoint_interval=100, learning_rate=5e-3)


def small_set(n=4):
    structures = []
    for k in range(n):
        atoms = random_silica(8, seed=k)
        atoms.info["cooling_rate"] = [0.1, 1.0, 10.0, 100.0][k % 4]
        structures.append(atoms)
    return structures


def test_short_training_lowers_validation_loss(shared_data, tmp_path):
    files = [shared_data / "a-SiO2" / f"sio2_3000_glass_1k_sample{k}.dat" for k in (0, 1)]
    train, val = read_structures(files[:1]), read_structures(files[1:])
    config = tiny_config(num_layers=1)
    settings = TrainingSettings(steps=30, **{**FAST, "batch_size": 1, "validation_interval": 10,
                                             "learning_rate": 3e-2})
    trainer = Trainer(train, tmp_path, config, settings, validation=val)
    before = trainer.validation_loss()
    trainer.run(progress=False)
    after = trainer.history[-1]["validation_loss"]
    assert after < 0.85 * before
    model = load_model(tmp_path / "model.safetensors")
    assert model.provenance["steps"] == 30
    assert model.provenance["final_validation_loss"] == pytest.approx(after)
    assert model.density_model.predict() == pytest.approx(2.139, abs=0.01)
    assert (tmp_path / "losses.csv").read_text().count("\n") == 1 + 3
    assert (tmp_path / "losses.png").stat().st_size > 1000


def test_resume_continues_exactly(tmp_path):
    config = tiny_config(conditional=True)
    settings = TrainingSettings(steps=4, **FAST, final_learning_rate=1e-4, ema_decay=0.5)
    straight = Trainer(small_set(), tmp_path / "a", config, settings)
    straight.run(progress=False)

    first = Trainer(small_set(), tmp_path / "b", config, settings)
    first.run(steps=2, progress=False)
    resumed = Trainer(small_set(), tmp_path / "b", config, settings)
    resumed.resume()
    assert resumed.step == 2
    resumed.run(progress=False)

    for name, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[name]), name
    a, b = straight.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
    assert all(torch.equal(a[k]["exp_avg_sq"], b[k]["exp_avg_sq"]) for k in a)
    assert [h["train_loss"] for h in straight.history] == [h["train_loss"] for h in resumed.history]
    saved = load_model(tmp_path / "b" / "model.safetensors")
    assert saved.provenance["steps"] == 4
    for name, value in straight.final_model.state_dict().items():  # the moving average is what is saved
        assert torch.equal(value, saved.state_dict()[name]), name
        assert torch.equal(value, resumed.final_model.state_dict()[name]), name
    assert any(not torch.equal(v, straight.model.state_dict()[k]) for k, v in saved.state_dict().items())


def test_compiled_convolutions_train_as_the_plain_ones(tmp_path):
    config = tiny_config(conditional=True)
    plain = Trainer(small_set(), tmp_path / "a", config, TrainingSettings(steps=3, **FAST, ema_decay=0.5))
    compiled = Trainer(small_set(), tmp_path / "b", config, TrainingSettings(steps=3, **FAST, ema_decay=0.5,
                                                                              compile=True))
    plain.run(progress=False)
    compiled.run(progress=False)
    for name, value in plain.final_model.state_dict().items():
        torch.testing.assert_close(compiled.final_model.state_dict()[name], value, atol=1e-5, rtol=1e-4)
    assert load_model(tmp_path / "b" / "model.safetensors").state_dict().keys() == \
        load_model(tmp_path / "a" / "model.safetensors").state_dict().keys()


def test_cosine_learning_rate_and_moving_average():
    settings = TrainingSettings(steps=100, learning_rate=1e-3, final_learning_rate=1e-5)
    assert settings.learning_rate_at(0) == pytest.approx(1e-3)
    assert settings.learning_rate_at(50) == pytest.approx(0.5 * (1e-3 + 1e-5))
    assert settings.learning_rate_at(100) == pytest.approx(1e-5)
    assert TrainingSettings(learning_rate=2e-4).learning_rate_at(12345) == 2e-4
    cooldown = TrainingSettings(steps=300, learning_rate=1e-3, final_learning_rate=1e-5, decay_start=200)
    assert cooldown.learning_rate_at(150) == cooldown.learning_rate_at(200) == pytest.approx(1e-3)
    assert cooldown.learning_rate_at(250) == pytest.approx(0.5 * (1e-3 + 1e-5))
    assert cooldown.learning_rate_at(300) == pytest.approx(1e-5)
    with pytest.raises(ValueError, match="decay must start"):
        TrainingSettings(steps=300, decay_start=300)
    trainer = Trainer(small_set(), "unused", tiny_config(), TrainingSettings(steps=3, ema_decay=0.9, **FAST))
    trainer.train_step()
    first = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.train_step()
    second, averaged = trainer.model.state_dict(), trainer.final_model.state_dict()
    for name, value in averaged.items():  # the first update copies, then average = 0.9 average + 0.1 weights
        torch.testing.assert_close(value, 0.9 * first[name] + 0.1 * second[name])
    assert trainer.optimizer.param_groups[0]["lr"] == FAST["learning_rate"]


def test_conditional_training_fits_density_on_rate(tmp_path):
    trainer = Trainer(small_set(), tmp_path, tiny_config(conditional=True),
                      TrainingSettings(steps=1, validation_fraction=0, **FAST))
    density = trainer.model.density_model
    assert density.conditional and density.log_rate_range == (-1.0, 2.0)


@pytest.mark.parametrize("problem, message", [
    ("no_rate", "no cooling rate"),
    ("nan", "NaN or infinite"),
    ("zero_cell", "zero or degenerate"),
    ("unreadable", "ASE cannot read"),
])
def test_bad_input_is_refused_before_anything_is_written(tmp_path, problem, message):
    structures = small_set()
    path = tmp_path / "data.extxyz"
    if problem == "no_rate":
        del structures[1].info["cooling_rate"]
    if problem == "nan":
        structures[2].positions[0, 0] = np.nan
    if problem == "zero_cell":
        structures[0].cell[2] = 0.0
    ase.io.write(path, structures)
    if problem == "unreadable":
        path.write_text("this is not a structure\n")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=message):
        read = read_structures([path])
        Trainer(read, out, tiny_config(conditional=True), TrainingSettings(steps=1, **FAST))
    assert not out.exists()


def test_validation_species_unknown_to_model(tmp_path):
    from ase import Atoms

    stranger = Atoms("Cu2", positions=[[0, 0, 0], [2, 0, 0]], cell=[6, 6, 6], pbc=True)
    trainer = Trainer(small_set(), tmp_path, tiny_config(), TrainingSettings(steps=1, **FAST), validation=[stranger])
    with pytest.raises(ValueError, match="does not know"):
        trainer.validation_loss()


def _train_cli(args, nproc=None, cwd=None):
    command = [sys.executable, "-m", "ase_dm2", "train"] + args
    if nproc:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
                   "-m", "ase_dm2", "train"] + args
    env = dict(os.environ, OMP_NUM_THREADS="1")
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    except subprocess.TimeoutExpired as error:
        raise AssertionError(f"{' '.join(command)} timed out:\n{error.stdout}\n{error.stderr}") from error
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_data_parallel_training_with_gloo_matches_one_process(tmp_path):
    data = tmp_path / "data.extxyz"
    ase.io.write(data, small_set())
    common = [str(data), "--steps", "3", "--batch-size", "4", "--layers", "1", "--hidden-scalars", "8",
              "--hidden-vectors", "4", "--validation-fraction", "0", "--lr", "5e-3"]
    _train_cli(common + ["-o", str(tmp_path / "single")])
    _train_cli(common + ["-o", str(tmp_path / "ddp")], nproc=2)
    single = load_model(tmp_path / "single" / "model.safetensors")
    ddp = load_model(tmp_path / "ddp" / "model.safetensors")
    assert ddp.provenance["processes"] == 2
    for name, value in single.state_dict().items():
        torch.testing.assert_close(ddp.state_dict()[name], value, atol=1e-5, rtol=1e-4)


def test_surface_depth_and_interior_density_of_a_cube():
    from ase import Atoms

    from ase_dm2.training.crops import interior_density, surface_depth

    grid = np.stack(np.meshgrid(*[np.arange(0, 21.0, 2.0)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    depth = surface_depth(grid)
    np.testing.assert_allclose(depth, np.minimum(grid, 20.0 - grid).min(axis=1), atol=1e-9)
    cube = Atoms(f"Cu{len(grid)}", positions=grid)  # one Cu per 8 Å^3
    assert interior_density(cube, margin=2.0) == pytest.approx(63.546 / 8 * 1.66054, rel=0.15)


def test_crop_training_counts_only_inner_marked_atoms(tmp_path):
    from ase import Atoms

    from ase_dm2.training.crops import spherical_crop, surface_depth

    rng = np.random.default_rng(0)
    positions = rng.uniform(0, 30, (2700, 3))  # a finite cube of 30 Å, 0.1 atoms/Å^3
    cluster = Atoms(["Si", "O", "O"] * 900, positions=positions)
    cluster.set_array("amorphous", positions[:, 0] < 20)
    settings = TrainingSettings(steps=2, batch_size=2, crop_radius=8.0, crop_margin=3.0, validation_fraction=0,
                                learning_rate=1e-3)
    trainer = Trainer([cluster], tmp_path, tiny_config(), settings)
    eligible = (surface_depth(positions) > 3.0) & (positions[:, 0] < 20)
    np.testing.assert_array_equal(trainer.crops[0], np.flatnonzero(eligible))

    centre = trainer.crops[0][0]
    crop, mask = spherical_crop(cluster, centre, 8.0, 3.0, eligible)
    distance = np.linalg.norm(positions - positions[centre], axis=1)
    assert len(crop) == (distance < 8.0).sum()
    np.testing.assert_allclose(np.sort(crop.positions[mask], axis=0),
                               np.sort(positions[(distance < 5.0) & eligible], axis=0))
    crop, mask = trainer._sample(0)  # a random centre: counted atoms are eligible ones only
    counted = {tuple(p) for p in positions[eligible]}
    assert mask.any() and all(tuple(p) in counted for p in crop.positions[mask])
    assert trainer.model.density_model.predict() == pytest.approx(0.1 * (28.086 + 2 * 15.999) / 3 * 1.66054,
                                                                  rel=0.1)
    assert np.isfinite(trainer.train_step())


def test_per_atom_noise_mixes_scales_below_the_structures_sigma():
    """Gaussian noise of one scale has kurtosis 3; scales uniform in [0, sigma] give 3 E[s^4] / E[s^2]^2 = 5.4."""
    from ase_dm2.training.noise import noisy_copy

    atoms = random_silica(1000, seed=0)

    def kurtosis(per_atom, seed=0):
        noise = noisy_copy(atoms, torch.Generator().manual_seed(seed), (0.001, 0.75), per_atom)[1].ravel()
        return np.mean(noise ** 4) / np.mean(noise ** 2) ** 2

    assert abs(kurtosis(False) - 3.0) < 0.3
    assert abs(kurtosis(True) - 5.4) < 0.8
    first = noisy_copy(atoms, torch.Generator().manual_seed(3), (0.001, 0.75), True)[1]
    sigma = 0.001 + 0.749 * torch.rand((), generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    assert np.abs(first).max() < 5 * float(sigma)  # no atom's scale above the structure's
    np.testing.assert_array_equal(first, noisy_copy(atoms, torch.Generator().manual_seed(3), (0.001, 0.75), True)[1])


def test_sparse_noise_displaces_some_atoms_and_keeps_the_rest_nearly_clean():
    from ase_dm2.training.noise import draw_sigma, noisy_copy

    atoms = random_silica(1000, seed=0)

    def clean_share(seed, sparse):
        noise, sigma = noisy_copy(atoms, torch.Generator().manual_seed(seed), (0.001, 0.75), sparse=sparse)[1:]
        return np.mean(np.abs(noise).max(axis=1) < 0.006) if sigma > 0.1 else None  # 6x sigma_min: clean

    shares = [s for s in (clean_share(seed, 1.0) for seed in range(20)) if s is not None]
    assert min(shares) < 0.3 and max(shares) > 0.7  # the noised fraction varies from structure to structure
    assert max(s for s in (clean_share(seed, 0.0) for seed in range(20)) if s is not None) == 0
    generator = torch.Generator().manual_seed(4)  # off: DM2's noise from the same draws as before
    dm2 = draw_sigma(generator) * torch.randn((len(atoms), 3), generator=generator, dtype=torch.float64)
    np.testing.assert_array_equal(noisy_copy(atoms, torch.Generator().manual_seed(4))[1], dm2.numpy())
    with pytest.raises(ValueError, match="share of the structures"):
        TrainingSettings(sparse_noise=1.5)


def test_fine_tuning_starts_from_the_initial_weights(tmp_path):
    config = tiny_config(conditional=True)
    settings = TrainingSettings(steps=2, **FAST, per_atom_noise=True)
    initial = Trainer(small_set(), tmp_path / "a", config, TrainingSettings(steps=2, **FAST, seed=5)).model
    initial.provenance["bundled_as"] = "test-model"
    trainer = Trainer(small_set(), tmp_path / "b", config, settings, initial=initial)
    for name, value in initial.state_dict().items():
        torch.testing.assert_close(trainer.model.state_dict()[name], value, rtol=0, atol=0)
    trainer.run(progress=False)
    model = load_model(tmp_path / "b" / "model.safetensors")
    assert model.provenance["initialised_from"]["bundled_as"] == "test-model"
    assert model.provenance["settings"]["per_atom_noise"] is True
    with pytest.raises(ValueError, match="architecture differs"):
        Trainer(small_set(), tmp_path / "c", tiny_config(conditional=True, num_layers=1), settings, initial=initial)


def test_init_refuses_structures_with_elements_the_model_lacks(tmp_path, capsys):
    from ase import Atoms

    from ase_dm2.cli import main

    path = tmp_path / "cu.extxyz"
    ase.io.write(path, Atoms("Cu4", positions=np.eye(4, 3) * 2, cell=[8, 8, 8], pbc=True))
    assert main(["train", str(path), "--unconditional", "--init", "a-SiO2", "-o", str(tmp_path / "out")]) == 2
    assert "Cu, which a-SiO2 does not know" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_init_refuses_a_dm2_network(tmp_path, capsys):
    """DM2's architecture is imported to generate with, not fine-tuned: one line naming the fix, no traceback."""
    from ase_dm2.cli import main
    from ase_dm2.dm2.network import DM2Config, DM2Network

    DM2Network(DM2Config(species=("O", "Si"))).save(tmp_path / "dm2.safetensors")
    path = tmp_path / "glass.extxyz"
    ase.io.write(path, random_silica(10, seed=0))
    assert main(["train", str(path), "--unconditional", "--init", str(tmp_path / "dm2.safetensors"),
                 "-o", str(tmp_path / "out")]) == 2
    assert "DM2 checkpoint" in capsys.readouterr().err and not (tmp_path / "out").exists()
