"""The network replayed as a CUDA graph: padding with a dummy atom leaves every real atom's output unchanged."""
import numpy as np
import pytest
import torch

from ase_dm2 import NoiseSchedule
from ase_dm2.dm2.network import DM2Config, DM2Network
from ase_dm2.sampling.cuda_graph import ReplayedModel, padded
from ase_dm2.sampling.engine import denoise
from helpers import NEEDS_GPU, random_silica, tiny_model


def networks():
    """Ours (outputs vanish beyond the cutoff) and DM2's (its basis and biases do not): padding must not rely on it."""
    torch.manual_seed(0)
    return [tiny_model(conditional=True), DM2Network(DM2Config(species=("O", "Si"), conditional=True)).eval()]


def batch():
    return [random_silica(12, seed=1), random_silica(9, seed=2)]


@pytest.mark.parametrize("network", networks(), ids=["ase_dm2", "dm2"])
def test_padding_leaves_real_atoms_unchanged(network):
    graph = network.graph(batch(), [1.0, 10.0])
    edges, n = graph.center.shape[0], graph.positions.shape[0]
    bigger = padded(graph, edges + 500, network.cutoff)
    assert bigger.center.shape[0] == edges + 500 and bigger.positions.shape[0] == n + 1
    with torch.no_grad():
        torch.testing.assert_close(network(bigger)[:n], network(graph), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="do not fit"):
        padded(graph, edges - 1, network.cutoff)


@NEEDS_GPU
@pytest.mark.parametrize("network", networks(), ids=["ase_dm2", "dm2"])
def test_replay_equals_the_model_as_edges_change(network):
    network = network.to("cuda")
    replayed = ReplayedModel(network, headroom=1.05)
    structures = batch()
    for step in range(4):  # atoms move: other edges each step, and once more than the capacity
        for atoms in structures:
            atoms.positions += np.random.default_rng(step).normal(0, 0.05 if step < 3 else 0.0, atoms.positions.shape)
            if step == 3:
                atoms.set_cell(atoms.cell * 0.9, scale_atoms=True)
        graph = network.graph(structures, [1.0, 10.0])
        with torch.no_grad():
            torch.testing.assert_close(replayed(graph).clone(), network(graph), atol=1e-5, rtol=0)
    assert replayed.captures == 2


@NEEDS_GPU
def test_device_loop_with_and_without_graph_replay():
    model = tiny_model(conditional=True).to("cuda")
    schedule = NoiseSchedule(steps=5, noiseless_steps=5)
    replayed, eager = batch(), batch()
    denoise(replayed, model, schedule, [0, 1], [1.0, 1.0], progress=False, cuda_graph=True)
    denoise(eager, model, schedule, [0, 1], [1.0, 1.0], progress=False, cuda_graph=False)
    for a, b in zip(replayed, eager):
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-4)


@NEEDS_GPU
def test_fixed_shapes_replayed_as_one_graph_and_op_by_op():
    model = tiny_model(conditional=True).to("cuda")
    schedule = NoiseSchedule(steps=5, noiseless_steps=5)
    replayed, eager = batch(), batch()
    denoise(replayed, model, schedule, [0, 1], [1.0, 1.0], progress=False, cuda_graph=True,
                      fixed_shapes=True)
    denoise(eager, model, schedule, [0, 1], [1.0, 1.0], progress=False, cuda_graph=False,
                      fixed_shapes=True)
    for a, b in zip(replayed, eager):
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-4)
