"""Distances between distributions used to compare generated with simulated structures."""
import numpy as np
from scipy.spatial.distance import jensenshannon


def r_factor(g: np.ndarray, reference: np.ndarray) -> float:
    """Wright's R-factor sqrt(sum (g - g_ref)^2 / sum g_ref^2) between two PDFs on the same grid."""
    g, reference = np.asarray(g), np.asarray(reference)
    return float(np.sqrt(np.sum((g - reference) ** 2) / np.sum(reference**2)))


def l1_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Sum |p - q| of two normalised distributions (0 equal, 2 disjoint)."""
    return float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def js_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2; 0 equal, 1 disjoint)."""
    return float(jensenshannon(p, q, base=2))
