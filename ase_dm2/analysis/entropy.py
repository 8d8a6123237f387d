"""Information entropy of atomic environments with QUESTS (Schwalbe-Koda et al.).

Element-agnostic descriptors of each atom's k = 32 nearest neighbours within
5 Å; Gaussian kernel of bandwidth 0.015 1/Å; natural logarithm.
H(X): entropy of a structure's environments. dH(Y_i | X): differential
entropy of each environment of Y against the reference set X; an environment
with dH <= 0 is already represented in X. overlap(Y | X) is the fraction of
Y's environments with dH <= 0.
"""
import contextlib
import warnings

import numpy as np
from numba.core.errors import NumbaTypeSafetyWarning
from quests.descriptor import get_descriptors
from quests.entropy import delta_entropy, entropy
from threadpoolctl import threadpool_limits

from ase_dm2.analysis.region import region_mask
from ase_dm2.runtime import torch_threads_kept

K_NEIGHBORS = 32
CUTOFF = 5.0
BANDWIDTH = 0.015


@contextlib.contextmanager
def quests_quietly():
    """QUESTS' numba kernels without side effects: torch's thread count kept, BLAS on one thread inside numba's
    OpenMP loops (else OpenBLAS warns of a possible hang), numba's integer-cast warnings and log(0) (an
    environment unlike any in the reference: dH = inf) not shown, as nothing a user can act on."""
    with torch_threads_kept(), threadpool_limits(1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", NumbaTypeSafetyWarning)
        warnings.filterwarnings("ignore", "divide by zero encountered in log", RuntimeWarning)  # dH = inf: novel
        yield


def descriptors(structures, k: int = K_NEIGHBORS, cutoff: float = CUTOFF) -> np.ndarray:
    """QUESTS descriptors of the given structures' atoms, stacked: of the marked atoms only where a structure marks
    some (analysis.region), their environments taken in the whole structure."""
    out = []
    with quests_quietly():
        for atoms in structures:
            x = get_descriptors([atoms], k=k, cutoff=cutoff)
            mask = region_mask(atoms)
            out.append(x if mask is None else x[mask])
    return np.concatenate(out)


def environment_entropy(x: np.ndarray, bandwidth: float = BANDWIDTH) -> float:
    """H (nats) of a set of environments given as descriptors."""
    with quests_quietly():
        return float(entropy(x, h=bandwidth))


def differences(y: np.ndarray, x: np.ndarray, bandwidth: float = BANDWIDTH) -> np.ndarray:
    """dH(y_i | x) (nats) of each environment y_i against the set x (descriptors)."""
    with quests_quietly():
        return delta_entropy(y, x, h=bandwidth)


def overlap_fraction(y: np.ndarray, x: np.ndarray, bandwidth: float = BANDWIDTH) -> float:
    """Fraction of environments y (descriptors) with dH(y_i | x) <= 0."""
    return float(np.mean(differences(y, x, bandwidth) <= 0))


def structure_entropy(atoms, bandwidth: float = BANDWIDTH) -> float:
    """H (nats) of one structure's atomic environments."""
    return environment_entropy(descriptors([atoms]), bandwidth)


def differential_entropy(structure, reference, bandwidth: float = BANDWIDTH) -> np.ndarray:
    """dH(Y_i | X) for each atom of `structure` against the environments of the `reference` structures."""
    return differences(descriptors([structure]), descriptors(reference), bandwidth)


def overlap(structure, reference, bandwidth: float = BANDWIDTH) -> float:
    """Fraction of `structure`'s environments with dH <= 0 against `reference`."""
    return overlap_fraction(descriptors([structure]), descriptors(reference), bandwidth)
