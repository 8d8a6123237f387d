"""Maps of (node features, species attributes) applied as one matrix per species.

NequIP-style layers mix node features with a species embedding through e3nn's
FullyConnectedTensorProduct, which is linear in the features for a fixed
attribute. With scalar attributes (an embedding), each path couples a block of
the features to the same irrep of the output through the identity Clebsch-Gordan
of (l, 0, l), so the matrix of each species is the path weights contracted with
its attribute vector: a few small products per call, forward and backward. Every
node is then multiplied by its species' matrix: the same function to float
round-off, without the outer products e3nn builds per node.
"""
import math

import torch


def species_matrices(module, table: torch.Tensor) -> torch.Tensor:
    """(num_species, dim_in, dim_out): module(x, table[s]) == x @ result[s] for an e3nn FullyConnectedTensorProduct
    whose second input is scalars (irreps_in2 all 0e)."""
    if any(ir.l != 0 for _, ir in module.irreps_in2):
        raise ValueError(f"species attributes must be scalars, got {module.irreps_in2}")
    num_species = table.shape[0]
    slices1, slices2, slices_out = module.irreps_in1.slices(), module.irreps_in2.slices(), module.irreps_out.slices()
    matrices = table.new_zeros(num_species, module.irreps_in1.dim, module.irreps_out.dim)
    weighted = [ins for ins in module.instructions if ins.has_weight]
    for ins, weight in zip(weighted, module.weight_views()):
        if ins.connection_mode != "uvw":
            raise ValueError(f"only 'uvw' paths (FullyConnectedTensorProduct) are supported, got {ins.connection_mode}")
        d = module.irreps_in1[ins.i_in1].ir.dim
        block = torch.einsum("uvw,sv->suw", weight, table[:, slices2[ins.i_in2]]) * (ins.path_weight / math.sqrt(d))
        eye = torch.eye(d, dtype=table.dtype, device=table.device)
        matrices[:, slices1[ins.i_in1], slices_out[ins.i_out]] += (
            block[:, :, None, :, None] * eye[:, None, :]).reshape(num_species, block.shape[1] * d, -1)
    return matrices


class SpeciesAttributes:
    """Species indices (N,) with the attribute table (num_species, dim) they index."""

    def __init__(self, table: torch.Tensor, species: torch.Tensor):
        self.table, self.species = table, species

    def apply(self, module, x: torch.Tensor) -> torch.Tensor:
        """module(x, table[species]) for a FullyConnectedTensorProduct with scalar attributes."""
        matrices = species_matrices(module, self.table)  # (S, dim_in, dim_out)
        num_species, dim_in, dim_out = matrices.shape
        every = x @ matrices.transpose(0, 1).reshape(dim_in, num_species * dim_out)  # each node under every species
        every = every.reshape(x.shape[0], num_species, dim_out)
        return every.gather(1, self.species.view(-1, 1, 1).expand(-1, 1, dim_out)).squeeze(1)
