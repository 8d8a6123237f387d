"""The edge convolution through NVIDIA's cuEquivariance (optional extra `cuequivariance`): its channel-wise tensor
product has the same paths as EdgeConvolution's 'uvu' ones, with the weights in another order, so a model's
convolutions can be swapped for it after loading, with the same weights and model files (the convolutions hold no
parameters).

    use_cuequivariance(model)                  # its CUDA kernels on a GPU
    use_cuequivariance(model, method="naive")  # plain torch, on any device: what the CPU tests compare

On a GPU, cuEquivariance's `uniform_1d` kernel needs the same multiplicity in every block of the features.
"""
from typing import Optional

import torch

from ase_dm2.network.convolution import EdgeConvolution, irrep_major, radial_weights, sum_over_edges


def _cue():
    try:
        import cuequivariance
        import cuequivariance_torch
    except ImportError:
        raise ImportError("cuEquivariance is not installed: pip install 'ase_dm2[cuequivariance]' "
                          "(cuequivariance-torch, and cuequivariance-ops-torch-cu12 or -cu13 for its CUDA kernels)")
    return cuequivariance, cuequivariance_torch


class CueConvolution(torch.nn.Module):
    """What `convolution` (an EdgeConvolution) computes, through cuequivariance_torch.ChannelWiseTensorProduct."""

    def __init__(self, convolution: EdgeConvolution, method: Optional[str] = None, chunk_size=None):
        super().__init__()
        cue, cuet = _cue()
        self.irreps_in1, self.irreps_out = convolution.irreps_in1, convolution.irreps_out
        self.chunk_size = chunk_size
        self.tp = cuet.ChannelWiseTensorProduct(
            cue.Irreps("O3", str(convolution.irreps_in1)), cue.Irreps("O3", str(convolution.irreps_in2)),
            filter_irreps_out=[cue.O3(ir.l, ir.p) for _, ir in convolution.irreps_out], layout=cue.mul_ir,
            shared_weights=False, internal_weights=False, method=method)
        if str(self.tp.irreps_out) != str(convolution.irreps_out) or self.tp.weight_numel != convolution.weight_numel:
            raise ValueError(f"cuEquivariance gives {self.tp.irreps_out} with {self.tp.weight_numel} weights where "
                             f"EdgeConvolution gives {convolution.irreps_out} with {convolution.weight_numel}")
        self.register_buffer("order", _weight_order(convolution, self.tp), persistent=False)
        # cuEquivariance's constants are rebuilt from the irreps: kept out of state dicts, so that checkpoints and
        # model files are the same with either convolution
        self.register_state_dict_post_hook(_drop_constants)
        self.register_load_state_dict_pre_hook(_keep_constants)

    def forward(self, node_features, edge_sh, edge_basis, radial, sender, receiver, paired=False) -> torch.Tensor:
        """(N, irreps_out.dim), in e3nn's layout as EdgeConvolution's (paired edges share one radial evaluation)."""
        def messages(edges):
            weights = radial_weights(radial, edge_basis[edges], paired)
            return self.tp(node_features[sender[edges]], edge_sh[edges], weights[:, self.order])

        total = node_features.new_zeros(node_features.shape[0], self.irreps_out.dim)
        return sum_over_edges(messages, receiver, total, self.chunk_size)


def _drop_constants(module, state_dict, prefix, local_metadata) -> None:
    for key in [k for k in state_dict if k.startswith(prefix + "tp.")]:
        del state_dict[key]


def _keep_constants(module, state_dict, prefix, *args) -> None:
    for name, value in module.tp.state_dict().items():
        state_dict.setdefault(prefix + "tp." + name, value)


def _weight_order(convolution: EdgeConvolution, tp) -> torch.Tensor:
    """The index `order` with tp(x, y, w[:, order]) == convolution's TP(x, y, w): each weight's output found by
    switching it on alone, and matched (same direction, same scale) between the two."""
    n = convolution.weight_numel
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1, convolution.irreps_in1.dim, generator=generator).expand(n, -1)
    y = torch.randn(1, convolution.irreps_in2.dim, generator=generator).expand(n, -1)
    unit = torch.eye(n)
    with torch.no_grad():
        ours = irrep_major(convolution.messages(irrep_major(x, convolution.irreps_in1), y, unit),
                           convolution.irreps_out, inverse=True)
        theirs = tp.to("cpu")(x, y, unit)
    similarity = torch.nn.functional.normalize(ours, dim=1) @ torch.nn.functional.normalize(theirs, dim=1).T
    order = similarity.argmax(dim=0)  # cuEquivariance's weight j is our weight order[j]
    scale = theirs.norm(dim=1) / ours[order].norm(dim=1)
    if not (torch.allclose(similarity[order, torch.arange(n)], torch.ones(n), atol=1e-4)
            and torch.allclose(scale, torch.ones(n), atol=1e-4) and len(set(order.tolist())) == n):
        raise ValueError("cuEquivariance's channel-wise tensor product does not match EdgeConvolution's paths "
                         "one to one (another normalisation?); keep EdgeConvolution")
    return order


def use_cuequivariance(model: torch.nn.Module, method: Optional[str] = None) -> torch.nn.Module:
    """Swap every EdgeConvolution of `model` (in place) for a CueConvolution on the model's device; returns it."""
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, EdgeConvolution):
                device = next((b.device for b in child.buffers()), torch.device("cpu"))
                setattr(module, name, CueConvolution(child, method, child.chunk_size).to(device))
    return model
