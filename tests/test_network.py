"""Symmetries of the denoiser, to float32 precision: E(3) equivariance, invariances, periodic images."""
import numpy as np
import pytest
import torch
from e3nn import o3

from helpers import DEVICES, random_silica, tiny_model

TRICLINIC = [[9.0, 0.0, 0.0], [2.5, 8.5, 0.0], [-1.5, 2.0, 9.5]]


def predict(model, atoms, rate=1.0):
    with torch.no_grad():
        return model(model.graph([atoms], [rate] if model.conditional else None)).double().numpy()


@pytest.fixture(params=[False, True], ids=["unconditional", "conditional"])
def model(request):
    return tiny_model(conditional=request.param)


@pytest.fixture
def atoms():
    return random_silica(12, cell=TRICLINIC, seed=3)


def assert_close(a, b):
    scale = max(np.abs(a).max(), 1e-3)
    np.testing.assert_allclose(a, b, atol=2e-5 * scale, rtol=0)


def test_output_shape_and_nonzero(model, atoms):
    out = predict(model, atoms)
    assert out.shape == (len(atoms), 3)
    assert np.abs(out).max() > 1e-4


@pytest.mark.parametrize("proper", [True, False], ids=["rotation", "reflection"])
def test_rotation_and_reflection_equivariance(model, atoms, proper):
    torch.manual_seed(1)
    rotation = o3.rand_matrix().double().numpy()
    if not proper:
        rotation = rotation @ np.diag([1.0, 1.0, -1.0])
    transformed = atoms.copy()
    transformed.set_cell(atoms.cell.array @ rotation.T)
    transformed.positions = atoms.positions @ rotation.T
    assert_close(predict(model, transformed), predict(model, atoms) @ rotation.T)


def test_translation_invariance(model, atoms):
    moved = atoms.copy()
    moved.positions += [3.1, -7.2, 0.4]
    moved.wrap()
    assert_close(predict(model, moved), predict(model, atoms))


def test_permutation_equivariance(model, atoms):
    order = np.random.default_rng(0).permutation(len(atoms))
    assert_close(predict(model, atoms[order]), predict(model, atoms)[order])


def test_supercell_gives_same_per_atom_outputs(model, atoms):
    out = predict(model, atoms)
    supercell = predict(model, atoms.repeat((2, 2, 2)))
    assert_close(supercell, np.tile(out, (8, 1)))


def test_output_is_smooth_at_the_cutoff():
    model = tiny_model(num_layers=1)
    from ase import Atoms

    def displacement(r):
        pair = Atoms("SiO", positions=[[0, 0, 0], [r, 0, 0]], pbc=False)
        return predict(model, pair)

    inside, outside = displacement(model.cutoff - 1e-3), displacement(model.cutoff + 1e-3)
    isolated = predict(model, Atoms("Si", positions=[[0, 0, 0]], pbc=False))
    np.testing.assert_allclose(inside[0], isolated[0], atol=1e-6)
    np.testing.assert_allclose(outside[0], isolated[0], atol=1e-7)


def test_conditioning_changes_output_but_keeps_equivariance():
    model = tiny_model(conditional=True)
    atoms = random_silica(8, seed=5)
    assert np.abs(predict(model, atoms, 0.1) - predict(model, atoms, 100.0)).max() > 1e-5


def test_conditional_model_requires_rate():
    model = tiny_model(conditional=True)
    with pytest.raises(ValueError, match="rate"):
        model.graph([random_silica(4)])


def test_species_maps_equal_the_tensor_products_with_gradients():
    """Per-species matrices read off the weights give e3nn's own FullyConnectedTensorProduct, its gradients and
    its weight changes; non-scalar attributes are refused."""
    from e3nn import o3

    from ase_dm2.network.species import SpeciesAttributes

    torch.manual_seed(0)
    module = o3.FullyConnectedTensorProduct("6x0e + 3x1o + 2x2e + 1x1e", "4x0e", "5x0e + 2x1o + 3x2e + 1x0o")
    table = torch.randn(3, 4, requires_grad=True)
    species = torch.randint(3, (40,))
    x = torch.randn(40, module.irreps_in1.dim, requires_grad=True)
    for change in range(2):
        got, expected = SpeciesAttributes(table, species).apply(module, x), module(x, table[species])
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
        probe = torch.randn_like(expected)
        grads = torch.autograd.grad((got * probe).sum(), (x, table, module.weight))
        for ours, theirs in zip(grads, torch.autograd.grad((expected * probe).sum(), (x, table, module.weight))):
            torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
        with torch.no_grad():
            module.weight.add_(0.5)  # an optimiser step or load_state_dict changes weights in place
    vector_attributes = o3.FullyConnectedTensorProduct("2x0e", "1x1o", "2x1o")
    with pytest.raises(ValueError, match="scalars"):
        SpeciesAttributes(torch.randn(2, 3), species).apply(vector_attributes, torch.randn(40, 2))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("variant", ["plain", "paired", "compiled"])
def test_edge_convolution_equals_e3nn_tensor_product_and_scatter_with_gradients(device, variant):
    """Also with paired edges (one radial evaluation per pair) and through torch.compile (its own Clebsch-Gordan
    sums), whose first calls compile (about 15 s; on the CPU only)."""
    if variant == "compiled" and device != "cpu":
        pytest.skip("torch.compile is measured and kept for the CPU; on a GPU the CUDA graphs replay the network")
    from ase_dm2.network.convolution import EdgeConvolution, compile_convolutions
    from ase_dm2.network.interaction import _uvu_paths

    with torch.device(device):  # every tensor and buffer made below lives on the device
        torch.manual_seed(0)
        irreps_in, irreps_edge = o3.Irreps("4x0e + 3x1o + 2x2e"), o3.Irreps.spherical_harmonics(2)
        irreps_mid, instructions = _uvu_paths(irreps_in, irreps_edge, o3.Irreps("4x0e + 3x1o + 2x2e"))
        tp = o3.TensorProduct(irreps_in, irreps_edge, irreps_mid, instructions, shared_weights=False,
                              internal_weights=False)
        radial = torch.nn.Linear(5, tp.weight_numel)
        n_nodes, n_edges = 11, 60
        x = irreps_in.randn(n_nodes, -1, requires_grad=True)
        sh = o3.spherical_harmonics(irreps_edge, torch.randn(n_edges, 3), normalize=True)
        basis = torch.randn(n_edges, 5)
        if variant == "paired":  # edge 2k + 1 is edge 2k reversed: the same length
            basis = basis[::2].repeat_interleave(2, dim=0)
        sender, receiver = torch.randint(n_nodes, (n_edges,)), torch.randint(n_nodes, (n_edges,))
        expected = torch.zeros(n_nodes, irreps_mid.dim).index_add(0, receiver, tp(x[sender], sh, radial(basis)))
        convolution = EdgeConvolution(tp, chunk_size=7).to(device)  # eight chunks of 8 (rounded up to even)
        if variant == "compiled":
            compile_convolutions(convolution)
        ours = convolution(x, sh, basis, radial, sender, receiver, paired=variant == "paired")
        torch.testing.assert_close(ours, expected, atol=1e-5, rtol=1e-5)
        probe = torch.randn_like(expected)
        grads = torch.autograd.grad((expected * probe).sum(), [x, radial.weight])
        ours_grads = torch.autograd.grad((ours * probe).sum(), [x, radial.weight])
        for a, b in zip(ours_grads, grads):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_compiling_without_a_cpp_compiler_is_refused_naming_the_fix(monkeypatch):
    from ase_dm2.network.convolution import compile_convolutions

    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("CXX", raising=False)
    with pytest.raises(RuntimeError, match="needs a C\\+\\+ compiler.*apt-get install g\\+\\+"):
        compile_convolutions(tiny_model())
