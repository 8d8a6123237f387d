"""Fixed-size neighbour lists (PaddedCellList) against vesin, and the device loop that repeats steps on overflow."""
import numpy as np
import pytest
import torch

from ase_dm2 import NoiseSchedule
from ase_dm2.graph import neighbor_pairs
from ase_dm2.sampling import engine
from ase_dm2.sampling.cell_list import PaddedCellList
from ase_dm2.sampling.device import DeviceStructures
from ase_dm2.sampling.engine import denoise
from helpers import DEVICES, random_silica, tiny_model

TRICLINIC = [[9.0, 0.0, 0.0], [2.5, 8.5, 0.0], [1.0, -1.5, 9.5]]
CUTOFF = 5.0


def structures():
    """Periodic cells one, two and three cutoffs wide (triclinic, cubic), atoms outside the cell."""
    batch = [random_silica(10, cell=TRICLINIC, seed=1), random_silica(40, seed=2), random_silica(100, seed=3)]
    for k, atoms in enumerate(batch):
        atoms.positions += np.random.default_rng(k).normal(0, 4.0, atoms.positions.shape)
    return batch


def host_edges(batch):
    """vesin's pairs of every structure, numbered through the batch, as (i, j, offset rounded)."""
    edges, start = [], 0
    for atoms in batch:
        i, j, shifts = neighbor_pairs(atoms.positions, atoms.cell.array, atoms.pbc, CUTOFF)
        offsets = np.round(shifts @ atoms.cell.array, 4)
        edges += zip((i + start).tolist(), (j + start).tolist(), map(tuple, offsets.tolist()))
        start += len(atoms)
    return sorted(edges)


def cell_list_of(batch, device_name="cpu"):
    state = DeviceStructures(batch, ("O", "Si"), device_name)
    return state, PaddedCellList.sized_for(state.positions, state.cells, state.batch, CUTOFF)


@pytest.mark.parametrize("device_name", DEVICES)
def test_pairs_equal_vesin_and_padding_is_dummy_self_edges(device_name):
    batch = structures()
    state, cell_list = cell_list_of(batch, device_name)
    assert cell_list.bins.tolist() == [[1, 1, 1], [2, 2, 2], [3, 3, 3]]
    center, neighbor, offsets = (t.cpu() for t in cell_list.compute(state.positions))
    n, real = len(state.positions), center < len(state.positions)
    edges = sorted(zip(center[real].tolist(), neighbor[real].tolist(),
                       map(tuple, np.round(offsets[real].numpy(), 4).tolist())))
    assert edges == host_edges(batch) and len(edges) > 1000
    assert not cell_list.overflowed() and center.shape[0] > len(edges)  # room to spare
    assert (neighbor[~real] == n).all() and (offsets[~real] == torch.tensor([2 * CUTOFF, 0.0, 0.0])).all()


def test_too_small_capacities_are_flagged_and_grown_lists_fit():
    batch = structures()
    state, ample = cell_list_of(batch)
    cell_list = PaddedCellList(state.cells, state.batch, CUTOFF, edges=100, candidates=500)
    assert cell_list.compute(state.positions)[0].shape == (100,) and cell_list.overflowed()
    for _ in range(3):  # too few candidates hide pairs, so the first grown list may still lack edges
        cell_list = cell_list.grown()
        result = cell_list.compute(state.positions)
        if not cell_list.overflowed():
            break
    assert not cell_list.overflowed()
    expected = ample.compute(state.positions)
    real = result[0] < len(state.positions)
    assert real.sum() == (expected[0] < len(state.positions)).sum()
    for got, want in zip(result, expected):
        assert torch.equal(got[real], want[:int(real.sum())])


def test_cells_narrower_than_the_cutoff_or_open_are_refused():
    state = DeviceStructures([random_silica(2, density=2.2)], ("O", "Si"), "cpu")
    with pytest.raises(ValueError, match="at least one cutoff"):
        PaddedCellList(state.cells, state.batch, CUTOFF, edges=10, candidates=2)
    slab = random_silica(40)
    slab.pbc = [True, True, False]
    state = DeviceStructures([slab], ("O", "Si"), "cpu")
    with pytest.raises(ValueError, match="vesin-torch"):
        PaddedCellList(state.cells, state.batch, CUTOFF, edges=10, candidates=2)


@pytest.mark.parametrize("device_name", DEVICES)
def test_padded_graph_gives_the_model_outputs_of_vesins_graph(device_name):
    model = tiny_model(conditional=True).to(device_name)
    batch = structures()
    state, cell_list = cell_list_of(batch, device_name)
    rates = torch.tensor([1.0, 10.0, 0.1], device=device_name)
    with torch.no_grad():
        padded = model(state.padded_graph(cell_list, rates, torch.float32))
        torch.testing.assert_close(padded[:-1], model(model.graph(batch, rates.tolist()).to(device_name)),
                                   atol=1e-5, rtol=0)


@pytest.mark.parametrize("device_name", DEVICES)
def test_overflow_repeats_the_steps_since_the_last_check(monkeypatch, device_name):
    """A list far too small at the start gives, after its repeats, the structures ample room gives: exactly on the
    CPU; on a GPU, whose sums run in no fixed order, to round-off (network and list replayed as one CUDA graph)."""
    model = tiny_model(conditional=True).to(device_name)
    schedule = NoiseSchedule(steps=7, noiseless_steps=2, sigma_max=0.3)
    ample, repeated = structures(), structures()
    denoise(ample, model, schedule, [0, 1, 2], [1.0] * 3, progress=False, fixed_shapes=True)
    growths = []

    def too_small(positions, cells, batch, cutoff, headroom=1.02):
        return PaddedCellList(cells, batch, cutoff, edges=50, candidates=1)

    def grown(self, headroom=1.02):
        growths.append(self.edges)
        return original_grown(self, headroom)

    original_grown = PaddedCellList.grown
    monkeypatch.setattr(PaddedCellList, "sized_for", staticmethod(too_small))
    monkeypatch.setattr(PaddedCellList, "grown", grown)
    monkeypatch.setattr(engine, "CHECK_INTERVAL", 3)
    denoise(repeated, model, schedule, [0, 1, 2], [1.0] * 3, progress=False, fixed_shapes=True)
    assert growths[0] == 50 and len(growths) >= 1
    for a, b in zip(ample, repeated):
        np.testing.assert_allclose(a.positions, b.positions, atol=0 if device_name == "cpu" else 1e-4, rtol=0)
    assert np.abs(ample[2].positions - structures()[2].positions).max() > 0.1  # noise and the model moved atoms


@pytest.mark.parametrize("device_name", DEVICES)
def test_fixed_shapes_follow_the_default_loop(device_name):
    """Noiseless steps: the same graphs in another edge order, so the same structures to round-off."""
    model = tiny_model(conditional=True).to(device_name)
    schedule = NoiseSchedule(steps=4, noiseless_steps=4)
    fixed, default = structures(), structures()
    denoise(fixed, model, schedule, [0, 1, 2], [1.0] * 3, progress=False, fixed_shapes=True)
    denoise(default, model, schedule, [0, 1, 2], [1.0] * 3, progress=False)
    for a, b in zip(fixed, default):
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-4)
