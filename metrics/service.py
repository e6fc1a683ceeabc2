"""KPI service: the one API the app and the CLI use to get indicator values.

``compute_kpis`` returns, for an org unit U and a period P at an ``as_of`` time, every indicator
of ``shared/spec/indicators.md`` plus the assessment score, for U itself and each direct child.
Counts come from ``data_access.analytics.kpi_queries`` (aggregated in the database: rollups for whole
months before as_of's month, raw records for the rest); the arithmetic is in
``metrics.definitions``.

Conventions (indicators.md, with the choices the spec leaves open):
- A date-only ``as_of`` means the end of that day. Events after as_of do not exist; a period
  that has not begun at as_of has no data for any indicator.
- P is a whole number of months: a phase (from the ``phase`` table) or one month 'YYYY-MM'.
- Targets: the unit's own target for (indicator, phase), else the nearest ancestor's, else the
  city default (``org_unit_id`` NULL). For a month period, the phase containing that month.
- Stock and point-in-time measures (visit_coverage's denominator, special_visit_compliance) are
  taken at the *reference time* ``min(end of P, as_of)``: a finished period is judged at its end.
- Status uses the unit's monthly values (each month of the phase that has ended by as_of, each
  computed as the indicator for that month at as_of; months without data skipped), the last
  ``trend_months`` (app_setting, default 6) of them.
- ``months left`` for the required monthly gain counts the months after as_of's month up to
  the phase end, plus as_of's month when it is not over.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from sqlmodel import Session

from data_access.analytics import kpi_queries as q
from data_access.fieldwork.derive import month_end_time, month_of, week_of

from . import definitions as d

# Every indicator of indicators.md, in display order, then the assessment score.
INDICATORS = (
    "info_accuracy",
    "rental_accuracy",
    "need_resolution",
    "need_response_48h",
    "satisfaction",
    "visit_coverage",
    "special_visit_compliance",
    "process_compliance",
    "night_visit_compliance",
    "officer_weekly_visits",
    "security_incident_in_time",
    "sa_cc_highrisk_weekly_visit",
    "assessment_score",
)

# indicator → (numerator metric, denominator metric) of the count rollups
RATIOS = {
    "info_accuracy": ("checks_ok", "checks"),
    "rental_accuracy": ("rental_checks_ok", "rental_checks"),
    "need_resolution": ("needs_resolved", "needs"),
    "need_response_48h": ("needs_sla_ok", "needs_sla_due"),
    "satisfaction": ("ratings_pos", "ratings"),
    "process_compliance": ("visits_ok", "visits"),
    "night_visit_compliance": ("night_ok", "night"),
}
PROPORTIONS = (*RATIOS, "visit_coverage", "special_visit_compliance", "security_incident_in_time",
               "sa_cc_highrisk_weekly_visit")
SMALL_SAMPLE = 30
DEFAULT_INTERVALS = {"red": 7, "yellow": 30, "blue": 30}
SELF = "self"


class UnknownUnit(LookupError):
    """No org unit with that code."""


class UnknownPeriod(ValueError):
    """Not a phase code nor a YYYY-MM month."""


@dataclass(frozen=True)
class Kpi:
    unit_code: str
    unit_name_zh: str
    unit_name_en: str | None
    unit_level: str
    is_self: bool
    indicator: str
    value: float | None  # percent (points for satisfaction and the score; households for officer_weekly_visits)
    n: int  # sample size (denominator; officer-weeks for officer_weekly_visits)
    ci_low: float | None
    ci_high: float | None
    target: float | None
    baseline: float | None
    gap: float | None
    status: str
    required_gain: float | None
    flags: tuple[str, ...]
    direction: str = "up"  # "down": lower is better (the gap is actual − target)
    # reported indicators (metrics.reported): the period shown, k of m units, completeness/timeliness %
    kind: str = "computed"
    period: str | None = None
    k: int | None = None
    m: int | None = None
    completeness: float | None = None
    timeliness: float | None = None
    # time-limit indicators (metrics.casework): the unit's median and 90th-percentile response, minutes
    median_min: float | None = None
    p90_min: float | None = None


# --- periods and times -----------------------------------------------------------------------

def to_as_of(as_of: date | datetime) -> datetime:
    """A date-only as_of means the end of that day."""
    if isinstance(as_of, datetime):
        return as_of.replace(tzinfo=None)
    return datetime.combine(as_of, time.max)


def period_bounds(session: Session, period: str) -> tuple[date, date, str | None]:
    """``(start, end, phase_code)`` of 'pilot' | 'rollout' | 'deepening' (phase table) or 'YYYY-MM'."""
    phases = q.phases(session)
    for code, start, end in phases:
        if code == period:
            return start, end, code
    try:
        y, m = period.split("-")
        if len(y) != 4 or len(m) != 2:
            raise ValueError
        mm = int(y) * 100 + int(m)
        start, end = q.month_start(mm), q.month_end(mm)
    except ValueError:
        names = ", ".join(c for c, _, _ in phases)
        raise UnknownPeriod(f"unknown period {period!r}: use a phase ({names}) or YYYY-MM") from None
    phase = next((c for c, s, e in phases if s <= start <= e), None)
    return start, end, phase


def _phase(session: Session, code: str | None) -> tuple[date, date] | None:
    for c, s, e in q.phases(session):
        if c == code:
            return s, e
    return None


def _months(m0: int, m1: int) -> list[int]:
    out, m = [], m0
    while m <= m1:
        out.append(m)
        m = m + 1 if m % 100 != 12 else (m // 100 + 1) * 100 + 1
    return out


def months_left(phase_end: date, as_of: datetime) -> int:
    """Months after as_of's month up to the phase end, plus as_of's month if it is not over."""
    a, e = month_of(as_of), month_of(phase_end)
    n = d.month_index(e) - d.month_index(a)
    if as_of < month_end_time(a):
        n += 1
    return max(n, 0)


def _complete_weeks(start: date, end: date, as_of: datetime) -> tuple[int, int] | None:
    """ISO weeks (yyyyww) lying completely inside [start, end] whose Sunday has ended by as_of."""
    first = start + timedelta(days=(7 - start.weekday()) % 7)  # first Monday on/after start
    last = end - timedelta(days=(end.weekday() + 1) % 7)  # last Sunday on/before end
    if datetime.combine(last, time.max) > as_of:
        last = as_of.date() - timedelta(days=(as_of.date().weekday() + 1) % 7)
        if datetime.combine(last, time.max) > as_of:  # as_of is a Sunday before its end
            last -= timedelta(days=7)
    if last < first + timedelta(days=6):
        return None
    return week_of(first), week_of(last)


# --- counting --------------------------------------------------------------------------------

class _Acc:
    """Counts per key (SELF or a child id) and metric."""

    def __init__(self, child_ids: set[int], unit_is_grid: bool):
        self.child_ids = child_ids
        self.unit_is_grid = unit_is_grid
        self.c: dict = defaultdict(lambda: defaultdict(float))

    def add(self, key, metric: str, n: float) -> None:
        self.c[SELF][metric] += n
        if key is not None and key in self.child_ids and not self.unit_is_grid:
            self.c[key][metric] += n

    def get(self, key, metric: str) -> float:
        return self.c[key][metric] if key in self.c else 0.0


def _values(acc: _Acc, key, coverage_metric: str) -> dict[str, tuple[float | None, int, int | None]]:
    """indicator → (value, n, k) from accumulated counts (k = numerator for proportions)."""
    out: dict[str, tuple[float | None, int, int | None]] = {}
    for ind, (num, den) in RATIOS.items():
        k, n = int(acc.get(key, num)), int(acc.get(key, den))
        out[ind] = (d.rate(k, n), n, k)
    k, n = int(acc.get(key, coverage_metric)), int(acc.get(key, "households"))
    out["visit_coverage"] = (d.rate(k, n), n, k)
    k, n = int(acc.get(key, "special_ok")), int(acc.get(key, "special"))
    out["special_visit_compliance"] = (d.rate(k, n), n, k)
    k, n = int(acc.get(key, "incidents_ok")), int(acc.get(key, "incidents"))
    out["security_incident_in_time"] = (d.rate(k, n), n, k)
    k, n = int(acc.get(key, "highrisk_ok")), int(acc.get(key, "highrisk"))
    out["sa_cc_highrisk_weekly_visit"] = (d.rate(k, n), n, k)
    hh, ow = acc.get(key, "ow_households"), int(acc.get(key, "ow_count"))
    out["officer_weekly_visits"] = (hh / ow if ow else None, ow, None)
    return out


def _rate_metrics(want: set[str], start: date, end: date, by_month: bool) -> set[str]:
    """The count metrics (``kpi_queries.RATE_METRICS``) the indicators ``want`` need for P."""
    metrics = {mt for ind in want if ind in RATIOS for mt in RATIOS[ind]}
    if "visit_coverage" in want:
        cov = _coverage_metric(start, end, by_month)
        if cov != "hh_visited":
            metrics.add(cov)
    return metrics


def _collect(session: Session, unit: q.Unit, kids: list[q.Unit], start: date, end: date, as_of: datetime,
             intervals: dict, by_month: bool, need: set[str] | None = None,
             rates: list | None = None, weeks: list | None = None, stock: dict | None = None,
             special: dict | None = None) -> dict:
    """``{month or None: _Acc}`` with every count the indicators need for P = [start, end].

    ``by_month``: one accumulator per month of P, each as if P were that month (stock and
    point-in-time counts at that month's reference time); else one for the whole P (key None).
    ``rates``: rows of ``kpi_queries.rate_counts`` already fetched for a range and metrics that
    cover P's (rows outside P or of other metrics are skipped); else they are fetched here.
    ``weeks``: the same for ``kpi_queries.officer_weeks``; ``stock`` ``{ref month: counts}`` of
    ``household_stock`` and ``special`` ``{ref time: counts}`` of ``special_compliance_at``
    fetched already (references not in them are fetched here).
    """
    child_ids = {c.id for c in kids}
    grid = unit.level == "grid"
    m0, m1, a = month_of(start), month_of(end), month_of(as_of)
    months = [m for m in _months(m0, m1) if m <= a]
    accs: dict = {}
    if by_month:
        for m in months:
            accs[m] = _Acc(child_ids, grid)
    else:
        accs[None] = _Acc(child_ids, grid)
    if not months:
        return accs

    def acc_for(m):
        return accs[m] if by_month else accs[None]

    want = need if need is not None else set(INDICATORS)
    metrics = _rate_metrics(want, start, end, by_month)
    if metrics:
        rows = rates if rates is not None else q.rate_counts(session, unit, m0, min(m1, a), as_of, metrics)
        for key, pm, metric, n in rows:
            if metric in metrics and m0 <= pm <= min(m1, a):
                acc_for(pm).add(key, metric, n)

    # reference month/time per accumulator: min(end of P (or of the month), as_of)
    ref_of = partial(_ref_of, as_of=as_of)

    refs = {m: ref_of(m) for m in months} if by_month else {None: ref_of(min(m1, a))}
    if "visit_coverage" in want:
        if _coverage_metric(start, end, by_month) == "hh_visited":
            for key, n in q.visited_households(session, unit, m0, m1, as_of).items():
                accs[None].add(key, "hh_visited", n)
        for m, (rm, _) in refs.items():
            got = stock[rm] if stock is not None and rm in stock else q.household_stock(session, unit, rm, as_of)
            for key, n in got.items():
                accs[m].add(key, "households", n)
    if "special_visit_compliance" in want:
        at = dict(special or {})
        missing = [rdt for _, rdt in refs.values() if rdt not in at]
        if missing:
            at.update(q.special_compliance_at(session, unit, missing, intervals))
        for m, (_, rdt) in refs.items():
            for key, (ok, n) in at[rdt].items():
                accs[m].add(key, "special_ok", ok)
                accs[m].add(key, "special", n)
    if "security_incident_in_time" in want:  # seed 003 §6.4: counted straight from the incidents
        spans = ({m: (datetime.combine(q.month_start(m), time.min), month_end_time(m)) for m in months} if by_month
                 else {None: (datetime.combine(start, time.min), datetime.combine(end, time.max))})
        for m, (lo, hi) in spans.items():
            for key, (ok, n) in q.incident_counts(session, unit, lo, hi, as_of).items():
                accs[m].add(key, "incidents_ok", ok)
                accs[m].add(key, "incidents", n)
    if "sa_cc_highrisk_weekly_visit" in want:  # point in time, like special_visit_compliance
        hr = q.highrisk_weekly_at(session, unit, [rdt for _, rdt in refs.values()])
        for m, (_, rdt) in refs.items():
            for key, (ok, n) in hr[rdt].items():
                accs[m].add(key, "highrisk_ok", ok)
                accs[m].add(key, "highrisk", n)
    if "officer_weekly_visits" in want:
        wk = _complete_weeks(start, end, as_of)
        if wk is not None:
            week_month = {}
            if by_month:  # a week belongs to the month that contains all of it
                for m in months:
                    r = _complete_weeks(q.month_start(m), q.month_end(m), as_of)
                    if r is not None:
                        week_month[r] = m
            for key, w, hh, cnt in (weeks if weeks is not None else q.officer_weeks(session, unit, *wk)):
                if not wk[0] <= w <= wk[1]:
                    continue
                if by_month:
                    m = next((mm for (lo, hi), mm in week_month.items() if lo <= w <= hi), None)
                    if m is None:
                        continue
                    target = accs[m]
                else:
                    target = accs[None]
                target.add(key, "ow_households", hh)
                target.add(key, "ow_count", cnt)
    return accs


def _ref_of(m_last: int, as_of: datetime) -> tuple[int, datetime]:
    """Reference (month, time) of a period ending with month ``m_last``: min(its end, as_of)."""
    ref_dt = min(month_end_time(m_last), as_of)
    return month_of(ref_dt), ref_dt


def _coverage_metric(start: date, end: date, by_month: bool) -> str:
    m0, m1 = month_of(start), month_of(end)
    if by_month or m0 == m1:
        return "hh_month_first"
    if m0 % 100 == 1 and m1 == m0 + 11:
        return "hh_year_first"
    return "hh_visited"


def _settings(session: Session) -> tuple[dict, dict, float, int]:
    weights = q.setting(session, "score_weights", None) or dict(d.DEFAULT_WEIGHTS)
    intervals = q.setting(session, "special_intervals_days", None) or dict(DEFAULT_INTERVALS)
    at_risk = float(q.setting(session, "status_at_risk_points", d.AT_RISK_POINTS))
    trend = int(q.setting(session, "trend_months", 6))
    return {k: float(v) for k, v in weights.items()}, intervals, at_risk, trend


def _score(values: dict, weights: dict, vetoed: bool) -> d.Score:
    return d.assessment_score({k: values.get(k, (None,))[0] for k in weights}, weights, vetoed)


def _target_for(tmap: dict, indicator: str, unit: q.Unit | None) -> tuple[float | None, float | None]:
    """(target, baseline) of ``unit``: its own row, else the nearest ancestor's, else the city
    default (the city default only when ``unit`` is None)."""
    ids = [int(x) for x in unit.path.strip("/").split("/") if x] if unit is not None else []
    for uid in reversed(ids):
        if (indicator, uid) in tmap:
            return tmap[(indicator, uid)]
    return tmap.get((indicator, None), (None, None))


# --- public API ------------------------------------------------------------------------------

def resolve(session: Session, unit_code: str, period: str, as_of: date | datetime, children: bool
            ) -> tuple[q.Unit, date, date, str | None, datetime, list[q.Unit]]:
    """``(unit, start, end, phase_code, as_of, children)`` of a KPI call; UnknownUnit / UnknownPeriod."""
    unit = q.get_unit(session, unit_code)
    if unit is None:
        raise UnknownUnit(f"unknown org unit {unit_code!r}")
    start, end, phase_code = period_bounds(session, period)
    return unit, start, end, phase_code, to_as_of(as_of), (q.children(session, unit) if children else [])


def compute_kpis(session: Session, *, unit_code: str, period: str, as_of: date | datetime,
                 children: bool = True, target_overrides: dict | None = None) -> list[Kpi]:
    """KPIs of ``unit_code`` (first) and each direct child for ``period`` at ``as_of``.

    One :class:`Kpi` per (unit, indicator) for every indicator in :data:`INDICATORS`.
    ``target_overrides`` ``{(indicator, unit_id or None): target or None}`` replaces stored targets of
    the period's phase (None: the unit has none of its own) — the admin's preview before saving.
    Raises :class:`UnknownUnit` / :class:`UnknownPeriod`.
    """
    unit, start, end, phase_code, as_of, kids = resolve(session, unit_code, period, as_of, children)
    weights, intervals, at_risk, trend_n = _settings(session)

    phase = _phase(session, phase_code)
    tmap = q.targets(session, phase_code) if phase_code else {}
    for key, value in (target_overrides or {}).items():
        if value is None:
            tmap.pop(key, None)
        else:
            tmap[key] = (float(value), tmap.get(key, (None, None))[1])
    base_default = q.baselines(session)
    meta = q.indicator_meta(session)
    # monthly values for the trend: whole months of the phase ended by as_of, the last trend_n
    done: list[int] = []
    if phase is not None:
        done = [m for m in _months(month_of(phase[0]), month_of(phase[1]))
                if month_end_time(m) <= as_of][-trend_n:]
    # the trend only decides the status, so only indicators with a target need one
    with_target = {ind for ind, _uid in tmap}
    # one pass over the count rollups for P and the trend months together
    a = month_of(as_of)
    metrics = _rate_metrics(set(INDICATORS), start, end, False)
    months = [m for m in (month_of(start), min(month_of(end), a)) if m <= a]
    if done:
        metrics |= _rate_metrics(with_target, q.month_start(done[0]), q.month_end(done[-1]), True)
        months += [done[0], done[-1]]
    wks = [w for w in (_complete_weeks(start, end, as_of),
                       _complete_weeks(q.month_start(done[0]), q.month_end(done[-1]), as_of) if done else None)
           if w is not None]
    rates = q.rate_counts(session, unit, min(months), max(months), as_of, metrics) if months and metrics else []
    # and over the officer-week rows
    weeks = q.officer_weeks(session, unit, min(w[0] for w in wks), max(w[1] for w in wks)) if wks else []
    # the point-in-time counts at P's reference time (and the trend's month ends)
    stock = special = None
    if month_of(start) <= a:
        ref_m, ref_dt = _ref_of(min(month_of(end), a), as_of)
        stock = {ref_m: q.household_stock(session, unit, ref_m, as_of)}
        special_refs = [ref_dt] + ([_ref_of(m, as_of)[1] for m in done] if "special_visit_compliance" in with_target
                                   else [])
        special = q.special_compliance_at(session, unit, special_refs, intervals)

    accs = _collect(session, unit, kids, start, end, as_of, intervals, by_month=False, rates=rates, weeks=weeks,
                    stock=stock, special=special)
    cov = _coverage_metric(start, end, False)
    series: dict = {}
    x_end = None
    left = None
    ended = False
    if phase is not None:
        x_end = d.month_index(month_of(phase[1]))
        left = months_left(phase[1], as_of)
        ended = datetime.combine(phase[1], time.max) <= as_of
        if done:
            s_accs = _collect(session, unit, kids, q.month_start(done[0]), q.month_end(done[-1]), as_of,
                              intervals, by_month=True, need=with_target, rates=rates, weeks=weeks,
                              stock=stock, special=special)
            series = {m: s_accs[m] for m in done if m in s_accs}

    lo_d = start
    hi_d = min(end, as_of.date())
    vetoes = q.veto_paths(session, unit, lo_d, hi_d) if lo_d <= hi_d else []

    out: list[Kpi] = []
    for key, u in [(SELF, unit)] + [(c.id, c) for c in kids]:
        vals = _values(accs[None], key, cov)
        vetoed = any(p.startswith(u.path) for p in vetoes)
        score = _score(vals, weights, vetoed)
        monthly: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for m, acc in series.items():
            mv = _values(acc, key, "hh_month_first")
            mv["assessment_score"] = (_score(mv, weights, False).value, 0, None)
            for ind, (v, _, _) in mv.items():
                if v is not None:
                    monthly[ind].append((float(d.month_index(m)), v))
        for ind in INDICATORS:
            flags: tuple[str, ...] = ()
            ci = (None, None)
            if ind == "assessment_score":
                value = score.value
                ns = [vals[k][1] for k in weights if k in vals]
                n = min(ns) if ns else 0
                flags = score.flags
            else:
                value, n, k = vals[ind]
                if ind in PROPORTIONS and k is not None:
                    ci = d.wilson(k, n)
                if ind in PROPORTIONS and 0 < n < SMALL_SAMPLE:
                    flags = ("small_sample",)
            target, baseline = _target_for(tmap, ind, u)
            if baseline is None:
                baseline = base_default.get(ind)
            direction, ind_unit = meta.get(ind, (d.UP, "%"))
            g = d.gap(target, value, direction)
            if ind == "assessment_score" and score.incomplete:
                st = "incomplete"
            elif x_end is None:
                st = d.NO_DATA if value is None else d.NO_TARGET
            else:
                st = d.status(value, target, monthly.get(ind, []), x_end, at_risk, ended=ended,
                              direction=direction, unit=ind_unit)
            out.append(Kpi(
                unit_code=u.code, unit_name_zh=u.name_zh, unit_name_en=u.name_en, unit_level=u.level,
                is_self=key == SELF, indicator=ind, value=value, n=int(n), ci_low=ci[0], ci_high=ci[1],
                target=target, baseline=baseline, gap=g, status=st,
                required_gain=d.required_monthly_gain(g, left), flags=flags, direction=direction))
    return out


def monthly_series(session: Session, *, unit_code: str, indicator: str, start: date, end: date,
                   as_of: date | datetime) -> list[tuple[int, float | None, int]]:
    """``[(YYYYMM, value, n)]`` for each month from ``start`` to ``end`` that has begun by as_of;
    each value is the indicator for that month alone, computed at ``as_of``."""
    if indicator not in INDICATORS:
        raise ValueError(f"unknown indicator {indicator!r}")
    unit = q.get_unit(session, unit_code)
    if unit is None:
        raise UnknownUnit(f"unknown org unit {unit_code!r}")
    as_of = to_as_of(as_of)
    weights, intervals, _, _ = _settings(session)
    need = set(weights) if indicator == "assessment_score" else {indicator}
    s = q.month_start(month_of(start))
    e = q.month_end(month_of(end))
    accs = _collect(session, unit, [], s, e, as_of, intervals, by_month=True, need=need)
    out = []
    for m in sorted(k for k in accs if k is not None):
        vals = _values(accs[m], SELF, "hh_month_first")
        if indicator == "assessment_score":
            ns = [vals[k][1] for k in weights]
            out.append((m, _score(vals, weights, False).value, min(ns) if ns else 0))
        else:
            v, n, _ = vals[indicator]
            out.append((m, v, n))
    return out


def phase_targets(session: Session, *, indicators, unit_code: str | None = None
                  ) -> dict[str, tuple[dict[str, float | None], float | None]]:
    """Per indicator ``({phase: target}, baseline)`` — the step line of the trend charts: the
    target of ``unit_code`` in each phase (own, nearest ancestor's or the city default; the city
    default when None), and the baseline of the first phase that has one, else the city default's."""
    unit = None
    if unit_code is not None:
        unit = q.get_unit(session, unit_code)
        if unit is None:
            raise UnknownUnit(f"unknown org unit {unit_code!r}")
    by_phase = {code: q.targets(session, code) for code, _start, _end in q.phases(session)}
    defaults = q.baselines(session)
    out = {}
    for ind in indicators:
        targets, baseline = {}, None
        for code, tmap in by_phase.items():
            targets[code], base = _target_for(tmap, ind, unit)
            if baseline is None and base is not None:
                baseline = base
        out[ind] = (targets, baseline if baseline is not None else defaults.get(ind))
    return out
