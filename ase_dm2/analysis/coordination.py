"""Coordination numbers with per-pair cutoffs, and silica's defect fractions."""
import numpy as np

from ase_dm2.analysis.pairs import bonds

SI_O_CUTOFF = 2.0  # Å, DM2's Si-O bond cutoff (Yang & Schwalbe-Koda 2025)


def _check_species(symbols, *wanted) -> None:
    missing = [s for s in wanted if s not in symbols]
    if missing:
        raise ValueError(f"the structure has no {', '.join(missing)} atoms (it has {', '.join(sorted(set(symbols)))})")


def coordination_numbers(atoms, center: str, neighbor: str, cutoff: float) -> np.ndarray:
    """Number of `neighbor` atoms within `cutoff` of each `center` atom (periodic or finite)."""
    symbols = np.array(atoms.get_chemical_symbols())
    _check_species(symbols, center, neighbor)
    i, j, _ = bonds(atoms, {(center, neighbor): cutoff})
    counts = np.bincount(i[symbols[j] == neighbor], minlength=len(atoms))
    return counts[symbols == center]


def coordination_fractions(atoms, center: str, neighbor: str, cutoff: float) -> dict:
    """{coordination: fraction of `center` atoms} for `neighbor` atoms within `cutoff`."""
    values, counts = np.unique(coordination_numbers(atoms, center, neighbor, cutoff), return_counts=True)
    return {int(v): float(c) / counts.sum() for v, c in zip(values, counts)}


def silica_defects(atoms, cutoff: float = SI_O_CUTOFF) -> dict:
    """Fractions of fourfold Si and twofold O (Si-O bonds shorter than `cutoff`), and the defects: onefold
    (non-bridging) and threefold (overcoordinated) O counted apart, as the two fail the network differently."""
    symbols = np.array(atoms.get_chemical_symbols())
    _check_species(symbols, "Si", "O")
    bonded = np.bincount(bonds(atoms, {("Si", "O"): cutoff})[0], minlength=len(atoms))  # Si-O bonds only
    si, o = bonded[symbols == "Si"], bonded[symbols == "O"]
    return {
        "si_fourfold": float(np.mean(si == 4)),
        "o_twofold": float(np.mean(o == 2)),
        "si_defects": float(np.mean(si != 4)),
        "o_defects": float(np.mean(o != 2)),
        "non_bridging_oxygens": int(np.sum(o == 1)),
        "overcoordinated_oxygens": int(np.sum(o >= 3)),
    }
