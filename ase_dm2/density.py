"""Density of a glass as a function of its cooling rate: a linear fit on log10(rate).

DM2 picks the density of a generated structure from its cooling rate with a
scikit-learn LinearRegression fitted to the training structures. Unconditional
models keep the mean training density instead. The training range of rates, widened by
EXTRAPOLATION_DECADES on each side, is also the range of rates a model generates at without being told to
extrapolate further.
"""
import warnings

import numpy as np
from ase.units import _amu

from sklearn.linear_model import LinearRegression

G_PER_CM3 = _amu * 1e3 / 1e-24  # amu/Å^3 -> g/cm^3
EXTRAPOLATION_DECADES = 1.0


def density_of(atoms) -> float:
    """Mass density of a periodic structure in g/cm^3."""
    volume = atoms.get_volume()
    if not volume > 0:
        raise ValueError("the structure has a zero-volume cell; a density needs a periodic cell")
    return float(atoms.get_masses().sum() / volume * G_PER_CM3)


class DensityModel:
    """density (g/cm^3) = intercept + slope * log10(rate in K/ps), or a constant."""

    def __init__(self, regression=None, log_rate_range=None, mean_density=None):
        self.regression = regression
        self.log_rate_range = None if log_rate_range is None else tuple(float(v) for v in log_rate_range)
        self.mean_density = None if mean_density is None else float(mean_density)

    @classmethod
    def fit(cls, rates, densities) -> "DensityModel":
        densities = np.asarray(densities, dtype=float)
        if rates is None:
            return cls(mean_density=densities.mean())
        log_rates = np.log10(np.asarray(rates, dtype=float))
        if np.unique(log_rates).size < 2:
            raise ValueError("fitting density against cooling rate needs structures at two or more rates")
        regression = LinearRegression().fit(log_rates[:, None], densities)
        return cls(regression, (log_rates.min(), log_rates.max()), densities.mean())

    @property
    def conditional(self) -> bool:
        return self.regression is not None

    def check_rate(self, rate: float, extrapolate: bool = False) -> None:
        """Refuse a rate more than EXTRAPOLATION_DECADES beyond the training range, unless `extrapolate`."""
        if not rate > 0:
            raise ValueError(f"cooling rate must be positive (K/ps), got {rate}")
        if not self.conditional or extrapolate:
            return
        low, high = self.log_rate_range
        if not low - EXTRAPOLATION_DECADES - 1e-9 <= np.log10(rate) <= high + EXTRAPOLATION_DECADES + 1e-9:
            raise ValueError(
                f"cooling rate {rate:g} K/ps lies beyond the model's range {10**(low - EXTRAPOLATION_DECADES):g}-"
                f"{10**(high + EXTRAPOLATION_DECADES):g} K/ps (trained on {10**low:g}-{10**high:g} K/ps, "
                f"extrapolated a decade each side); to extrapolate further, pass extrapolate=True (--extrapolate)")

    def predict(self, rate=None) -> float:
        """Density (g/cm^3) at a cooling rate (K/ps); the mean density for unconditional models."""
        if not self.conditional or rate is None:
            if self.mean_density is None:
                raise ValueError("this density model needs a cooling rate")
            return self.mean_density
        self.check_rate(rate, extrapolate=True)  # positive; the range is only warned about here
        log_rate = np.log10(rate)
        low, high = self.log_rate_range
        if not low - 1e-9 <= log_rate <= high + 1e-9:
            warnings.warn(
                f"cooling rate {rate:g} K/ps lies outside the training range "
                f"{10**low:g}-{10**high:g} K/ps; the density is extrapolated",
                stacklevel=2,
            )
        return float(self.regression.predict([[log_rate]])[0])

    def to_dict(self) -> dict:
        d = {"mean_density": self.mean_density}
        if self.conditional:
            d.update(
                slope=float(self.regression.coef_[0]),
                intercept=float(self.regression.intercept_),
                log_rate_range=list(self.log_rate_range),
            )
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DensityModel":
        regression = None
        if "slope" in d:
            regression = LinearRegression()
            regression.coef_ = np.array([d["slope"]], dtype=float)
            regression.intercept_ = float(d["intercept"])
            regression.n_features_in_ = 1
        return cls(regression, d.get("log_rate_range"), d.get("mean_density"))

    def __repr__(self):
        if self.conditional:
            return (f"DensityModel(density = {self.regression.intercept_:.4f} + "
                    f"{self.regression.coef_[0]:.4f} * log10(rate))")
        return f"DensityModel(density = {self.mean_density:.4f})"
