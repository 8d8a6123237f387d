"""The denoising engine: device graphs, wrapping, noise, seeds and batches, checked against ASE and the network."""
import numpy as np
import pytest
import torch
import vesin_torch
from ase import Atoms
from ase.geometry import wrap_positions

from ase_dm2 import NoiseSchedule
from ase_dm2.build import random_structure
from ase_dm2.sampling.device import DeviceStructures
from ase_dm2.sampling.engine import denoise
from ase_dm2.sampling.generate import generate
from helpers import DEVICES, NEEDS_GPU, random_silica, tiny_model

TRICLINIC = [[9.0, 0.0, 0.0], [2.5, 8.5, 0.0], [1.0, -1.5, 9.5]]


def structures():
    """Periodic triclinic, partly periodic and finite, of different sizes, some atoms outside the cell."""
    periodic = random_silica(10, cell=TRICLINIC, seed=1)
    slab = random_silica(12, cell=TRICLINIC, seed=2)
    slab.pbc = [True, True, False]
    cluster = random_silica(8, seed=3)
    cluster.pbc, cluster.cell = False, None
    for k, atoms in enumerate((periodic, slab, cluster)):
        atoms.positions += np.random.default_rng(k).normal(0, 4.0, atoms.positions.shape)
    return [periodic, slab, cluster]


def edges(graph):
    offsets = np.round(graph.offsets.cpu().numpy(), 4)
    return sorted(zip(graph.center.tolist(), graph.neighbor.tolist(), map(tuple, offsets.tolist())))


@pytest.mark.parametrize("device", DEVICES)
def test_graph_on_device_equals_host_graph(device):
    model = tiny_model(conditional=True).to(device)
    batch = structures()
    state = DeviceStructures(batch, model.species, device)
    rates = torch.tensor([1.0, 10.0, 0.1], device=device)
    graph = state.graph(vesin_torch.NeighborList(cutoff=model.cutoff, full_list=True), rates, torch.float32)
    host = model.graph(batch, rates.tolist())
    assert len(graph.center) == len(host.center) > 0
    assert edges(graph) == edges(host)
    assert torch.equal(graph.batch, host.batch) and torch.equal(graph.species, host.species)
    with torch.no_grad():
        torch.testing.assert_close(model(graph), model(host), atol=1e-5, rtol=0)


def test_wrapping_follows_ase():
    batch = structures()
    state = DeviceStructures(batch, ("O", "Si"), "cpu")
    state.wrap()
    expected = np.concatenate([wrap_positions(a.positions, a.cell.array, a.pbc, eps=0) for a in batch])
    np.testing.assert_allclose(state.positions.numpy(), expected, atol=1e-9)


@pytest.mark.parametrize("device", DEVICES)
def test_noiseless_steps_follow_the_network_on_host_graphs(device):
    """Noiseless steps are x <- wrap(x - eps(x)), eps from the model on vesin's host graph of each structure."""
    model = tiny_model(conditional=True).to(device)
    schedule = NoiseSchedule(steps=4, noiseless_steps=4)
    on_device, on_host = structures(), structures()
    denoise(on_device, model, schedule, [0, 1, 2], [1.0, 1.0, 1.0], progress=False)
    for _ in range(schedule.steps):
        for atoms in on_host:
            with torch.no_grad():
                eps = model(model.graph([atoms], [1.0])).cpu().double().numpy()
            atoms.positions = wrap_positions(atoms.positions - eps, atoms.cell.array, atoms.pbc, eps=0.0)
    for a, b in zip(on_device, on_host):
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-4)
    assert np.abs(on_device[0].positions - structures()[0].positions).max() > 1e-3  # the model moved atoms


def test_noise_has_the_schedule_scale_and_follows_the_seed():
    """One step on a finite cluster: x - eps - xi, xi's std per coordinate drawn uniformly in [0.1, 0.5] Å."""
    model = tiny_model()
    cluster = Atoms("Si100O200", positions=np.random.default_rng(0).uniform(0, 20, (300, 3)))

    def one_step(seed, noisy=True):
        atoms = cluster.copy()
        schedule = NoiseSchedule(steps=1, sigma_max=0.5, sigma_min=0.1, noiseless_steps=0 if noisy else 1)
        return denoise([atoms], model, schedule, [seed], progress=False)[0].positions

    xi = one_step(3, noisy=False) - one_step(3)
    expected = np.sqrt((0.5**2 + 0.5 * 0.1 + 0.1**2) / 3)  # sqrt(E[s^2]) for s uniform in [0.1, 0.5]
    assert abs(xi.std() / expected - 1) < 0.1 and abs(xi.mean()) < 0.03
    np.testing.assert_array_equal(one_step(3), one_step(3))
    assert np.abs(one_step(3) - one_step(4)).max() > 0.1


def test_errors_name_the_fix():
    model = tiny_model(conditional=True)
    with pytest.raises(ValueError, match="one per structure"):
        denoise(structures(), model, NoiseSchedule.dm2(1), [0], [1.0] * 3, progress=False)
    with pytest.raises(ValueError, match="cooling rate"):
        denoise(structures(), model, NoiseSchedule.dm2(1), [0, 1, 2], progress=False)


@NEEDS_GPU
def test_generate_on_gpu_stays_on_device():
    """generate with a CUDA model gives what denoise_on_device gives from the same starts and seeds.

    Three steps: the GPU's sums run in no fixed order, and an untrained network amplifies that step by step
    (10 steps: up to 0.2 Å apart), while other seeds or starts would differ by the noise, tenths of an Å.
    """
    model = tiny_model(conditional=True).to("cuda")
    start = dict(composition="SiO2", n_atoms=45, density=2.2, rate=1.0)
    schedule = NoiseSchedule.dm2(3)
    samples = generate(model, schedule=schedule, n_samples=3, batch_size=2, progress=False, **start)
    expected = [random_structure(model=model, seed=k, **start) for k in range(3)]
    denoise(expected[:2], model, schedule, [0, 1], [1.0, 1.0], progress=False)
    denoise(expected[2:], model, schedule, [2], [1.0], progress=False)
    for a, b in zip(samples, expected):
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-4)
