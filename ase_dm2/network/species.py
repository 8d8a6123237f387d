"""Maps of (node features, species attributes) applied as one matrix per species.

NequIP-style layers mix node features with a species embedding through e3nn's
FullyConnectedTensorProduct, which is linear in the features for a fixed
attribute. With a handful of species, the matrix of each species is read off
the module (applied to an identity basis) and every node is multiplied by its
species' matrix: the same function to float round-off. Reading the matrices
costs as much as applying the module to (species x features) nodes, so
without gradients they are kept in a cache the model owns (one dict per
model, entries renewed when a weight changes: generation reads them once),
and with gradients they are used only where nodes outnumber that.
"""
from typing import Optional

import torch


def _versions(module, table) -> tuple:
    """Changes whenever the module's weights or the attribute table change (in-place updates included)."""
    return (table.data_ptr(), table._version, table.device, table.dtype,
            *((p.data_ptr(), p._version) for p in module.parameters()))


class SpeciesAttributes:
    """Species indices (N,) with the attribute table (num_species, dim) they index.

    `cache` (optional): a dict owned by the model, module -> (weight versions, matrices), used without gradients.
    """

    def __init__(self, table: torch.Tensor, species: torch.Tensor, cache: Optional[dict] = None):
        self.table, self.species, self.cache = table, species, cache

    def tensor(self) -> torch.Tensor:
        """The per-node attributes, (N, dim)."""
        return self.table[self.species]

    def _matrices(self, module, dim_in: int, x: torch.Tensor) -> torch.Tensor:
        """(dim_in, num_species * dim_out): every species' matrix side by side."""
        num_species = self.table.shape[0]
        basis = torch.eye(dim_in, dtype=x.dtype, device=x.device).repeat(num_species, 1)
        matrices = module(basis, self.table.repeat_interleave(dim_in, dim=0))  # (S * dim_in, dim_out)
        return matrices.reshape(num_species, dim_in, -1).transpose(0, 1).reshape(dim_in, -1)

    def apply(self, module, x: torch.Tensor) -> torch.Tensor:
        """module(x, attributes) for a module linear in x."""
        num_species, dim_in = self.table.shape[0], x.shape[1]
        if torch.is_grad_enabled() or self.cache is None:
            if x.shape[0] <= num_species * dim_in:
                return module(x, self.tensor())
            matrices = self._matrices(module, dim_in, x)
        else:
            key = _versions(module, self.table)
            cached = self.cache.get(module)
            if cached is None or cached[0] != key:
                cached = self.cache[module] = (key, self._matrices(module, dim_in, x))
            matrices = cached[1]
        every = (x @ matrices).reshape(x.shape[0], num_species, -1)  # each node under every species' matrix
        return every.gather(1, self.species.view(-1, 1, 1).expand(-1, 1, every.shape[2])).squeeze(1)
