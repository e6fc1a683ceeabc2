"""The time-limit indicators (``shared/spec/indicators.md`` "Time-limited work"), computed from
grid events and hazards — not reported:

- ``event_response_in_time``: grid events created in P in U, excluding withdrawn and duplicate,
  whose tier limit has passed by as_of or that were responded to by as_of; in time when
  ``responded_at − created_at ≤ tier limit`` (the limit stored with the event when it was
  created); also per tier (``…_emergency`` 5 min, ``…_urgent`` 15 min, ``…_general`` 2 h), with
  the median and 90th-percentile response time (minutes, nearest rank) of U beside it;
- ``hazard_rectified_in_time``: hazards found in P in U whose limit (general 24 h, major 48 h)
  has passed by as_of or that were rectified by as_of; in time when rectified within the limit.

Counts come from the rollups (``kpi_queries.case_counts``: child × month × tier, the raw records of
as_of's month added); periods, tiers and the monthly trend are sums of those. The median and p90 come
from one ``kpi_queries.response_quantiles`` call per unit and period. Targets, gap and status as
for every indicator (direction-aware; the status's trend runs through the phase's months)."""
from __future__ import annotations

from datetime import datetime, time

from sqlmodel import Session

from data_access.analytics import kpi_queries as q
from data_access.fieldwork.derive import month_end_time, month_of

from . import definitions as d
from .service import Kpi, _months, _phase, _settings, _target_for, months_left, resolve

EVENT_TIERS = ("emergency", "urgent", "general")
# indicator → (kind, tiers it sums; None: every tier of the kind)
CASEWORK: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "event_response_in_time": ("event", None),
    **{f"event_response_in_time_{t}": ("event", (t,)) for t in EVENT_TIERS},
    "hazard_rectified_in_time": ("hazard", None),
}
SMALL_SAMPLE = 30


def _sum(cells: dict, months, tiers) -> tuple[int, int]:
    k = n = 0
    for (m, t), (ok, due) in cells.items():
        if m in months and (tiers is None or t in tiers):
            k += ok
            n += due
    return k, n


def compute_casework(session: Session, *, unit_code: str, period: str, as_of, children: bool = True,
                     codes=None, response_times: bool = True) -> list[Kpi]:
    """One :class:`Kpi` per (unit, time-limit indicator): U first, then each direct child; with
    ``response_times`` U's event rows carry the median and p90 response."""
    unit, start, end, phase_code, as_of, kids = resolve(session, unit_code, period, as_of, children)
    inds = [c for c in CASEWORK if codes is None or c in codes]
    if not inds:
        return []
    _w, _i, at_risk, trend_n = _settings(session)
    phase = _phase(session, phase_code)
    a = month_of(as_of)
    p_months = {m for m in _months(month_of(start), month_of(end)) if m <= a}
    done: list[int] = []
    if phase is not None:
        done = [m for m in _months(month_of(phase[0]), month_of(phase[1])) if month_end_time(m) <= as_of][-trend_n:]
    span = sorted(p_months | set(done))
    kinds = sorted({CASEWORK[i][0] for i in inds})
    counts = q.cases_by_unit(q.case_counts(session, unit, span[0], span[-1], as_of, kinds) if span else {})
    p_lo = datetime.combine(start, time.min)
    p_hi = datetime.combine(end, time.max)
    quantiles = (q.response_quantiles(session, unit, p_lo, p_hi, as_of)
                 if response_times and "event" in kinds and p_months else {})
    tmap = q.targets(session, phase_code) if phase_code else {}
    meta = q.indicator_meta(session)
    x_end = d.month_index(month_of(phase[1])) if phase else None
    left = months_left(phase[1], as_of) if phase else None
    ended = bool(phase) and datetime.combine(phase[1], time.max) <= as_of

    out: list[Kpi] = []
    for u in [unit, *kids]:
        for ind in inds:
            kind, tiers = CASEWORK[ind]
            key = None if u is unit else u.id
            cells = counts.get((key, kind), {})
            k, n = _sum(cells, p_months, tiers)
            value = d.rate(k, n)
            ci = d.wilson(k, n) if n else (None, None)
            target, baseline = _target_for(tmap, ind, u)
            direction, ind_unit = meta.get(ind, (d.UP, "%"))
            g = d.gap(target, value, direction)
            points = []
            for m in done:
                km, nm = _sum(cells, {m}, tiers)
                if nm:
                    points.append((float(d.month_index(m)), d.rate(km, nm)))
            if x_end is None:
                st = d.NO_DATA if value is None else d.NO_TARGET
            else:
                st = d.status(value, target, points, x_end, at_risk, ended=ended, direction=direction, unit=ind_unit)
            median = p90 = None
            if kind == "event" and u is unit and n:
                qs = quantiles.get(tiers[0] if tiers else None, {})
                median, p90 = qs.get(0.5), qs.get(0.9)
            out.append(Kpi(
                unit_code=u.code, unit_name_zh=u.name_zh, unit_name_en=u.name_en, unit_level=u.level,
                is_self=u is unit, indicator=ind, value=value, n=n, ci_low=ci[0], ci_high=ci[1],
                target=target, baseline=baseline, gap=g, status=st, required_gain=d.required_monthly_gain(g, left),
                flags=("small_sample",) if 0 < n < SMALL_SAMPLE else (), direction=direction,
                median_min=median, p90_min=p90))
    return out
