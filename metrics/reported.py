"""Phase values of the *reported* indicators (``shared/spec/indicators.md`` "Reported indicators").

For an org unit U, a period P (a phase or 'YYYY-MM') and ``as_of``:

- the value is the one for the latest period of the indicator's type (month / quarter / year)
  whose last day lies in P and has passed at as_of; values entered after as_of and returned
  values do not count;
- a unit above the entry level aggregates the entry units under it for that period: ``sum``
  (counts), ``mean`` (unweighted mean of the units that reported) or ``none`` (no value above
  the entry level); ``k`` units reported of the ``m`` expected ("k of m units");
- completeness = reports entered / (m × periods of P ended by as_of); timeliness = reports
  entered within ``report_timely_days`` of their period end / the same; both in percent;
- target: the unit's own, the nearest ancestor's or the city default; a pilot-only target
  applies to units of pilot districts only; gap and status as for every indicator (direction
  aware; the trend runs through the phase's period values).

The counts are aggregated in the database (``data_access.programme.reporting``); the arithmetic
is here.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time
from functools import partial

from sqlalchemy.engine import Engine
from sqlmodel import Session

from data_access.analytics import kpi_queries as q
from data_access.programme import reporting as rp

from . import definitions as d
from .service import Kpi, _phase, _settings, _target_for, months_left, resolve


def _value(agg: str, k: int, total: float) -> float | None:
    if k == 0:
        return None
    return round(total if agg == "sum" else total / k, 4)


def compute_reported(session: Session, *, unit_code: str, period: str, as_of, children: bool = True,
                     codes=None) -> list[Kpi]:
    """One :class:`Kpi` (kind "reported") per (unit, reported indicator) for U first, then each child."""
    unit, start, end, phase_code, as_of, kids = resolve(session, unit_code, period, as_of, children)
    inds = [i for i in rp.reported_indicators(session=session) if codes is None or i.code in codes]
    if not inds:
        return []
    settings = rp.report_settings(session=session)
    ended = rp.ended_by(as_of)
    _w, _i, at_risk, _t = _settings(session)
    phase = _phase(session, phase_code)
    types = {i.period_type for i in inds}
    in_p = {t: rp.periods_ending(start, end, t, ended) for t in types}
    trend = {t: rp.periods_ending(phase[0], phase[1], t, ended) if phase else [] for t in types}
    periods = sorted({p for ps in (*in_p.values(), *trend.values()) for p in ps})
    child_level = kids[0].level if kids else None
    root = rp.org_unit(session=session, unit_id=unit.id)
    aggs = rp.unit_aggregates(session=session, root=root, child_level=child_level, codes=[i.code for i in inds],
                              periods=periods, as_of=as_of, timely_days=settings.timely_days)
    expected = rp.entry_unit_counts(session=session, root=root, child_level=child_level)
    tmap = q.targets(session, phase_code) if phase_code else {}
    pilot_targets = rp.pilot_only_targets(session=session, phase_code=phase_code) if phase_code else set()
    pilots = rp.pilot_unit_ids(session=session, ids=[unit.id] + [c.id for c in kids])
    x_end = d.month_index(phase[1].year * 100 + phase[1].month) if phase else None
    left = months_left(phase[1], as_of) if phase else None
    phase_ended = bool(phase) and datetime.combine(phase[1], time.max) <= as_of

    out: list[Kpi] = []
    for key, u in [(None, unit)] + [(c.id, c) for c in kids]:
        for ind in inds:
            level = ind.entry_level or "district"
            above = u.level != level
            m = expected.get((level, bool(ind.pilot_only), key), 0)
            if ind.aggregation == "none" and above:
                m = 0
            ps = in_p[ind.period_type]
            latest = ps[-1] if ps else None
            k, total, _ = aggs.get((ind.code, latest, key), (0, 0.0, 0)) if latest and m else (0, 0.0, 0)
            value = _value(ind.aggregation, k, total)
            entered = sum(aggs.get((ind.code, p, key), (0, 0.0, 0))[0] for p in ps) if m else 0
            timely = sum(aggs.get((ind.code, p, key), (0, 0.0, 0))[2] for p in ps) if m else 0
            exp = m * len(ps)
            target, baseline = _target_for(tmap, ind.code, u)
            if (ind.code, phase_code) in pilot_targets and u.id not in pilots:
                target = None
            points = []
            for p in trend[ind.period_type] if m else []:
                kp, tp, _ = aggs.get((ind.code, p, key), (0, 0.0, 0))
                vp = _value(ind.aggregation, kp, tp)
                if vp is not None:
                    p_end = rp.period_bounds(p)[1]
                    points.append((float(d.month_index(p_end.year * 100 + p_end.month)), vp))
            g = d.gap(target, value, ind.direction)
            if x_end is None:
                st = d.NO_DATA if value is None else d.NO_TARGET
            else:
                st = d.status(value, target, points, x_end, at_risk, ended=phase_ended, direction=ind.direction,
                              unit=ind.unit)
            out.append(Kpi(
                unit_code=u.code, unit_name_zh=u.name_zh, unit_name_en=u.name_en, unit_level=u.level,
                is_self=key is None, indicator=ind.code, value=value, n=k, ci_low=None, ci_high=None,
                target=target, baseline=baseline, gap=g, status=st, required_gain=d.required_monthly_gain(g, left),
                flags=(), direction=ind.direction, kind="reported", period=latest, k=k, m=m,
                completeness=None if not exp else round(100.0 * entered / exp, 1),
                timeliness=None if not exp else round(100.0 * timely / exp, 1)))
    return out


# dashboards computing with ``parallel`` at once in this process: each takes up to three more
# pooled connections, so a few of them stay well inside the pool (DB_POOL_SIZE + DB_MAX_OVERFLOW)
# and a caller holding a connection never waits on workers that cannot get one; the rest run the
# blocks one after the other as before
_FANOUT = threading.BoundedSemaphore(2)


def _in_own_session(engine: Engine, block):
    with Session(engine) as s:
        return block(s)


def compute_all(session: Session, *, unit_code: str, period: str, as_of, children: bool = True,
                response_times: bool = False, parallel: bool = False) -> list[Kpi]:
    """Every registry indicator: the computed ones (``service.compute_kpis``, the time limits of
    ``casework.compute_casework``, ``staffing.compute_staffing``) then the reported ones.

    ``response_times``: the unit's median and p90 event response (``kpis --json``; no dashboard
    shows them beside the indicators, and they cost a scan of the phase's answered events).
    ``parallel`` (the dashboards' read-only loaders): on PostgreSQL the four blocks run at once,
    three of them in sessions of their own on the same engine — so each reads the committed data
    of its own moment, a few milliseconds apart; never pass it with uncommitted writes in
    ``session``."""
    from .casework import compute_casework
    from .service import compute_kpis
    from .staffing import compute_staffing

    kw = dict(unit_code=unit_code, period=period, as_of=as_of, children=children)
    blocks = [partial(compute_kpis, **kw), partial(compute_casework, **kw, response_times=response_times),
              partial(compute_staffing, **kw), partial(compute_reported, **kw)]
    bind = session.get_bind()
    with q.shared_reads():  # the four blocks read phases, targets, settings … once between them
        if parallel and isinstance(bind, Engine) and bind.dialect.name == "postgresql" and _FANOUT.acquire(
                blocking=False):
            try:
                with ThreadPoolExecutor(max_workers=len(blocks) - 1, thread_name_prefix="kpi") as pool:
                    rest = [pool.submit(q.in_block(_in_own_session), bind, b) for b in blocks[1:]]
                    first = blocks[0](session)
                    return first + [k for f in rest for k in f.result()]
            finally:
                _FANOUT.release()
        return [k for b in blocks for k in b(session)]


def reported_series(session: Session, *, unit_code: str, indicator: str, start, end, as_of
                    ) -> list[tuple[int, float | None, int]]:
    """``[(YYYYMM, value, k)]`` of a reported indicator for ``unit_code``: one point per period of
    its type whose last day lies in [start, end] and has passed at as_of (YYYYMM = the period's
    last month), valued as ``compute_reported`` values a phase's latest period (the entry units
    under the unit aggregated; ``k`` of them reported). Empty where the unit neither enters nor
    aggregates the indicator (below the entry level, or ``none`` above it). The overview's trend."""
    from .service import UnknownUnit, to_as_of

    ind = next((i for i in rp.reported_indicators(session=session) if i.code == indicator), None)
    if ind is None:
        raise ValueError(f"not a reported indicator: {indicator!r}")
    unit = q.get_unit(session, unit_code)
    if unit is None:
        raise UnknownUnit(f"unknown org unit {unit_code!r}")
    as_of = to_as_of(as_of)
    level = ind.entry_level or "district"
    root = rp.org_unit(session=session, unit_id=unit.id)
    m = rp.entry_unit_counts(session=session, root=root, child_level=None).get((level, bool(ind.pilot_only), None), 0)
    if not m or (ind.aggregation == "none" and unit.level != level):
        return []
    periods = rp.periods_ending(start, end, ind.period_type, rp.ended_by(as_of))
    aggs = rp.unit_aggregates(session=session, root=root, child_level=None, codes=[indicator], periods=periods,
                              as_of=as_of, timely_days=rp.report_settings(session=session).timely_days)
    out = []
    for p in periods:
        k, total, _ = aggs.get((indicator, p, None), (0, 0.0, 0))
        p_end = rp.period_bounds(p)[1]
        out.append((p_end.year * 100 + p_end.month, _value(ind.aggregation, k, total), k))
    return out
