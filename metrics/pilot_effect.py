"""Pilot effect: difference-in-differences (DiD) of pilot vs non-pilot units for one indicator.

For a proportion indicator (e.g. info_accuracy) the database supplies four count pairs
``(k, n)``: pilot units and the rest, each in a *pre* period (baseline 2023) and a *post*
period (pilot phase 2024). With ``p = k / n``::

    estimate = (p_pilot_post − p_pilot_pre) − (p_rest_post − p_rest_pre)
    se       = sqrt(Σ p(1 − p) / n)          over the four groups
    95 % CI  = estimate ± 1.96 × se

Results are in percentage points. When any group has ``n = 0`` its rate is ``None`` and the
estimate, se and interval are ``None`` ("no data"), never 0.

Assumptions (shown to users as the estimate's note):

- **Parallel trends**: without the pilot, pilot units would have changed by the same amount
  as the rest. The estimate is only as good as this assumption; compare the pre-period trend
  lines of both groups before trusting it.
- **Independent binomial samples**: the four groups are independent and each check/need/
  rating is an independent Bernoulli trial, so the variance of each rate is ``p(1 − p)/n``.
  Clustering within grids or officers makes the true interval wider than shown.
- **Normal approximation** for the interval (reasonable when every group has n·p and
  n·(1 − p) of at least about 5).
- Units are assigned to the pilot group by their current ``pilot`` flag; units that moved
  between groups during the periods are not modelled.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .definitions import Z95


@dataclass(frozen=True)
class Counts:
    """Numerator ``k`` and denominator ``n`` of a proportion for one group and period."""
    k: int
    n: int

    @property
    def p(self) -> float | None:
        return self.k / self.n if self.n > 0 else None


@dataclass(frozen=True)
class DiD:
    """Difference-in-differences result, rates and differences in percent / percentage points."""
    pilot_pre: float | None
    pilot_post: float | None
    rest_pre: float | None
    rest_post: float | None
    pilot_change: float | None
    rest_change: float | None
    estimate: float | None
    se: float | None
    low: float | None
    high: float | None

    @property
    def significant(self) -> bool | None:
        """True when the 95 % interval excludes 0; ``None`` without an interval."""
        if self.low is None or self.high is None:
            return None
        return self.low > 0 or self.high < 0


def _counts(c: Counts | tuple[int, int]) -> Counts:
    if isinstance(c, Counts):
        return c
    k, n = c
    return Counts(int(k), int(n))


def did(pilot_pre: Counts | tuple[int, int], pilot_post: Counts | tuple[int, int],
        rest_pre: Counts | tuple[int, int], rest_post: Counts | tuple[int, int], z: float = Z95) -> DiD:
    """Difference-in-differences ``(pilot_post − pilot_pre) − (rest_post − rest_pre)`` with its
    standard error ``sqrt(Σ p(1−p)/n)`` and a ``z`` (default 95 %) normal interval, in points."""
    groups = [_counts(c) for c in (pilot_pre, pilot_post, rest_pre, rest_post)]
    for c in groups:
        if c.n < 0 or c.k < 0 or c.k > c.n:
            raise ValueError(f"invalid counts k={c.k}, n={c.n}")
    ps = [c.p for c in groups]
    pct = [None if p is None else 100.0 * p for p in ps]
    pilot_change = None if ps[0] is None or ps[1] is None else 100.0 * (ps[1] - ps[0])
    rest_change = None if ps[2] is None or ps[3] is None else 100.0 * (ps[3] - ps[2])
    if any(p is None for p in ps):
        return DiD(*pct, pilot_change, rest_change, None, None, None, None)
    estimate = 100.0 * ((ps[1] - ps[0]) - (ps[3] - ps[2]))
    se = 100.0 * math.sqrt(sum(p * (1 - p) / c.n for p, c in zip(ps, groups, strict=True)))
    return DiD(*pct, pilot_change, rest_change, estimate, se, estimate - z * se, estimate + z * se)
