"""NequIP-style interaction block: an equivariant convolution over edges.

out = SelfConnection(x, z) + Linear2(sum_j TP(Linear1(x, z)_j, Y(r_ij); R(|r_ij|)), z)

x are node features, z node attributes (species embedding, applied one matrix
per species), Y the edge spherical harmonics and R an MLP of the radial basis
giving the tensor-product weights of each edge (EdgeConvolution evaluates it).
"""
import math

import torch
from e3nn import o3
from e3nn.nn import FullyConnectedNet

from ase_dm2.network.convolution import EdgeConvolution
from ase_dm2.network.species import SpeciesAttributes


def _uvu_paths(irreps_in: o3.Irreps, irreps_edge: o3.Irreps, irreps_out: o3.Irreps):
    """Intermediate irreps and 'uvu' instructions keeping only outputs present in irreps_out."""
    wanted = {ir for _, ir in irreps_out}
    mid, instructions = [], []
    for i_in, (mul, ir_in) in enumerate(irreps_in):
        for i_edge, (_, ir_edge) in enumerate(irreps_edge):
            for ir_out in ir_in * ir_edge:
                if ir_out in wanted:
                    instructions.append((i_in, i_edge, len(mid), "uvu", True))
                    mid.append((mul, ir_out))
    mid = o3.Irreps(mid)
    mid, permutation, _ = mid.sort()
    instructions = [(i1, i2, permutation[i_out], mode, train) for i1, i2, i_out, mode, train in instructions]
    return mid, instructions


class Interaction(torch.nn.Module):
    def __init__(
        self,
        irreps_in,
        irreps_attr,
        irreps_edge,
        irreps_out,
        num_basis: int,
        radial_hidden: int,
        avg_num_neighbors: float,
    ):
        super().__init__()
        irreps_in, irreps_attr = o3.Irreps(irreps_in), o3.Irreps(irreps_attr)
        irreps_edge, irreps_out = o3.Irreps(irreps_edge), o3.Irreps(irreps_out)
        self.irreps_in, self.irreps_out = irreps_in, irreps_out
        self.norm = 1.0 / math.sqrt(avg_num_neighbors)

        self.self_connection = o3.FullyConnectedTensorProduct(irreps_in, irreps_attr, irreps_out)
        self.linear_1 = o3.FullyConnectedTensorProduct(irreps_in, irreps_attr, irreps_in)
        irreps_mid, instructions = _uvu_paths(irreps_in, irreps_edge, irreps_out)
        # e3nn's TensorProduct defines the paths; EdgeConvolution evaluates them (the TensorProduct itself is not
        # kept: its private buffers would be written into every model file)
        conv = o3.TensorProduct(irreps_in, irreps_edge, irreps_mid, instructions, shared_weights=False,
                                internal_weights=False)
        self.radial = FullyConnectedNet([num_basis, radial_hidden, conv.weight_numel], torch.nn.functional.silu)
        self.convolution = EdgeConvolution(conv)
        self.linear_2 = o3.FullyConnectedTensorProduct(irreps_mid.simplify(), irreps_attr, irreps_out)

    def forward(self, x, attr: SpeciesAttributes, center, neighbor, edge_sh, edge_basis, paired=False):
        h = attr.apply(self.linear_1, x)
        aggregated = self.convolution(h, edge_sh, edge_basis, self.radial, neighbor, center, paired)
        return attr.apply(self.self_connection, x) + attr.apply(self.linear_2, aggregated * self.norm)
