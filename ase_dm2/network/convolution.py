"""The edge convolution of NequIP-style layers, evaluated fast and in chunks of edges.

Computes what e3nn's ``o3.TensorProduct`` with 'uvu' instructions and
per-edge weights computes, followed by the sum of messages onto receiving
atoms, to float round-off, but (1) each path contracts the weights with the
edge harmonics first (a small batched matmul), so the (edges, u, v, i, j)
outer product e3nn builds never exists, (2) edges go through in chunks,
so intermediates stay in cache (time per atom does not grow with size) and
memory stays bounded for 10^5-10^6 atoms, and (3) an edge and its reverse
share one evaluation of the radial network. compile_convolutions hands each
chunk's work to torch.compile, which fuses its elementwise products on a CPU.
"""
import math
import os
import shutil

import torch
from e3nn import o3

DEFAULT_CHUNK = {"cpu": 2048, "cuda": 262144}


def irrep_major(x: torch.Tensor, irreps: o3.Irreps, inverse: bool = False) -> torch.Tensor:
    """e3nn's layout (u, d) per irrep block <-> (d, u), so that elementwise work vectorises along u."""
    blocks = []
    for s, (mul, ir) in zip(irreps.slices(), irreps):
        shape = (mul, ir.dim) if not inverse else (ir.dim, mul)
        blocks.append(x[:, s].reshape(-1, *shape).transpose(1, 2).reshape(-1, mul * ir.dim))
    return torch.cat(blocks, dim=1)


def sum_over_edges(messages, receiver: torch.Tensor, total: torch.Tensor, chunk_size=None) -> torch.Tensor:
    """`total` plus messages(edges) summed onto receiver[edges], for slices of edges of chunk_size (default per
    device; rounded up to even, so that paired edges stay together) so that per-edge intermediates stay bounded."""
    chunk = chunk_size or DEFAULT_CHUNK.get(total.device.type, DEFAULT_CHUNK["cuda"])
    chunk += chunk % 2
    for start in range(0, receiver.shape[0], chunk):
        edges = slice(start, start + chunk)
        total.index_add_(0, receiver[edges], messages(edges))  # in place: a copy per chunk grows as N^2
    return total


def radial_weights(radial, edge_basis: torch.Tensor, paired: bool) -> torch.Tensor:
    """radial(edge_basis), the tensor-product weights of each edge; paired edges (each followed by its reverse, of
    the same length) share one evaluation: the radial network is most of a convolution's matrix work."""
    if paired:
        return radial(edge_basis[::2]).repeat_interleave(2, dim=0)
    return radial(edge_basis)


class EdgeConvolution(torch.nn.Module):
    """sum over edges e -> i of TP(x[j], Y_e; R(basis_e)) for an e3nn 'uvu' TensorProduct `tp`."""

    def __init__(self, tp: o3.TensorProduct, chunk_size=None):
        super().__init__()
        if tp.shared_weights or tp.internal_weights:
            raise ValueError("EdgeConvolution needs a TensorProduct with per-edge weights (shared_weights=False)")
        self.irreps_in1, self.irreps_in2, self.irreps_out = tp.irreps_in1, tp.irreps_in2, tp.irreps_out
        self.chunk_size = chunk_size
        self.paths, weight_sizes = [], []
        for k, ins in enumerate(tp.instructions):
            if ins.connection_mode != "uvu" or not ins.has_weight:
                raise ValueError(f"only weighted 'uvu' paths are supported, got {ins.connection_mode}")
            in1, in2, out = tp.irreps_in1[ins.i_in1], tp.irreps_in2[ins.i_in2], tp.irreps_out[ins.i_out]
            w3j = o3.wigner_3j(in1.ir.l, in2.ir.l, out.ir.l)
            self.register_buffer(f"w3j_{k}", w3j, persistent=False)
            self.paths.append(dict(
                i_in1=ins.i_in1, i_in2=ins.i_in2, i_out=ins.i_out, in1=(in1.mul, in1.ir.dim), in2=(in2.mul, in2.ir.dim),
                ls=(in1.ir.l, in2.ir.l, out.ir.l), path_weight=ins.path_weight, w3j=f"w3j_{k}",
                w3j_terms=[[(i, j, float(w3j[i, j, m])) for i, j in torch.nonzero(w3j[:, :, m]).tolist()]
                           for m in range(out.ir.dim)],
            ))
            weight_sizes.append(in1.mul * in2.mul)
        self.weight_numel = sum(weight_sizes)
        # inputs are split into blocks once per chunk: one backward concatenation, where slicing each path's block
        # cost a zero-filled full-size gradient per path (a tenth of a CPU training step)
        self.block_sizes = ([mul_ir.dim for mul_ir in tp.irreps_in1], [mul_ir.dim for mul_ir in tp.irreps_in2],
                            weight_sizes)

    def _path(self, path, x1, x2, w) -> torch.Tensor:
        """One path in the irrep-major layout (E, d, u): elementwise work runs along the multiplicity u; x1, x2 and
        w are the path's blocks of the inputs and weights."""
        (u, d1), (v, d2) = path["in1"], path["in2"]
        x1 = x1.reshape(-1, d1, u)
        x2 = x2.reshape(-1, v, d2).transpose(1, 2)
        w = w.reshape(-1, u, v).transpose(1, 2)
        # q (E, d2, u): the weights meet the edge harmonics first, as a sum over v along contiguous rows of u
        # (v is 1 for edge harmonics). A batched matmul of E tiny matrices is 2-3x slower on CPUs for d2 > 1 and
        # on a GPU for any d2 (a sixth of an H200's work on a 3,000-atom step).
        w = w.contiguous()
        q = x2[:, :, 0, None] * w[:, None, 0]
        for k in range(1, v):
            q.addcmul_(x2[:, :, k, None], w[:, None, k])  # in place: a fresh tensor autograd does not need
        l1, l2, l3 = path["ls"]
        d3 = 2 * l3 + 1
        if l1 == 0 or l2 == 0:  # Clebsch-Gordan of (0, l, l) and (l, 0, l) is identity / sqrt(2l + 1)
            out = x1 * q / math.sqrt(d3)
        elif l3 == 0:
            out = (x1 * q).sum(1, keepdim=True) / math.sqrt(d1)
        else:
            w3j = getattr(self, path["w3j"]).reshape(d1 * d2, d3)
            if torch.compiler.is_compiling():  # the few nonzero Clebsch-Gordan terms, which Inductor fuses
                out = torch.stack([sum(c * x1[:, i] * q[:, j] for i, j, c in terms) for terms in path["w3j_terms"]], 1)
            elif x1.is_cuda:  # one matrix product over rows (edge, u): a tiny one per edge took 0.5 ms of an H200 step
                outer = (x1.transpose(1, 2).unsqueeze(3) * q.transpose(1, 2).unsqueeze(2)).reshape(-1, d1 * d2)
                out = (outer @ w3j).reshape(-1, u, d3).transpose(1, 2)
            else:  # on CPUs the per-edge products are faster (the one product made a forward pass 25 % slower)
                outer = (x1.unsqueeze(2) * q.unsqueeze(1)).reshape(-1, d1 * d2, u)
                out = torch.matmul(w3j.T, outer)
        return path["path_weight"] * out.reshape(out.shape[0], -1)

    def messages(self, x1: torch.Tensor, x2: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Per-edge TP outputs in the irrep-major layout; x1 irrep-major, x2 and weights as e3nn has them."""
        parts = [None] * len(self.irreps_out)
        sizes1, sizes2, weight_sizes = self.block_sizes
        blocks1, blocks2 = x1.split(sizes1, dim=1), x2.split(sizes2, dim=1)
        for path, w in zip(self.paths, weights.split(weight_sizes, dim=1)):
            out = self._path(path, blocks1[path["i_in1"]], blocks2[path["i_in2"]], w)
            i = path["i_out"]
            parts[i] = out if parts[i] is None else parts[i] + out
        for i, mul_ir in enumerate(self.irreps_out):
            if parts[i] is None:
                parts[i] = x1.new_zeros(x1.shape[0], mul_ir.dim)
        return torch.cat(parts, dim=1)

    def chunk_messages(self, features, sender, edge_sh, edge_basis, radial, paired: bool) -> torch.Tensor:
        """Messages of one chunk of edges (features irrep-major): the gather, the radial network and the tensor
        product in one function, the unit that compile_convolutions hands to torch.compile."""
        return self.messages(features[sender], edge_sh, radial_weights(radial, edge_basis, paired))

    def forward(self, node_features, edge_sh, edge_basis, radial, sender, receiver, paired=False) -> torch.Tensor:
        """(N, irreps_out.dim): messages TP(node_features[sender], edge_sh; radial(edge_basis)) summed onto receiver;
        `paired`: edge 2k + 1 is edge 2k reversed (Graph.paired)."""
        features = irrep_major(node_features, self.irreps_in1)
        total = sum_over_edges(
            lambda e: self.chunk_messages(features, sender[e], edge_sh[e], edge_basis[e], radial, paired),
            receiver, node_features.new_zeros(node_features.shape[0], self.irreps_out.dim), self.chunk_size)
        return irrep_major(total, self.irreps_out, inverse=True)


def compile_convolutions(model: torch.nn.Module) -> torch.nn.Module:
    """Hand each EdgeConvolution's per-chunk work to torch.compile (in place; returns the model).

    Inductor fuses the chains of small elementwise products that dominate the convolution on a CPU. The chunk size
    is fixed, so each layer compiles once for full chunks and once, with a dynamic edge count, for the last one
    (about 20-50 s before the first steps); the weights, state dict and model file are unchanged.
    """
    compilers = (os.environ.get("CXX", "g++"), "c++", "clang++")
    if not any(shutil.which(name) for name in compilers):
        raise RuntimeError("torch.compile needs a C++ compiler on a CPU and none was found (g++, c++, clang++ or "
                           "$CXX): install one (apt-get install g++), or leave out --compile")
    for module in model.modules():
        if isinstance(module, EdgeConvolution):
            module.chunk_messages = torch.compile(module.chunk_messages)
    return model
