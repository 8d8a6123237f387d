"""Neighbour graphs: any cell shape, finite clusters, batches of different structures."""
import numpy as np
import pytest
import torch
from ase import Atoms
from ase.neighborlist import neighbor_list

from ase_dm2.graph import build_graph
from helpers import random_silica


def edge_table(i, j, d):
    table = np.stack([i, j, np.round(d, 4)], axis=1)
    return table[np.lexsort(table.T[::-1])]


@pytest.mark.parametrize("pbc", [True, False, (True, True, False)], ids=["periodic", "finite", "slab"])
def test_edges_match_ase_for_a_triclinic_cell(pbc):
    atoms = random_silica(15, cell=[[8.0, 0, 0], [3.0, 7.0, 0], [1.0, -2.0, 6.5]], seed=2)
    atoms.pbc = pbc
    graph = build_graph([atoms], ("O", "Si"), cutoff=5.0)
    vectors = graph.edge_vectors().double().numpy()
    i, j, d = neighbor_list("ijd", atoms, 5.0)
    ours = edge_table(graph.center.numpy(), graph.neighbor.numpy(), np.linalg.norm(vectors, axis=1))
    np.testing.assert_allclose(ours, edge_table(i, j, d), atol=2e-4)


def test_cluster_without_cell(shared_data):
    from scipy.io import loadmat

    coords = loadmat(shared_data / "aet-nanoparticle" / "final_atom_coord_inA.mat")["final_atom_coord_inAngstrom"]
    cluster = Atoms("Ni" * 500, positions=coords.T[:500].astype(float))
    graph = build_graph([cluster], ("Ni",), cutoff=5.0)
    i, j = neighbor_list("ij", cluster, 5.0)
    assert len(graph.center) == len(i) > 0
    assert graph.offsets.abs().max() == 0


def test_batch_of_different_structures():
    a = random_silica(5, seed=0)
    b = random_silica(9, cell=[[7.0, 0, 0], [1.0, 7.5, 0], [0, 0, 8.0]], seed=1)
    c = Atoms("Si", positions=[[0, 0, 0]])
    graph = build_graph([a, b, c], ("O", "Si"), 5.0, rates=[0.1, 1.0, 10.0])
    singles = [build_graph([s], ("O", "Si"), 5.0) for s in (a, b)]
    assert graph.num_structures == 3 and graph.rate.tolist() == pytest.approx([0.1, 1.0, 10.0])
    assert graph.batch.tolist() == [0] * len(a) + [1] * len(b) + [2]
    assert len(graph.center) == sum(len(s.center) for s in singles)
    # edges never cross structures
    assert (graph.batch[graph.center] == graph.batch[graph.neighbor]).all()
    second = graph.batch[graph.center] == 1
    assert sorted(graph.edge_vectors()[second].norm(dim=1).tolist()) == pytest.approx(
        sorted(singles[1].edge_vectors().norm(dim=1).tolist()), abs=1e-5)


def test_edges_come_in_reversed_pairs_and_give_the_same_network_output():
    from dataclasses import replace

    from helpers import tiny_model

    atoms = random_silica(15, cell=[[8.0, 0, 0], [3.0, 7.0, 0], [1.0, -2.0, 6.5]], seed=2)
    graph = build_graph([atoms, random_silica(6, seed=4)], ("O", "Si"), cutoff=5.0)
    assert graph.paired
    assert (graph.center[1::2] == graph.neighbor[::2]).all() and (graph.neighbor[1::2] == graph.center[::2]).all()
    vectors = graph.edge_vectors()
    assert torch.equal(vectors[1::2], -vectors[::2])  # bit for bit: one radial evaluation serves both
    model = tiny_model()
    with torch.no_grad():
        torch.testing.assert_close(model(graph), model(replace(graph, paired=False)), atol=1e-6, rtol=1e-6)


def test_unknown_species_is_named():
    with pytest.raises(ValueError, match="Cu.*does not know"):
        build_graph([Atoms("Cu", positions=[[0, 0, 0]])], ("O", "Si"), 5.0)


def test_one_rate_per_structure():
    with pytest.raises(ValueError, match="one per structure"):
        build_graph([random_silica(3)], ("O", "Si"), 5.0, rates=[1.0, 2.0])
