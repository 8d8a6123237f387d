"""Defect repair: re-noise the neighbourhoods of coordination defects in a finished structure and denoise them again.

Generated a-SiO2 keeps O twofold below Si fourfold as training goes on (benchmarks/RESULTS.md): pairs of onefold
and threefold O whose Si count is right, a bond on the wrong O. Mending one moves an O by about an angstrom, which
the sampler's small-noise tail cannot do. A repair round adds noise of scale `sigma` to the atoms within `shells`
bonds of a defect and walks them down DM2's step along a short linear schedule, every other atom held fixed; each
round looks for the defects again. Repaired regions come out quenched (QUESTS overlap with the simulations 0.06
lower); a last pass of every atom from `tail_sigma` restores it (benchmarks/RESULTS.md).
"""
import numpy as np
import torch

from ase_dm2.analysis.coordination import SI_O_CUTOFF
from ase_dm2.analysis.pairs import bonds
from ase_dm2.sampling.engine import DenoisingEngine
from ase_dm2.sampling.samplers import DM2Sampler
from ase_dm2.sampling.schedule import NoiseSchedule

SILICA = {"coordination": {"Si": 4, "O": 2}, "cutoffs": {("Si", "O"): SI_O_CUTOFF}}


def coordination_defects(atoms, coordination: dict, cutoffs: dict) -> np.ndarray:
    """Mask of the atoms whose species is in `coordination` and whose bond count (`cutoffs`) differs from it."""
    return _defects(atoms, bonds(atoms, cutoffs)[0], coordination)


def bonded_neighbourhood(atoms, centres: np.ndarray, cutoffs: dict, shells: int) -> np.ndarray:
    """Mask of `centres` and the atoms up to `shells` bonds from one."""
    return _shells(bonds(atoms, cutoffs)[:2], centres, shells)


def _defects(atoms, i: np.ndarray, coordination: dict) -> np.ndarray:
    counts = np.bincount(i, minlength=len(atoms))
    expected = np.array([coordination.get(s, -1) for s in atoms.get_chemical_symbols()])
    return (expected >= 0) & (counts != expected)


def _shells(pairs: tuple, centres: np.ndarray, shells: int) -> np.ndarray:
    i, j = pairs
    region = centres.copy()
    for _ in range(shells):
        region[j[region[i]]] = True
    return region


class MaskedDM2Sampler(DM2Sampler):
    """DM2's step moving only the atoms where `mask` (N x 1 float tensor on the engine's device) is 1."""

    def __init__(self, mask: torch.Tensor, schedule: NoiseSchedule, **options):
        super().__init__(schedule, **options)
        self.mask = mask

    def move(self, engine, displacement: torch.Tensor) -> None:
        engine.positions -= displacement * self.mask


def repair_defects(atoms, model, rounds: int = 4, calls: int = 30, sigma: float = 0.8, shells: int = 2,
                   tail_calls: int = 30, tail_sigma: float = 0.2, seed: int = 0, rate=None, coordination=None,
                   cutoffs=None) -> list:
    """Run `rounds` repair rounds of `calls` network calls each on `atoms` in place (silica's bonds unless
    `coordination` and `cutoffs` are given), then `tail_calls` DM2 steps of every atom from `tail_sigma` (0: none);
    returns the number of defects before each round run (none once there are none) and at the end. The noise
    comes from one generator seeded with `seed`: a seed gives the same repair."""
    coordination = SILICA["coordination"] if coordination is None else coordination
    cutoffs = SILICA["cutoffs"] if cutoffs is None else cutoffs
    if rounds < 0 or calls < 1 or sigma <= 0 or tail_calls < 0 or (tail_calls and tail_sigma <= 0):
        raise ValueError(f"need rounds >= 0, calls >= 1, sigma > 0, tail_calls >= 0 and tail_sigma > 0, got "
                         f"{rounds}, {calls}, {sigma}, {tail_calls} and {tail_sigma}")
    engine = DenoisingEngine([atoms], model, [seed], rates=None if rate is None else [rate])
    counts = []
    for _ in range(rounds):
        pairs = bonds(atoms, cutoffs)[:2]  # one neighbour list a round, for the defects and their shells
        defects = _defects(atoms, pairs[0], coordination)
        if not defects.any():
            break
        counts.append(int(defects.sum()))
        region = _shells(pairs, defects, shells)
        mask = torch.as_tensor(region, dtype=torch.float64, device=engine.positions.device)[:, None]
        engine.positions += sigma * engine.noise() * mask
        engine.run(MaskedDM2Sampler(mask, linear(sigma, calls)), progress=False)
        engine.write_to([atoms])
    if counts and tail_calls:
        engine.run(DM2Sampler(linear(tail_sigma, tail_calls)), progress=False)
        engine.write_to([atoms])
    return counts + [int(coordination_defects(atoms, coordination, cutoffs).sum())]


def linear(sigma: float, calls: int) -> NoiseSchedule:
    """`calls` DM2 steps from `sigma` down, the last tenth without noise."""
    return NoiseSchedule(steps=calls, sigma_max=sigma, noiseless_steps=max(1, calls // 10))
