"""Staffing and presence indicators computed from the roster, visits, office hours and joint
meetings (issue 14; seeds 002 §3.2–§3.7, §5.1, §5.2, §7.1 and 004 §3.2).

For an org unit U, a period P = [start, end] and ``as_of`` (a date-only as_of is the end of that
day). Two reference times:

- the **reference day** ``R = min(end, as_of's day)`` for stock measures (who is on post);
- the **ended days** of P: days of P whose end has passed at as_of (``D``), their working days
  Monday–Friday (``W``), the ISO weeks lying wholly in P whose Sunday has ended (``K``) and the
  months of P that have ended (``M``).

"On post on R": an active roster person assigned to the grid on R (``start_on ≤ R ≤ end_on``,
open end allowed); "certified": certified with a certification date ≤ R (seed 002 §3.7: not
certified → not on post). "Grids in U": grids under U in the current tree; "officers": roster
people of type officer linked to an app user (visits and office hours are recorded by user).

Indicators (all ``up``: higher is better; targets from the registry):

- ``og_grid_police_coverage`` (%): grids in U with ≥1 certified officer or auxiliary on post on R
  / grids in U. n = grids.
- ``og_urban_grid_officer`` (%): urban grids in U with ≥1 certified full-time officer on post on R
  / urban grids in U (a grid without a profile is urban). n = urban grids.
- ``og_certified_on_post`` (%): people (any type) on post on R in grids of U who are certified on
  R / people on post on R in grids of U (each person once). n = people.
- ``og_officer_daily_visit_h`` (h): hours officers spent in grids of U on working days of W —
  visit durations (not recorded = 0) plus office-session minutes, by start day — / officer-days,
  the working days of W on which each officer was assigned to a grid of U. n = officer-days.
- ``og_grid_daily_police_h`` (h): the same hours / (grids in U × |W|). n = grid-days.
- ``og_rural_onsite_week`` (count): officers' office sessions in rural grids of U in the weeks of K
  / (rural grids in U × |K|). n = rural grid-weeks.
- ``og_monthly_meeting`` (%): community-months of M with ≥1 joint meeting / (communities in U ×
  |M|). n = community-months.
- ``sa_grid_worker_staffing`` (%): communities in U with ≥2 full-time grid workers certified and on
  post on R / communities in U. n = communities.

A denominator of 0 gives no value ("no data"). Status: met when the target is reached, off track
when the phase has ended short of it, otherwise "too early" (no monthly trend for these measures).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from data_access.analytics import kpi_queries as q
from data_access.fieldwork.derive import month_of, week_of
from data_access.staffing import queries as sq

from . import definitions as d
from .service import Kpi, _complete_weeks, _months, _phase, _settings, _target_for, months_left, resolve

INDICATORS = ("og_grid_police_coverage", "og_urban_grid_officer", "og_certified_on_post", "og_officer_daily_visit_h",
              "og_grid_daily_police_h", "og_rural_onsite_week", "og_monthly_meeting", "sa_grid_worker_staffing")


def last_ended_day(as_of: datetime) -> date:
    """The last day whose end has passed at ``as_of``."""
    return as_of.date() if as_of.time() >= time(23, 59, 59) else as_of.date() - timedelta(days=1)


def working_days(d0: date, d1: date) -> list[date]:
    n = (d1 - d0).days + 1
    return [d0 + timedelta(days=i) for i in range(max(n, 0)) if (d0 + timedelta(days=i)).weekday() < 5]


def _weekdays_to(d: date) -> int:
    """Mondays–Fridays from 1 Jan 0001 (a Monday) through ``d``."""
    n = d.toordinal()  # day 1 is a Monday
    return (n // 7) * 5 + min(n % 7, 5)


def _weekdays(d0: date, d1: date) -> int:
    return max(0, _weekdays_to(d1) - _weekdays_to(d0 - timedelta(days=1))) if d1 >= d0 else 0


def _officer_days(rows, d0: date, d1: date) -> dict:
    """Per key and for U (None): officer-days, the working days (Monday–Friday) of [d0, d1] on
    which each officer was assigned to a grid there (each officer counted once per day: the
    officer's assignments merged into spans, counted by arithmetic on day ordinals, not day by
    day; most officers have one span)."""
    o0, o1 = d0.toordinal(), d1.toordinal()
    spans: dict = defaultdict(list)  # (key, staff) → [(first, last)] ordinals clipped to [d0, d1]
    for key, staff, s, e in rows:
        a = s.toordinal()
        b = o1 if e is None else e.toordinal()
        a, b = (o0 if a < o0 else a), (o1 if b > o1 else b)
        if a <= b:
            spans[(key, staff)].append((a, b))
            spans[(None, staff)].append((a, b))

    def upto(n: int) -> int:  # Mondays–Fridays from ordinal 1 (a Monday) through ordinal n
        r = n % 7
        return (n // 7) * 5 + (r if r < 5 else 5)

    out: dict = defaultdict(int)
    for (key, _staff), xs in spans.items():
        if len(xs) > 1:
            xs.sort()
            merged = [xs[0]]
            for a, b in xs[1:]:
                if a <= merged[-1][1] + 1:
                    if b > merged[-1][1]:
                        merged[-1] = (merged[-1][0], b)
                else:
                    merged.append((a, b))
            xs = merged
        out[key] += sum(upto(b) - upto(a - 1) for a, b in xs)
    return dict(out)


def _ratio(k: float, n: float, scale: float = 100.0) -> float | None:
    return None if not n else round(scale * k / n, 4)


def staffing_values(session: Session, unit, kids, start: date, end: date, as_of: datetime) -> dict:
    """{(key, indicator): (value, n)} for key None (U) and each child id."""
    out: dict = {}
    keys = [None] + [c.id for c in kids]
    last = min(end, last_ended_day(as_of))
    ref = min(end, as_of.date())
    if ref < start:  # P has not begun at as_of
        return {(k, i): (None, 0) for k in keys for i in INDICATORS}

    def total(m: dict, field=None):
        vals = list(m.values())
        if field is None:
            return [sum(x) for x in zip(*vals, strict=True)] if vals else None
        return sum(v[field] for v in vals)

    grids = sq.grid_counts(session, unit=unit, day=ref)
    grids[None] = {f: sum(v[f] for v in grids.values()) for f in ("grids", "police", "urban", "urban_officer", "rural")}
    certs = sq.certified_counts(session, unit=unit, day=ref)
    comms = sq.community_counts(session, unit=unit, day=ref)
    comms[None] = tuple(total(comms) or (0, 0))
    days = working_days(start, last) if last >= start else []
    mins = sq.presence_workday_minutes(session, unit=unit, day0=start, day1=last) if days else {}
    hours = {k: m / 60.0 for k, m in mins.items()}
    hours[None] = sum(hours.values())
    odays = _officer_days(sq.officer_assignments(session, unit=unit, day0=start, day1=last), start, last) if days else {}
    wk = _complete_weeks(start, end, as_of)
    n_weeks = 0
    rural = {}
    if wk:
        rural = sq.rural_sessions(session, unit=unit, wk_lo=wk[0], wk_hi=wk[1])
        rural[None] = sum(rural.values())
        n_weeks = len({week_of(start + timedelta(days=i)) for i in range((end - start).days + 1)
                       if wk[0] <= week_of(start + timedelta(days=i)) <= wk[1]})
    months = [m for m in _months(month_of(start), month_of(last)) if last >= start and
              q.month_end(m) <= last] if last >= start else []
    meets = sq.meeting_months(session, unit=unit, m0=months[0] if months else 0, m1=months[-1] if months else 0)
    meets[None] = tuple(total(meets) or (0, 0))

    for k in keys:
        g = grids.get(k) or dict(grids=0, police=0, urban=0, urban_officer=0, rural=0)
        out[(k, "og_grid_police_coverage")] = (_ratio(g["police"], g["grids"]), g["grids"])
        out[(k, "og_urban_grid_officer")] = (_ratio(g["urban_officer"], g["urban"]), g["urban"])
        n, c = certs.get(k, (0, 0))
        out[(k, "og_certified_on_post")] = (_ratio(c, n), n)
        od = odays.get(k, 0)
        out[(k, "og_officer_daily_visit_h")] = (_ratio(hours.get(k, 0.0), od, 1.0), od)
        gd = g["grids"] * len(days)
        out[(k, "og_grid_daily_police_h")] = (_ratio(hours.get(k, 0.0), gd, 1.0), gd)
        rw = g["rural"] * n_weeks
        out[(k, "og_rural_onsite_week")] = (_ratio(rural.get(k, 0), rw, 1.0), rw)
        n_comm, held = meets.get(k, (0, 0))
        cm = n_comm * len(months)
        out[(k, "og_monthly_meeting")] = (_ratio(held, cm), cm)
        cn, ck = comms.get(k, (0, 0))
        out[(k, "sa_grid_worker_staffing")] = (_ratio(ck, cn), cn)
    return out


def compute_staffing(session: Session, *, unit_code: str, period: str, as_of, children: bool = True,
                     codes=None) -> list[Kpi]:
    """One :class:`Kpi` (kind "computed") per (unit, staffing indicator): U first, then each direct child."""
    unit, start, end, phase_code, as_of, kids = resolve(session, unit_code, period, as_of, children)
    meta = q.indicator_meta(session)
    inds = [i for i in INDICATORS if (codes is None or i in codes) and i in meta]
    if not inds:
        return []
    _w, _i, at_risk, _t = _settings(session)
    phase = _phase(session, phase_code)
    tmap = q.targets(session, phase_code) if phase_code else {}
    x_end = d.month_index(phase[1].year * 100 + phase[1].month) if phase else None
    left = months_left(phase[1], as_of) if phase else None
    ended = bool(phase) and datetime.combine(phase[1], time.max) <= as_of
    vals = staffing_values(session, unit, kids, start, end, as_of)
    out: list[Kpi] = []
    for key, u in [(None, unit)] + [(c.id, c) for c in kids]:
        for ind in inds:
            direction = meta[ind][0] if meta[ind][0] in (d.UP, d.DOWN) else d.UP
            value, n = vals[(key, ind)]
            target, baseline = _target_for(tmap, ind, u)
            g = d.gap(target, value, direction)
            if x_end is None:
                st = d.NO_DATA if value is None else d.NO_TARGET
            else:
                st = d.status(value, target, [], x_end, at_risk, ended=ended, direction=direction,
                              unit=meta[ind][1])
            out.append(Kpi(
                unit_code=u.code, unit_name_zh=u.name_zh, unit_name_en=u.name_en, unit_level=u.level,
                is_self=key is None, indicator=ind, value=value, n=n, ci_low=None, ci_high=None, target=target,
                baseline=baseline, gap=g, status=st, required_gain=d.required_monthly_gain(g, left), flags=(),
                direction=direction, kind="computed"))
    return out
