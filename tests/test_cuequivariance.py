"""cuEquivariance's channel-wise tensor product in place of EdgeConvolution: the same sums and gradients to
float32 precision through a whole model (its plain-torch "naive" method, so on the CPU), and unchanged state dicts."""
import copy
import sys

import pytest
import torch

from ase_dm2.network.cue import CueConvolution, use_cuequivariance
from helpers import random_silica, tiny_model

pytest.importorskip("cuequivariance_torch", reason="cuequivariance-torch not installed (extra 'cuequivariance')")


@pytest.mark.parametrize("size", [dict(), dict(hidden_scalars=8, hidden_vectors=8, lmax=2)], ids=["tiny", "uniform"])
def test_the_swapped_model_gives_the_same_outputs_and_gradients(size):
    model = tiny_model(conditional=True, **size)
    swapped = use_cuequivariance(copy.deepcopy(model), method="naive")
    assert all(isinstance(layer.convolution, CueConvolution) for layer in swapped.interactions)
    atoms = random_silica(12, seed=3)
    outputs, gradients = [], []
    for net in (model, swapped):
        graph = net.graph([atoms], [1.0])
        graph.positions.requires_grad_(True)
        out = net(graph)
        probe = torch.linspace(-1, 1, out.numel()).reshape(out.shape)
        outputs.append(out.detach())
        gradients.append(torch.autograd.grad((out * probe).sum(), [graph.positions, *net.parameters()]))
    scale = outputs[0].abs().max()
    torch.testing.assert_close(outputs[1], outputs[0], atol=1e-5 * scale, rtol=0)
    for ours, theirs in zip(gradients[1], gradients[0]):
        torch.testing.assert_close(ours, theirs, atol=1e-5 * max(theirs.abs().max(), 1e-3), rtol=0)
    assert list(swapped.state_dict()) == list(model.state_dict())  # model files and checkpoints do not change
    swapped.load_state_dict(model.state_dict())


def test_without_cuequivariance_the_message_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cuequivariance_torch", None)
    with pytest.raises(ImportError, match=r"pip install 'ase_dm2\[cuequivariance\]'"):
        use_cuequivariance(tiny_model())


def test_training_through_cuequivariance_follows_the_same_path_and_writes_the_same_model_file(tmp_path):
    from ase_dm2 import load_model
    from ase_dm2.training import Trainer, TrainingSettings
    from helpers import tiny_config

    structures = [random_silica(10, seed=k) for k in range(3)]
    runs = {}
    for cue in (False, True):
        settings = TrainingSettings(steps=3, batch_size=2, learning_rate=1e-2, ema_decay=0.9, validation_fraction=0,
                                    validation_interval=3, checkpoint_interval=3, cuequivariance=cue)
        runs[cue] = Trainer(structures, tmp_path / str(cue), tiny_config(), settings, validation=[])
        runs[cue].run(progress=False)
    for a, b in zip(runs[False].final_model.parameters(), runs[True].final_model.parameters()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    reloaded = load_model(tmp_path / "True" / "model.safetensors")
    assert not any(isinstance(m, CueConvolution) for m in reloaded.modules())
