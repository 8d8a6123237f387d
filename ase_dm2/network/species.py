"""Maps of (node features, species attributes) applied as one matrix per species.

NequIP-style layers mix node features with a species embedding through e3nn's
FullyConnectedTensorProduct, which is linear in the features for a fixed
attribute. With a handful of species, the matrix of each species is read off
once per call (the module applied to an identity basis) and every node is
multiplied by its species' matrix: the same function to float round-off, with
one matrix product instead of a tensor product per node, and no host sync.
"""
import torch


class SpeciesAttributes:
    """Species indices (N,) with the attribute table (num_species, dim) they index."""

    def __init__(self, table: torch.Tensor, species: torch.Tensor):
        self.table, self.species = table, species

    def tensor(self) -> torch.Tensor:
        """The per-node attributes, (N, dim)."""
        return self.table[self.species]

    def apply(self, module, x: torch.Tensor) -> torch.Tensor:
        """module(x, attributes) for a module linear in x."""
        num_species, dim_in = self.table.shape[0], x.shape[1]
        basis = torch.eye(dim_in, dtype=x.dtype, device=x.device).repeat(num_species, 1)
        matrices = module(basis, self.table.repeat_interleave(dim_in, dim=0))  # (S * dim_in, dim_out)
        dim_out = matrices.shape[1]
        matrices = matrices.reshape(num_species, dim_in, dim_out).transpose(0, 1).reshape(dim_in, -1)
        every = (x @ matrices).reshape(-1, num_species, dim_out)  # each node under every species' matrix
        return every.gather(1, self.species.view(-1, 1, 1).expand(-1, 1, dim_out)).squeeze(1)
