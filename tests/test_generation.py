"""Generation in ASE: schedules, the score calculator, DiffusionDynamics, builders and the generate CLI."""
import io

import ase.io
import numpy as np
import pytest
import torch
from ase import Atoms

from ase_dm2 import DiffusionDynamics, NoiseSchedule, ScoreCalculator, load_model
from ase_dm2.build import parse_composition, porous_structure, random_structure
from ase_dm2.build.porous import distance_to_axis
from ase_dm2.cli import main
from ase_dm2.density import density_of
from ase_dm2.sampling.generate import generate
from ase_dm2.training import Trainer, TrainingSettings
from helpers import random_silica, tiny_config


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny conditional model trained for a few steps on small random silica."""
    torch.set_num_threads(1)
    structures = []
    for k, rate in enumerate([0.1, 1.0, 10.0, 100.0]):
        atoms = random_silica(10, density=2.1 + 0.02 * k, seed=k)
        atoms.info["cooling_rate"] = rate
        structures.append(atoms)
    out = tmp_path_factory.mktemp("model")
    Trainer(structures, out, tiny_config(conditional=True),
            TrainingSettings(steps=3, batch_size=2, validation_fraction=0, learning_rate=1e-2)).run(progress=False)
    return out / "model.safetensors"


@pytest.fixture
def model(trained):
    return load_model(trained)


def test_default_schedule_is_dm2():
    sigmas = NoiseSchedule().sigmas()
    dm2 = torch.linspace(1.0, 0.001, 2900).double().numpy()  # DM2's own sequence
    assert len(sigmas) == 3000
    np.testing.assert_allclose(sigmas[:2900], dm2, atol=1e-7)
    assert (sigmas[2900:] == 0).all()


def test_dynamics_default_schedule_follows_run_length(model):
    atoms = random_structure("SiO2", n_atoms=30, rate=1.0, model=model, seed=0)
    dyn = DiffusionDynamics(atoms, model, rate=1.0)
    next(dyn.irun(3000))
    assert dyn.schedule == NoiseSchedule()
    short = DiffusionDynamics(atoms, model, rate=1.0)
    next(short.irun(300))
    assert short.schedule.noisy_steps == 290 and short.schedule.noiseless_steps == 10


def test_dm2_shape_takes_overrides():
    schedule = NoiseSchedule.dm2(300, noiseless_steps=40, decay="cosine")
    assert schedule.noisy_steps == 260 and schedule.decay == "cosine" and (schedule.sigmas()[260:] == 0).all()


@pytest.mark.parametrize("decay", ["linear", "cosine", "geometric", "window"])
def test_schedule_shapes(decay):
    s = NoiseSchedule(steps=50, sigma_max=0.8, noiseless_steps=5, decay=decay).sigmas()
    assert s[0] == pytest.approx(0.8) and s[44] == pytest.approx(0.001) and (s[45:] == 0).all()
    assert (np.diff(s[:45]) < 0).all()
    with pytest.raises(ValueError, match="unknown decay"):
        NoiseSchedule(decay="exponential")


def test_fast_schedule_spends_its_steps_in_the_window():
    schedule = NoiseSchedule.fast()
    s = schedule.sigmas()
    noisy = s[:schedule.noisy_steps]
    assert len(s) == 300 and schedule.noiseless_steps == 30 and (s[270:] == 0).all()
    assert noisy[0] == 1.0 and noisy[-1] == pytest.approx(0.001) and (np.diff(noisy) < 0).all()
    inside = (noisy <= 0.7) & (noisy > 0.3)
    assert inside.sum() == 216  # 80 % of 270
    assert NoiseSchedule.named("fast") == schedule and NoiseSchedule.named("dm2") == NoiseSchedule()
    assert NoiseSchedule.named("fast", 600, 20).steps == 600 and "0.7-0.3 Å" in schedule.describe()
    with pytest.raises(ValueError, match="window"):
        NoiseSchedule(decay="window", window=(0.3, 0.7))
    with pytest.raises(ValueError, match="window_share"):
        NoiseSchedule(decay="window", window_share=1.0)
    with pytest.raises(ValueError, match="unknown schedule"):
        NoiseSchedule.named("slow")


def test_same_seed_same_structure_and_wrapped(model):
    def sample(seed):
        atoms = random_structure("SiO2", n_atoms=30, rate=1.0, model=model, seed=seed)
        DiffusionDynamics(atoms, model, rate=1.0, seed=seed).run(20)
        return atoms

    a, b, c = sample(1), sample(1), sample(2)
    assert np.array_equal(a.positions, b.positions)
    assert not np.allclose(a.positions, c.positions)
    fractional = a.get_scaled_positions(wrap=False)
    assert (fractional >= -1e-9).all() and (fractional < 1 + 1e-9).all()


def test_each_step_applies_model_displacement_and_noise(model):
    atoms = random_structure("SiO2", n_atoms=30, rate=1.0, model=model, seed=3)
    start = atoms.positions.copy()
    expected = ScoreCalculator(model, rate=1.0).get_property("displacement", atoms.copy())
    dyn = DiffusionDynamics(atoms, model, rate=1.0, schedule=NoiseSchedule(steps=2, noiseless_steps=2))
    dyn.run(1)  # noiseless: x - eps(x), wrapped
    moved = atoms.copy()
    moved.positions = start - expected
    moved.wrap()
    # to float32 round-off: the engine's neighbour list (vesin-torch's full list) orders the edges, and so the
    # network's sums, differently from the calculator's (paired half list)
    np.testing.assert_allclose(atoms.positions, moved.positions, atol=1e-6)


def test_calculator_caches_and_recomputes(model):
    atoms = random_silica(6, seed=1)
    atoms.calc = ScoreCalculator(model, rate=1.0)
    calls = []
    original = atoms.calc.calculate
    atoms.calc.calculate = lambda *a, **k: (calls.append(1), original(*a, **k))
    first = atoms.calc.get_property("displacement", atoms)
    again = atoms.calc.get_property("displacement", atoms)
    assert len(calls) == 1 and np.array_equal(first, again) and first.shape == (len(atoms), 3)
    atoms.positions[0] += 0.1
    atoms.calc.get_property("displacement", atoms)
    assert len(calls) == 2


def test_calculator_rate_from_info_or_error(model):
    atoms = random_silica(6, seed=1)
    with pytest.raises(ValueError, match="conditional"):
        ScoreCalculator(model).get_property("displacement", atoms)
    atoms.info["cooling_rate"] = 10.0
    from_info = ScoreCalculator(model).get_property("displacement", atoms)
    explicit = ScoreCalculator(model, rate=10.0).get_property("displacement", atoms)
    np.testing.assert_array_equal(from_info, explicit)


def test_trajectory_log_observers_and_todict(model, tmp_path):
    atoms = random_structure("SiO2", n_atoms=30, rate=1.0, model=model, seed=0)
    log = io.StringIO()
    seen = []
    dyn = DiffusionDynamics(atoms, model, rate=1.0, seed=0, trajectory=tmp_path / "gen.traj", logfile=log,
                            loginterval=5)
    dyn.attach(lambda: seen.append(dyn.nsteps), interval=4)
    dyn.run(20)
    frames = ase.io.read(tmp_path / "gen.traj", ":")
    assert len(frames) == 5 and np.allclose(frames[-1].positions, atoms.positions)
    lines = log.getvalue().splitlines()
    assert lines[0].split() == ["Step", "Sigma[Å]", "MeanDisp[Å]"] and len(lines) == 5
    assert seen == [0, 4, 8, 12, 16, 20]
    d = dyn.todict()
    assert d["type"] == "diffusion-dynamics" and d["rate"] == 1.0 and d["schedule"]["steps"] == 20


def test_finite_cluster_generates(model):
    rng = np.random.default_rng(0)
    cluster = Atoms(["Si"] * 8 + ["O"] * 16, positions=rng.random((24, 3)) * 6.0, pbc=False)
    DiffusionDynamics(cluster, model, rate=1.0, seed=0).run(10)
    assert np.isfinite(cluster.positions).all() and not cluster.pbc.any()


def test_porous_structure_generates(model):
    atoms = porous_structure("SiO2", pore_radius=3.0, n_atoms=240, density=2.2, seed=0)
    axis = np.array(atoms.info["pore_axis"])
    assert distance_to_axis(atoms.positions, atoms.cell.array, axis).min() > 3.0
    assert atoms.cell.cellpar()[5] == pytest.approx(120.0)
    DiffusionDynamics(atoms, model, rate=1.0, seed=0).run(5)
    assert np.isfinite(atoms.positions).all()


def test_random_structure_density_shape_and_rate(model):
    cube = random_structure("SiO2", formula_units=20, density=2.2, seed=0)
    assert density_of(cube) == pytest.approx(2.2) and cube.get_chemical_formula() == "O40Si20"
    box = random_structure({"Si": 1, "O": 2}, n_atoms=60, density=2.2, aspect=(1, 1, 2))
    a, b, c = box.cell.lengths()
    assert c == pytest.approx(2 * a) and density_of(box) == pytest.approx(2.2)
    tri = random_structure("SiO2", n_atoms=30, cell=[10, 10, 10, 80, 90, 100])
    assert tri.cell.cellpar()[3] == pytest.approx(80)
    from_rate = random_structure("SiO2", n_atoms=30, rate=1.0, model=model)
    assert density_of(from_rate) == pytest.approx(model.density_model.predict(1.0))
    assert from_rate.info["cooling_rate"] == 1.0


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_atoms=30, density=50.0), "impossible"),
    (dict(n_atoms=30, density=-1.0), "impossible"),
    (dict(n_atoms=31, density=2.2), "multiple of 3"),
    (dict(n_atoms=30, density=2.2, cell=[10, 10, 10]), "not both"),
    (dict(n_atoms=30), "no density"),
])
def test_bad_builder_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        random_structure("SiO2", **kwargs)


def test_pore_larger_than_cell_and_unknown_species(model):
    with pytest.raises(ValueError, match="does not fit"):
        porous_structure("SiO2", pore_radius=20.0, n_atoms=300, density=2.2)
    with pytest.raises(ValueError, match="knows only O, Si"):
        random_structure("CuZr", n_atoms=20, density=7.0, model=model)
    with pytest.raises(ValueError, match="unknown elements"):
        parse_composition("Xx2")
    with pytest.raises(ValueError, match="cannot read the formula"):
        parse_composition("Si(O2")


def test_generate_function_defaults_to_training_composition(model):
    samples = generate(model, n_atoms=30, rate=1.0, schedule=NoiseSchedule.dm2(6), n_samples=2, progress=False)
    assert [s.get_chemical_formula() for s in samples] == ["O20Si10"] * 2
    assert [s.info["seed"] for s in samples] == [0, 1]


def test_batched_samples_equal_one_at_a_time(model):
    options = dict(n_atoms=45, rate=1.0, schedule=NoiseSchedule.dm2(6), n_samples=3, seed=7, progress=False)
    one_by_one = generate(model, **options)
    batched = generate(model, batch_size=2, **options)  # a batch of two, then one alone
    for a, b in zip(one_by_one, batched):
        assert a.info == b.info
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-4)
    assert np.abs(one_by_one[0].positions - one_by_one[1].positions).max() > 0.1
    with pytest.raises(ValueError, match="batch_size=1"):
        generate(model, batch_size=2, trajectory="gen.traj", **options)


def test_generate_cli_end_to_end(trained, tmp_path):
    out = tmp_path / "out.extxyz"
    code = main(["generate", str(trained), "--atoms", "30", "--rate", "1", "--steps", "8", "--n-samples", "2",
                 "--seed", "4", "-o", str(out), "--trajectory", str(tmp_path / "gen.traj")])
    assert code == 0
    frames = ase.io.read(out, ":")
    assert len(frames) == 2 and frames[1].info["seed"] == 5 and frames[0].info["cooling_rate"] == 1.0
    assert len(ase.io.read(tmp_path / "gen_0.traj", ":")) == 9
    fast = tmp_path / "fast.extxyz"
    assert main(["generate", str(trained), "--atoms", "30", "--rate", "1", "--schedule", "fast", "--steps", "20",
                 "-o", str(fast)]) == 0
    assert ase.io.read(fast).info["steps"] == 20
    assert main(["generate", str(trained), "--atoms", "30", "-o", str(tmp_path / "x.extxyz")]) == 2
    assert main(["generate", str(trained), "--atoms", "30", "--rate", "1", "--steps", "8", "--noiseless-steps", "9",
                 "-o", str(tmp_path / "x.extxyz")]) == 2  # more noiseless steps than steps: refused
    assert not (tmp_path / "x.extxyz").exists()
