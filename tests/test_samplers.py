"""Noise-level conditioning, the training objectives that go with it, and the samplers that use it."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ase_dm2 import DiffusionDynamics, NoiseSchedule, load_model
from ase_dm2.analysis.crystals import beta_cristobalite
from ase_dm2.build import random_structure
from ase_dm2.cli import main
from ase_dm2.modelfile import ModelFileError
from ase_dm2.network.denoiser import Denoiser
from ase_dm2.network.symmetry import equivariance_error
from ase_dm2.sampling.engine import DenoisingEngine, denoise
from ase_dm2.sampling.generate import generate
from ase_dm2.sampling.repair import SILICA, bonded_neighbourhood, coordination_defects, repair_defects
from ase_dm2.sampling.samplers import DM2Sampler, EDMSampler, PCSampler, karras_sigmas, make_sampler
from ase_dm2.training import Trainer, TrainingSettings
from ase_dm2.training.noise import draw_sigma
from ase_dm2.training.trainer import loss_weight
from helpers import random_silica, tiny_config, tiny_model

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from sampler_temperature import sampled_variance  # noqa: E402
from defect_trace import stretched_pairs, trace  # noqa: E402


def noise_model(seed=0, conditional=True):
    """A tiny noise-conditioned model whose noise embedding is not zero (as after training)."""
    model = tiny_model(seed, conditional=conditional, noise_conditional=True)
    with torch.no_grad():
        for parameter in model.noise_embedding.parameters():
            parameter.normal_(0.0, 0.5)
    return model


def displacement(model, atoms, sigma):
    with torch.no_grad():
        return model(model.graph([atoms], [1.0] if model.conditional else None, [sigma])).numpy()


def test_noise_level_changes_the_output_and_keeps_equivariance():
    model, atoms = noise_model(), random_silica(10, seed=1)
    assert np.abs(displacement(model, atoms, 0.01) - displacement(model, atoms, 0.5)).max() > 1e-3
    for sigma in (0.002, 0.3, 1.0):
        assert equivariance_error(model, atoms, rate=1.0, sigma=sigma) < 1e-5
    with pytest.raises(ValueError, match="noise level"):
        model.graph([atoms], [1.0])


def test_added_noise_embedding_starts_at_zero_and_fine_tuning_starts_from_the_initial_model(tmp_path):
    blind = tiny_model(conditional=True)
    structures = [random_silica(10, seed=k) for k in range(2)]
    for atoms in structures:
        atoms.info["cooling_rate"] = 1.0
    config = tiny_config(conditional=True, noise_conditional=True)
    trainer = Trainer(structures, tmp_path, config, TrainingSettings(steps=1, batch_size=1, validation_fraction=0),
                      initial=blind)
    tuned = trainer.model.eval()
    atoms = structures[0]
    with torch.no_grad():
        expected = blind(blind.graph([atoms], [1.0])).numpy()
    for sigma in (0.001, 0.75):
        np.testing.assert_allclose(displacement(tuned, atoms, sigma), expected, atol=1e-6)
    with pytest.raises(ValueError, match="architecture differs"):
        Trainer(structures, tmp_path, tiny_config(conditional=True, hidden_scalars=16), initial=blind)


def test_model_file_versions(tmp_path):
    blind, conditioned = tiny_model(), noise_model()
    blind.save(tmp_path / "blind.safetensors")
    conditioned.save(tmp_path / "sigma.safetensors")
    loaded = load_model(tmp_path / "sigma.safetensors")
    assert loaded.noise_conditional and not load_model(tmp_path / "blind.safetensors").noise_conditional
    atoms = random_silica(10, seed=2)
    np.testing.assert_allclose(displacement(loaded, atoms, 0.1), displacement(conditioned, atoms, 0.1), atol=1e-6)
    import safetensors

    for name, version in (("blind", 1), ("sigma", 2)):
        with safetensors.safe_open(str(tmp_path / f"{name}.safetensors"), "pt") as f:
            assert f'"format_version": {version}' in f.metadata()["ase_dm2"]


def test_older_reader_refuses_a_sigma_model_naming_the_version(tmp_path, monkeypatch):
    from ase_dm2.network import base

    noise_model().save(tmp_path / "sigma.safetensors")
    monkeypatch.setattr(base, "FORMAT_VERSION", 1)
    with pytest.raises(ModelFileError, match=r"needs ase_dm2 >= 0\.2\.0.*upgrade"):
        load_model(tmp_path / "sigma.safetensors")


def test_output_scale_bounds_the_step_by_the_noise_and_keeps_equivariance(tmp_path):
    plain = noise_model()
    scaled = Denoiser(tiny_config(conditional=True, noise_conditional=True, output_scale=0.05)).eval()
    scaled.load_state_dict(plain.state_dict())
    atoms = random_silica(10, seed=1)
    for sigma in (0.001, 0.05, 0.75):
        factor = sigma / np.sqrt(sigma**2 + 0.05**2)
        np.testing.assert_allclose(displacement(scaled, atoms, sigma), factor * displacement(plain, atoms, sigma),
                                   rtol=1e-5, atol=1e-9)
        assert equivariance_error(scaled, atoms, rate=1.0, sigma=sigma) < 1e-5
    scaled.save(tmp_path / "scaled.safetensors")
    loaded = load_model(tmp_path / "scaled.safetensors")
    assert loaded.config.output_scale == 0.05
    np.testing.assert_allclose(displacement(loaded, atoms, 0.01), displacement(scaled, atoms, 0.01), atol=1e-9)
    with pytest.raises(ValueError, match="needs a noise-conditioned network"):
        tiny_config(output_scale=0.05)


def test_fine_tuning_adds_an_output_scale_and_older_readers_refuse_it(tmp_path, monkeypatch):
    from ase_dm2.network import base

    structures = [random_silica(10, seed=k) for k in range(2)]
    for atoms in structures:
        atoms.info["cooling_rate"] = 1.0
    config = tiny_config(conditional=True, noise_conditional=True, output_scale=0.05)
    initial = noise_model()
    trainer = Trainer(structures, tmp_path / "run", config,
                      TrainingSettings(steps=1, batch_size=1, validation_fraction=0), initial=initial)
    tuned = trainer.model.eval()
    np.testing.assert_allclose(displacement(tuned, structures[0], 0.75),
                               0.75 / np.hypot(0.75, 0.05) * displacement(initial, structures[0], 0.75), rtol=1e-5)
    tuned.save(tmp_path / "scaled.safetensors")
    noise_model().save(tmp_path / "sigma.safetensors")
    monkeypatch.setattr(base, "FORMAT_VERSION", 2)
    load_model(tmp_path / "sigma.safetensors")
    with pytest.raises(ModelFileError, match=r"needs ase_dm2 >= 0\.3\.0.*upgrade"):
        load_model(tmp_path / "scaled.safetensors")


@pytest.mark.parametrize("distribution", ["uniform", "log-uniform", "mixture"])
def test_sigma_distributions(distribution):
    generator = torch.Generator().manual_seed(0)
    sigmas = np.array([draw_sigma(generator, (0.001, 0.75), distribution) for _ in range(4000)])
    assert sigmas.min() >= 0.001 and sigmas.max() <= 0.75
    below = np.mean(sigmas < 0.0274)  # the geometric middle of the range
    expected = {"uniform": 0.035, "log-uniform": 0.5, "mixture": 0.27}[distribution]
    assert abs(below - expected) < 0.03
    with pytest.raises(ValueError, match="unknown sigma distribution"):
        draw_sigma(generator, (0.001, 0.75), "normal")


def test_loss_weights():
    assert loss_weight("none", 0.3, 0.05) == 1.0
    assert loss_weight("inverse", 0.0, 0.05) == pytest.approx(1.0)
    assert loss_weight("inverse", 0.05, 0.05) == pytest.approx(0.5)
    assert loss_weight("edm", 0.05, 0.05) == pytest.approx(2.0)
    assert loss_weight("edm", 5.0, 0.05) == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(ValueError, match="unknown loss weight"):
        TrainingSettings(loss_weight="square")


def test_weighted_noise_conditioned_training_runs_and_records_its_objective(tmp_path):
    structures = [random_silica(10, seed=k) for k in range(3)]
    settings = TrainingSettings(steps=2, batch_size=2, validation_fraction=0, sigma_distribution="mixture",
                                loss_weight="inverse")
    model = Trainer(structures, tmp_path, tiny_config(noise_conditional=True), settings).run(progress=False)
    recorded = load_model(tmp_path / "model.safetensors").provenance["settings"]
    assert model.noise_conditional and recorded["sigma_distribution"] == "mixture"
    assert recorded["loss_weight"] == "inverse"


def test_samplers_refuse_what_they_cannot_run():
    blind, conditioned = tiny_model(), noise_model()
    with pytest.raises(ValueError, match="sigma-blind: use the dm2 sampler"):
        make_sampler("edm", blind, 30)
    with pytest.raises(ValueError, match="at least 3 network calls"):
        make_sampler("pc", conditioned, 2)
    with pytest.raises(ValueError, match="unknown sampler"):
        make_sampler("ddim", conditioned, 30)
    assert make_sampler(None, blind).name == "dm2" and make_sampler(None, blind).calls == 3000
    assert make_sampler(None, conditioned).name == "dm2"  # measured better than edm and pc on both systems
    assert make_sampler(None, conditioned, schedule=NoiseSchedule.dm2(30)).name == "dm2"  # a schedule is DM2's
    with pytest.raises(ValueError, match="shapes the dm2 sampler"):
        make_sampler("pc", conditioned, schedule=NoiseSchedule.dm2(30))


def test_noise_levels_and_calls():
    levels = karras_sigmas(5, 1.0, 0.002)
    assert levels[0] == pytest.approx(1.0) and levels[-1] == pytest.approx(0.002) and (np.diff(levels) < 0).all()
    for cls in (EDMSampler, PCSampler):
        for calls in (3, 4, 5, 100, 101):
            sampler = cls(calls)
            assert sampler.calls <= calls and sampler.calls >= calls - 1 and sampler.steps == (calls - 1) // 2 + 1


class CountingModel(torch.nn.Module):
    """Counts the network calls of a wrapped model."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0
        self.species, self.cutoff, self.conditional = model.species, model.cutoff, model.conditional
        self.noise_conditional = model.noise_conditional

    def forward(self, graph):
        self.calls += 1
        return self.model(graph)


@pytest.mark.parametrize("name", ["edm", "pc"])
def test_sampler_makes_its_calls_injects_noise_and_follows_the_seed(name):
    counting = CountingModel(noise_model())

    def sample(seed):
        atoms = random_structure("SiO2", n_atoms=45, density=2.2, seed=0)
        counting.calls = 0
        denoise([atoms], counting, make_sampler(name, counting.model, 9), [seed], [1.0], progress=False)
        assert counting.calls == 9
        return atoms.positions

    a, b, c = sample(1), sample(1), sample(2)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.01  # injected noise: another seed, another structure


def test_noise_conditioned_dynamics_runs_its_calls_and_equals_a_batch():
    """run(N) is N calls of the sampler asked for; the same seed gives the structure a batch gives it.

    The untrained network's eps does not shrink with sigma, so eps / sigma near sigma_min amplifies float32
    round-off (from the batch's other summation order) a hundredfold a step: two levels down to 0.2 Å here, equal
    to 1e-3 Å (an AMD EPYC differed by 1.005e-4 Å; another seed moves atoms by tenths of an Å).
    """
    model = noise_model()
    atoms = random_structure("SiO2", n_atoms=45, density=2.2, seed=3)
    start = atoms.copy()
    dyn = DiffusionDynamics(atoms.copy(), model, rate=1.0, seed=3, sampler="edm")
    dyn.run(7)  # 7 network calls of the edm sampler: 4 noise levels
    assert dyn.sampler.name == "edm" and dyn.nsteps == 4 and dyn.sampler.calls == 7
    DiffusionDynamics(atoms, model, rate=1.0, seed=3, sampler=EDMSampler(3, sigma_min=0.2)).run()
    batch = [random_structure("SiO2", n_atoms=45, density=2.2, seed=k) for k in range(2, 4)]
    denoise(batch, model, EDMSampler(3, sigma_min=0.2), [2, 3], [1.0, 1.0], progress=False)
    np.testing.assert_allclose(batch[1].positions, atoms.positions, atol=1e-3)
    assert np.abs(atoms.positions - start.positions).max() > 0.1
    with pytest.raises(ValueError, match="leave out schedule="):
        DiffusionDynamics(atoms, model, rate=1.0, schedule=NoiseSchedule.dm2(5), sampler="edm")


def told_sigmas(model, monkeypatch) -> tuple:
    """(the noise levels DM2's sampler, 4 steps with the last noiseless, tells `model` step by step, its sigmas)"""
    engine = DenoisingEngine([random_silica(10, seed=0)], model, [0], [1.0])
    told = []
    original = engine.displacement
    monkeypatch.setattr(engine, "displacement", lambda sigma: (told.append(sigma), original(sigma))[1])
    sampler = make_sampler("dm2", model, schedule=NoiseSchedule(steps=4, sigma_max=0.8, sigma_min=0.01,
                                                                 noiseless_steps=1))
    for k in range(sampler.steps):
        sampler.step(engine, k)
    return told, sampler.schedule.sigmas()


def test_dm2_sampler_tells_a_noise_conditioned_model_half_the_variance_it_injects(monkeypatch):
    # the step before drew each coordinate's scale uniformly in [sigma_min, sigma_t]; a model trained on Gaussian
    # noise is told the level of half that noise's variance, one trained on the mixture (per-atom noise) the level
    # whose mixture has half of it, and "top" tells sigma_t itself
    model = noise_model()
    told, sigmas = told_sigmas(model, monkeypatch)
    injected = [np.mean(np.random.default_rng(0).uniform(0.01, top, 10**6) ** 2) for top in sigmas[:2]]
    assert told[0] == 0.8 and told[3] == 0.01
    np.testing.assert_allclose(np.square(told[1:3]), np.multiply(injected, 0.5), rtol=2e-3)
    model.provenance["settings"] = {"per_atom_noise": True}
    told, _ = told_sigmas(model, monkeypatch)
    mixture = [np.mean(np.random.default_rng(1).uniform(0.01, level, 10**6) ** 2) for level in told[1:3]]
    np.testing.assert_allclose(mixture, np.multiply(injected, 0.5), rtol=2e-3)
    sampler = DM2Sampler(NoiseSchedule(steps=4, sigma_max=0.8, sigma_min=0.01, noiseless_steps=1), told="top")
    assert [sampler.told_sigma(k) for k in range(4)] == [0.8, *sampler.schedule.sigmas()[:2], 0.01]
    with pytest.raises(ValueError, match="told must be one of matched, rms, top"):
        DM2Sampler(told="max")


@pytest.mark.parametrize("told, low, high", [("matched", 0.85, 1.1), ("rms", 0.4, 0.55), ("top", 0.1, 0.22)])
def test_dm2_sampler_samples_an_exact_denoisers_modes_at_the_temperature_its_rule_says(told, low, high):
    # DM2's step is a Langevin step of size told sigma²: the data's own variance only when told half the
    # variance it injects; half of it when told all of it; about a sixth when told sigma_t
    assert low < sampled_variance(NoiseSchedule.fast(300), told, a=0.1, n=20000) < high


def test_generate_cli_sampler_options(tmp_path):
    blind, conditioned = tmp_path / "blind.safetensors", tmp_path / "sigma.safetensors"
    tiny_model(conditional=True).save(blind)
    noise_model().save(conditioned)
    out = tmp_path / "out.extxyz"
    args = ["--atoms", "30", "--formula", "SiO2", "--density", "2.2", "--rate", "1", "-o", str(out)]
    assert main(["generate", str(conditioned), "--sampler", "pc", "--calls", "5"] + args) == 0
    import ase.io

    info = ase.io.read(out).info
    assert info["sampler"] == "pc" and info["calls"] == 5
    assert main(["generate", str(conditioned), "--calls", "7"] + args) == 0
    assert ase.io.read(out).info["sampler"] == "dm2"
    out.unlink()
    assert main(["generate", str(blind), "--sampler", "edm", "--calls", "9"] + args) == 2  # sigma-blind
    assert main(["generate", str(conditioned), "--sampler", "edm", "--calls", "2"] + args) == 2  # below the minimum
    assert main(["generate", str(conditioned), "--sampler", "edm", "--schedule", "fast"] + args) == 2
    assert not out.exists()
    samples = generate(load_model(conditioned), n_atoms=30, composition="SiO2", density=2.2, rate=1.0,
                       sampler="edm", calls=5, n_samples=2, batch_size=2, progress=False)
    assert [a.info["seed"] for a in samples] == [0, 1]


def test_defect_trace_counts_stretched_bonds_and_ends_at_the_generated_structure():
    from ase import Atoms

    def network(fourth: float) -> Atoms:  # Si 0 with three bonds and its fourth O at `fourth` Å, bonded to Si 5
        return Atoms("SiO4Si", positions=[(0, 0, 0), (1.6, 0, 0), (0, 1.6, 0), (0, 0, 1.6), (-fourth, 0, 0),
                                          (-fourth - 1.6, 0, 0)], cell=[30, 30, 30], pbc=True)

    assert [stretched_pairs(network(d)) for d in (1.6, 2.1, 2.3)] == [0, 1, 0]
    model, atoms = tiny_model(conditional=True), random_silica(10, seed=3)
    sampler = make_sampler("dm2", model, schedule=NoiseSchedule(steps=5, sigma_max=0.8, sigma_min=0.01,
                                                                  noiseless_steps=1))
    found = trace(model, atoms, sampler, seed=0, rate=1.0, every=2)
    assert list(found) == [0, 2, 4, "end"] and found[4] == found["end"]


def test_repair_finds_a_missing_oxygens_threefold_silicons_and_their_bonded_shells():
    crystal = beta_cristobalite().repeat(2)
    assert not coordination_defects(crystal, **SILICA).any()
    assert repair_defects(crystal.copy(), tiny_model(), seed=0) == [0]  # nothing to mend: no call, nothing moves
    del crystal[crystal.get_chemical_symbols().index("O")]
    defects = coordination_defects(crystal, **SILICA)
    assert sorted(np.array(crystal.get_chemical_symbols())[defects]) == ["Si", "Si"]
    shells = [bonded_neighbourhood(crystal, defects, SILICA["cutoffs"], n).sum() for n in (1, 2)]
    assert shells == [8, 14]  # + their six O, + those O's other six Si


def test_repair_moves_only_the_defects_neighbourhoods_and_follows_the_seed():
    model = tiny_model(conditional=True)
    start = beta_cristobalite().repeat(2)
    del start[start.get_chemical_symbols().index("O")]
    region = bonded_neighbourhood(start, coordination_defects(start, **SILICA), SILICA["cutoffs"], 2)

    def repaired(seed, tail_calls=0):
        atoms = start.copy()
        counts = repair_defects(atoms, model, rounds=1, calls=3, sigma=0.3, tail_calls=tail_calls, seed=seed,
                                rate=1.0)
        assert len(counts) == 2 and counts[0] == coordination_defects(start, **SILICA).sum()
        return atoms.positions

    a, b, c = repaired(1), repaired(1), repaired(2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a[~region], start.positions[~region], atol=1e-9)  # up to wrapping's round-off
    assert np.abs(a[region] - start.positions[region]).max() > 0.05
    assert np.abs(a - c).max() > 0.01
    tailed = repaired(1, tail_calls=2)  # a last pass of every atom
    assert np.abs(tailed[~region] - start.positions[~region]).min() > 0
    with pytest.raises(ValueError, match="need rounds >= 0"):
        repair_defects(start.copy(), model, calls=0, rate=1.0)
