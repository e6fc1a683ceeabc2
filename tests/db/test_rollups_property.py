"""Property tests on random small datasets (hypothesis), on SQLite and PostgreSQL:

(a) rollups (per grid, per community, station and district, officer-weeks per officer and per
    unit) maintained incrementally by ``data_access.fieldwork.records``,
    through a grid move made before or after the records, equal ``rollups.rebuild()``;
(b) the KPIs of ``metrics.service.compute_kpis`` (rollups + raw month) equal the KPIs computed
    here in plain Python straight from the raw records, following indicators.md, for random
    as_of times (mid-month and mid-day included) and periods (the pilot phase or one month).

Each example is written in one transaction that is rolled back afterwards.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session

import factories as f
from data_access.analytics import rollups
from data_access.fieldwork import records
from data_access.fieldwork.models import Need, SpotCheck, Visit
from data_access.org import accounts
from data_access.org import units as org_units
from metrics.service import INDICATORS, compute_kpis

# counted from tables this test does not generate (incidents, the assisted-persons register); their
# own hand-computed tests are in tests/db/test_accountability.py and test_assistance.py
NOT_FROM_RECORDS_HERE = {"security_incident_in_time", "sa_cc_highrisk_weekly_visit"}

T0 = datetime(2023, 12, 1)  # records start a month before the pilot phase
SPAN_MIN = int((datetime(2025, 1, 10) - T0).total_seconds() // 60)
ASOF_MIN = int((datetime(2024, 12, 31, 23, 59) - datetime(2024, 1, 1)).total_seconds() // 60)
INTERVALS = {"red": 7, "yellow": 30, "blue": 30}
# officers on grids (one on the grid that moves), on a district, a station, a community and the city
OFFICER_SCOPES = ("G1", "G3", "D1", "G2", "S1", "CM2", "C")
PARENT = {"C": None, "D1": "C", "S1": "D1", "CM1": "S1", "G1": "CM1", "G2": "CM1",
          "D2": "C", "S2": "D2", "CM2": "S2", "G3": "CM2"}


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


households = st.lists(st.fixed_dictionaries({
    "grid": st.sampled_from(["G1", "G2", "G3"]),
    "category": st.sampled_from(["ordinary", "rental"]),
    "risk": st.sampled_from(["none", "blue", "yellow", "red"]),
    "registered": st.one_of(st.none(), st.integers(0, 420).map(lambda d: date(2023, 10, 1) + timedelta(days=d))),
}), min_size=1, max_size=6)

visits = st.lists(st.fixed_dictionaries({
    "hh": st.integers(0, 5), "officer": st.integers(0, 6),
    "at": st.integers(0, SPAN_MIN),
    "id_shown": st.booleans(), "bodycam": st.booleans(),
    "entry_h": st.one_of(st.none(), st.integers(0, 60)),
    "appt_h": st.one_of(st.none(), st.integers(0, 72)),
    "sat": st.one_of(st.none(), st.integers(1, 5)),
}), max_size=14)

needs = st.lists(st.fixed_dictionaries({
    "hh": st.integers(0, 5), "at": st.integers(0, SPAN_MIN),
    "status": st.sampled_from(["open", "accepted", "in_progress", "resolved", "confirmed", "withdrawn", "duplicate"]),
    "resp_h": st.one_of(st.none(), st.integers(0, 100)),
    "res_h": st.one_of(st.none(), st.integers(0, 900)),
    # a later edit through update_need (exercises removing rollup contributions)
    "update": st.one_of(st.none(), st.tuples(
        st.sampled_from(["resolved", "confirmed", "withdrawn", "in_progress"]), st.integers(0, 900))),
}), max_size=8)

checks = st.lists(st.fixed_dictionaries({
    "hh": st.integers(0, 5), "day": st.integers(0, 400), "accurate": st.booleans(),
}), max_size=8)

periods = st.one_of(st.just("pilot"), st.integers(1, 12).map(lambda m: f"2024-{m:02d}"))
as_ofs = st.one_of(
    st.integers(0, ASOF_MIN).map(lambda n: datetime(2024, 1, 1) + timedelta(minutes=n)),
    st.integers(0, 365).map(lambda d: date(2024, 1, 1) + timedelta(days=d)),
)
# (month G2 moves from CM1 to CM2, whether the move is made after the records were written)
moves = st.one_of(st.none(), st.tuples(st.integers(2, 11).map(lambda m: 202400 + m), st.booleans()))
# (officer, new scope unit, after how many visits) an admin changes one officer's scope
rescopes = st.one_of(st.none(), st.tuples(st.integers(0, 6), st.sampled_from(sorted(PARENT)), st.integers(0, 14)))


TOPS = ("C", "D1", "CM1", "CM2")  # the units compute_kpis is asked for (each with its children)


def build(s: Session, data: dict) -> dict:
    u = f.two_district_city(s)
    offs = [f.officer(s, u[code]) for code in OFFICER_SCOPES]
    admin = f.officer(s, u["C"], role="admin")
    scopes = list(OFFICER_SCOPES)

    def rescope():
        i, code, _ = data["rescope"]
        role = "officer" if code[0] in "SG" or code.startswith("CM") else "coordinator"
        accounts.set_role(session=s, actor=admin, user_id=offs[i].id, role=role, scope_id=u[code].id,
                          now=datetime(2025, 2, 1))
        scopes[i] = code
    hhs = [f.household(s, u[h["grid"]], category=h["category"], risk=h["risk"], registered_on=h["registered"])
           for h in data["households"]]
    def move():
        org_units.move_grid(session=s, grid=u["G2"], community=u["CM2"], from_month=data["move"][0], username="t")

    if data["move"] is not None and not data["move"][1]:
        move()
    for k, v in enumerate(data["visits"]):
        if data["rescope"] is not None and data["rescope"][2] == k:
            rescope()  # the officer's weeks so far move; the later visits count under the new scope
        at = minutes(v["at"])
        f.visit(s, hhs[v["hh"] % len(hhs)], offs[v["officer"]], at, id_shown=v["id_shown"], bodycam_on=v["bodycam"],
                entered_at=None if v["entry_h"] is None else at + timedelta(hours=v["entry_h"]),
                appointment_made_at=None if v["appt_h"] is None else at - timedelta(hours=v["appt_h"]),
                satisfaction=v["sat"])
    for n in data["needs"]:
        at = minutes(n["at"])
        need = f.need(s, hhs[n["hh"] % len(hhs)], at, status=n["status"],
                      responded_at=None if n["resp_h"] is None else at + timedelta(hours=n["resp_h"]),
                      resolved_at=None if n["res_h"] is None else at + timedelta(hours=n["res_h"]))
        if n["update"] is not None:
            status, res_h = n["update"]
            records.update_need(session=s, need_id=need.id, expected_version=need.version, username="t",
                                status=status, resolved_at=at + timedelta(hours=res_h))
    for c in data["checks"]:
        f.check(s, hhs[c["hh"] % len(hhs)], date(2023, 12, 1) + timedelta(days=c["day"]), c["accurate"])
    if data["move"] is not None and data["move"][1]:
        move()  # after the records: the per-community rollups must follow the grid
    if data["rescope"] is not None and data["rescope"][2] >= len(data["visits"]):
        rescope()
    s.flush()
    return {"units": u, "officers": offs, "scopes": scopes, "households": hhs}


# --- the definitions, straight from the raw records -------------------------------------------

def month_of(t) -> int:
    return t.year * 100 + t.month


def reference(s: Session, built: dict, move: int | None, period: str, as_of: datetime) -> dict:
    """{unit code: {indicator: (value, n)}} for C, D1, D2, S1, CM1 and the grids, per indicators.md."""
    u = built["units"]
    if period == "pilot":
        p0, p1 = date(2024, 1, 1), date(2024, 12, 31)
    else:
        y, m = map(int, period.split("-"))
        p0 = date(y, m, 1)
        p1 = (date(y + (m == 12), m % 12 + 1, 1)) - timedelta(days=1)
    pend = datetime.combine(p1, time.max)

    def community(grid_code: str, month: int) -> str:
        if grid_code == "G2":
            return "CM2" if move is not None and month >= move else "CM1"
        return {"G1": "CM1", "G3": "CM2"}[grid_code]

    def inside(unit: str, grid_code: str, month: int) -> bool:
        cm = community(grid_code, month)
        return {"C": True, "D1": cm == "CM1", "D2": cm == "CM2", "S1": cm == "CM1", "CM1": cm == "CM1",
                "G1": grid_code == "G1", "G2": grid_code == "G2", "G3": grid_code == "G3"}[unit]

    code_of = {x.id: c for c, x in u.items()}
    hh = {h.id: h for h in built["households"]}
    vs = sorted(s.query(Visit).all(), key=lambda v: (v.visited_at, v.id))
    ns = s.query(Need).all()
    cs = s.query(SpotCheck).all()

    def in_p(t) -> bool:
        return p0 <= (t.date() if isinstance(t, datetime) else t) <= p1

    ref_dt = min(pend, as_of)
    started = as_of >= datetime.combine(p0, time.min)  # a period not begun at as_of has no data at all
    week_ranges = []
    monday = p0 + timedelta(days=(7 - p0.weekday()) % 7)
    while monday + timedelta(days=6) <= p1:
        if datetime.combine(monday + timedelta(days=6), time.max) <= as_of:
            week_ranges.append(monday)
        monday += timedelta(days=7)
    scope_units = {o.id: code for o, code in zip(built["officers"], built["scopes"], strict=True)}

    def lineage(code: str | None) -> set[str]:
        """The unit and its ancestors now (G2 under CM2 once it moved): an officer's weeks count
        under the current place of their current scope."""
        out = set()
        while code is not None:
            out.add(code)
            code = "CM2" if code == "G2" and move is not None else PARENT[code]
        return out


    out = {}
    for unit in ("C", "D1", "D2", "S1", "CM1", "G1", "G2", "G3"):
        def g(grid_id):
            return code_of[grid_id]

        r = {}
        chk = [c for c in cs if in_p(c.checked_on) and c.checked_on <= as_of.date()
               and inside(unit, g(c.grid_id), month_of(c.checked_on))]
        r["info_accuracy"] = (sum(c.accurate for c in chk), len(chk))
        rent = [c for c in chk if hh[c.household_id].category == "rental"]
        r["rental_accuracy"] = (sum(c.accurate for c in rent), len(rent))

        nd = [n for n in ns if in_p(n.created_at) and n.created_at <= as_of
              and n.status not in ("withdrawn", "duplicate") and inside(unit, g(n.grid_id), month_of(n.created_at))]
        r["need_resolution"] = (sum(n.status in ("resolved", "confirmed") and n.resolved_at is not None
                                    and n.resolved_at <= as_of for n in nd), len(nd))
        sla = [n for n in nd if n.created_at + timedelta(hours=48) <= as_of
               or (n.responded_at is not None and n.responded_at <= as_of)]
        r["need_response_48h"] = (sum(n.responded_at is not None and n.responded_at <= as_of
                                      and n.responded_at - n.created_at <= timedelta(hours=48) for n in sla), len(sla))

        vv = [v for v in vs if in_p(v.visited_at) and v.visited_at <= as_of
              and inside(unit, g(v.grid_id), month_of(v.visited_at))]
        rated = [v for v in vv if v.satisfaction is not None]
        r["satisfaction"] = (sum(v.satisfaction >= 4 for v in rated), len(rated))
        r["process_compliance"] = (sum(bool(v.id_shown and v.bodycam_on and v.entered_at is not None
                                            and v.entered_at <= as_of
                                            and v.entered_at - v.visited_at <= timedelta(hours=24)) for v in vv),
                                   len(vv))
        night = [v for v in vv if v.visited_at.hour >= 20 or v.visited_at.hour < 7]
        r["night_visit_compliance"] = (sum(v.appointment_made_at is not None
                                           and v.visited_at - v.appointment_made_at >= timedelta(hours=24)
                                           for v in night), len(night))

        first = {}
        for v in vs:  # sorted by (visited_at, id): the household's first visit in P up to as_of
            if in_p(v.visited_at) and v.visited_at <= as_of:
                first.setdefault(v.household_id, v)
        visited = sum(inside(unit, g(v.grid_id), month_of(v.visited_at)) for v in first.values())
        registered = [h for h in built["households"] if started
                      and (h.registered_on is None or h.registered_on <= ref_dt.date())
                      and inside(unit, g(h.grid_id), month_of(ref_dt))]
        r["visit_coverage"] = (visited, len(registered))
        special = [h for h in registered if h.risk_level != "none"]
        r["special_visit_compliance"] = (
            sum(any(v.household_id == h.id and v.visited_at <= ref_dt
                    and ref_dt - v.visited_at <= timedelta(days=INTERVALS[h.risk_level]) for v in vs)
                for h in special), len(special))

        weeks = []
        for off in built["officers"]:
            if unit not in lineage(scope_units[off.id]):
                continue
            for mon in week_ranges:
                lo, hi = datetime.combine(mon, time.min), datetime.combine(mon + timedelta(days=6), time.max)
                k = len({v.household_id for v in vs if v.officer_id == off.id and lo <= v.visited_at <= hi})
                if k:
                    weeks.append(k)
        out[unit] = {ind: ((100.0 * k / n if n else None), n) for ind, (k, n) in r.items()}
        out[unit]["officer_weekly_visits"] = ((sum(weeks) / len(weeks)) if weeks else None, len(weeks))
        comps = [out[unit][c][0] for c in ("info_accuracy", "need_resolution", "satisfaction")]
        out[unit]["assessment_score"] = (
            None if None in comps else 40 * comps[0] / 100 + 30 * comps[1] / 100 + 30 * comps[2] / 100,
            min(out[unit][c][1] for c in ("info_accuracy", "need_resolution", "satisfaction")))
    return out


def rollup_rows(s: Session) -> tuple[set, set, set, set]:
    r = {tuple(x) for x in s.execute(text(
        "SELECT grid_id, period_month, event_month, metric, n FROM rollup WHERE n <> 0"))}
    c = {tuple(x) for x in s.execute(text(
        "SELECT unit_id, period_month, event_month, metric, n FROM unit_rollup WHERE n <> 0"))}
    w = {tuple(x) for x in s.execute(text("SELECT officer_id, week, households FROM officer_week WHERE households <> 0"))}
    uw = {tuple(x) for x in s.execute(text(
        "SELECT unit_id, week, households, officers FROM unit_week WHERE officers <> 0 OR households <> 0"))}
    return r, c, w, uw


@settings(max_examples=40, deadline=None,
          # no shrinking: each example is a database round trip and shrinking took minutes; the
          # failing example is still printed in full and replayed first on the next run
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(hh=households, vis=visits, nd=needs, ck=checks, move=moves, rescope=rescopes, period=periods, as_of=as_ofs)
def test_rollups_and_kpis_match_raw_records(engine, hh, vis, nd, ck, move, rescope, period, as_of):
    data = {"households": hh, "visits": vis, "needs": nd, "checks": ck, "move": move, "rescope": rescope}
    with Session(engine, expire_on_commit=False) as s:
        try:
            built = build(s, data)
            as_of_dt = as_of if isinstance(as_of, datetime) else datetime.combine(as_of, time.max)
            expected = reference(s, built, None if move is None else move[0], period, as_of_dt)
            # each unit as seen from each top it appears under (D1: C's child and itself; S1: D1's child)
            got = {}
            for top in TOPS:
                for k in compute_kpis(s, unit_code=top, period=period, as_of=as_of):
                    got.setdefault((k.unit_code, k.indicator), []).append(k)
            for unit, rows in expected.items():
                if unit == "G2" and move is not None:
                    continue  # moved from CM1 to CM2: as a child it counts only its months there
                for ind in INDICATORS:
                    if ind in NOT_FROM_RECORDS_HERE:
                        continue
                    value, n = rows[ind]
                    for k in got[(unit, ind)]:
                        assert k.n == n, (unit, ind, k, value, n)
                        if value is None:
                            assert k.value is None, (unit, ind, k)
                        elif ind == "assessment_score":
                            assert abs(k.value - value) <= 0.05 + 1e-9, (unit, ind, k, value)
                        else:
                            assert k.value == pytest.approx(value), (unit, ind, k, value)

            # (a) incremental rollups == rebuilt rollups; and the KPIs do not change
            incremental = rollup_rows(s)
            rollups.rebuild(s)
            assert rollup_rows(s) == incremental
            again = {}
            for top in TOPS:
                for k in compute_kpis(s, unit_code=top, period=period, as_of=as_of):
                    again.setdefault((k.unit_code, k.indicator), []).append(k)
            assert again == got
        finally:
            s.rollback()
