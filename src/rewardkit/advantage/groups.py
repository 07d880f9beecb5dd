"""Vectorised statistics over GRPO groups, with NaN ("does not apply") left out of every statistic.

>>> g = Groups.from_ids(["a", "a", "b", "b"])
>>> g.mean(np.array([1.0, 0.0, 2.0, np.nan])).tolist()
[0.5, 0.5, 2.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Groups:
    """The group index of every sample (``codes``) and the number of groups."""

    codes: np.ndarray
    count: int

    @classmethod
    def from_ids(cls, ids: Sequence[str]) -> Groups:
        # Codes follow first appearance so group order is the batch order (stable, seed-free).
        index: dict[str, int] = {}
        codes = np.fromiter(
            (index.setdefault(g, len(index)) for g in ids), dtype=np.int64, count=len(ids)
        )
        return cls(codes=codes, count=len(index))

    def sizes(self, x: np.ndarray) -> np.ndarray:
        """Per sample: how many values of its group apply (are not NaN)."""
        ok = ~np.isnan(x)
        return np.bincount(self.codes, weights=ok, minlength=self.count)[self.codes]

    def _sums(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok = ~np.isnan(x)
        n = np.bincount(self.codes, weights=ok, minlength=self.count)
        s = np.bincount(self.codes, weights=np.where(ok, x, 0.0), minlength=self.count)
        return n, s

    def group_mean(self, x: np.ndarray) -> np.ndarray:
        """One mean per group (NaN for a group where nothing applies)."""
        n, s = self._sums(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / n

    def mean(self, x: np.ndarray) -> np.ndarray:
        """Per sample: the mean of its group."""
        return self.group_mean(x)[self.codes]

    def group_std(self, x: np.ndarray, ddof: int = 1) -> np.ndarray:
        """One standard deviation per group (NaN when fewer than ddof + 1 values apply)."""
        n, s = self._sums(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = s / n
            dev = np.where(np.isnan(x), 0.0, x - mu[self.codes]) ** 2
            ss = np.bincount(self.codes, weights=dev, minlength=self.count)
            var = np.where(n > ddof, ss / (n - ddof), np.nan)
        return np.sqrt(np.maximum(var, 0.0))

    def std(self, x: np.ndarray, ddof: int = 1) -> np.ndarray:
        """Per sample: the standard deviation of its group."""
        return self.group_std(x, ddof)[self.codes]

    def zero_variance(self, x: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        """Per group: True when at least two values apply and all are equal (no learning signal).

        Groups with fewer than two applicable values are neither (their entry is False and they
        are left out of ``zero_variance_fraction``).
        """
        n, _ = self._sums(x)
        lo = np.full(self.count, np.inf)
        hi = np.full(self.count, -np.inf)
        ok = ~np.isnan(x)
        np.minimum.at(lo, self.codes[ok], x[ok])
        np.maximum.at(hi, self.codes[ok], x[ok])
        return (n >= 2) & (hi - lo <= tol)

    def zero_variance_fraction(self, x: np.ndarray) -> float:
        """Fraction of groups (with >= 2 applicable values) whose values are all equal; NaN if none."""
        n, _ = self._sums(x)
        eligible = n >= 2
        if not eligible.any():
            return float("nan")
        return float(self.zero_variance(x)[eligible].mean())
