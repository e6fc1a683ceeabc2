"""Property test of the time-limit counts on random small sets of grid events and hazards
(hypothesis), on SQLite and PostgreSQL:

(a) the rollup rows kept in step by every event and hazard write (report, accept, withdraw, mark a
    duplicate, record, rectify) equal ``rollups.rebuild_cases()`` and the full ``rollups.rebuild()``;
(b) ``kpi_queries.case_counts`` (rollups + the raw month of as_of) equals the counts computed here
    in plain Python from the records, following indicators.md "Time-limited work", for random
    as_of times — many of them minutes around a case's clock;
(c) the raw definition ``events.in_time_counts`` gives the same per district;
(d) ``kpi_queries.response_quantiles`` equals the nearest rank computed here, per tier and overall.

Each example is written in one transaction that is rolled back afterwards.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session

import factories as f
from data_access.analytics import kpi_queries as kq
from data_access.analytics import rollups
from data_access.fieldwork import events as ev

T0 = datetime(2024, 1, 29, 8, 0)  # cases start two days before a month ends
SPAN_MIN = 60 * 24 * 35            # … and run into a third month
LIMIT_MIN = {"emergency": 5, "urgent": 15, "general": 120, "hazard_general": 24 * 60, "hazard_major": 48 * 60}
GRIDS = ("G1", "G2", "G3")
PARENT = {"D1": "C", "D2": "C", "S1": "D1", "S2": "D2", "CM1": "S1", "CM2": "S2", "G1": "CM1", "G2": "CM1",
          "G3": "CM2"}
TOPS = ("C", "D1", "CM1", "G1")

events = st.lists(st.fixed_dictionaries({
    "grid": st.sampled_from(GRIDS),
    "tier": st.sampled_from(["emergency", "urgent", "general"]),
    "at": st.integers(0, SPAN_MIN),
    # minutes after creation of each step (5, 15, 120: exactly on a tier's limit); accept answers it
    # (responded_at), withdraw / duplicate end it
    "steps": st.lists(st.tuples(st.sampled_from(["accept", "withdraw", "mark_duplicate"]),
                                    st.one_of(st.integers(0, 200), st.sampled_from([5, 15, 120]))),
                      max_size=2),
}), max_size=10)

hazards = st.lists(st.fixed_dictionaries({
    "grid": st.sampled_from(GRIDS),
    "level": st.sampled_from(["general", "major"]),
    "at": st.integers(0, SPAN_MIN),
    "fix_h": st.one_of(st.none(), st.integers(0, 80), st.sampled_from([24, 48])),  # 24, 48: on the limit
}), max_size=5)

# as_of: anywhere in the span, or minutes around one case's creation (its clock's edges)
as_ofs = st.one_of(
    st.integers(0, SPAN_MIN + 3 * 24 * 60).map(lambda n: ("abs", n)),
    st.tuples(st.integers(0, 30), st.integers(-10, 3000)).map(lambda t: ("near", t)),
)


def month_of(t: datetime) -> int:
    return t.year * 100 + t.month


def ancestors(code: str) -> list[str]:
    out = [code]
    while code in PARENT:
        code = PARENT[code]
        out.append(code)
    return out


def child_under(top: str, grid: str) -> str | None:
    """The direct child of ``top`` that holds ``grid`` (the grid itself for a grid), None outside."""
    chain = ancestors(grid)
    if top not in chain:
        return None
    i = chain.index(top)
    return grid if i == 0 else chain[i - 1]


def build(s: Session, evs: list[dict], hzs: list[dict]) -> tuple[dict, list[dict]]:
    u = f.two_district_city(s)
    off = f.officer(s, u["C"], "boss")
    s.flush()
    cases: list[dict] = []
    for e in evs:
        created = T0 + timedelta(minutes=e["at"])
        r = ev.report_event(session=s, user=off, grid_id=u[e["grid"]].id, tier=e["tier"], category="dispute",
                            channel="grid_worker", now=created)
        responded, alive = None, True
        for action, after in e["steps"]:
            if r.status in ("withdrawn", "duplicate"):
                break
            if action == "accept" and r.status != "open":
                continue
            at = created + timedelta(minutes=after)
            r = ev.event_step(session=s, user=off, event_id=r.id, action=action, expected_version=r.version, now=at,
                              note=None if action == "accept" else "重复上报")
            if action == "accept" and responded is None:
                responded = at
            if action != "accept":
                alive = False
        cases.append({"kind": "event", "grid": e["grid"], "tier": e["tier"], "start": created,
                      "due": created + timedelta(minutes=LIMIT_MIN[e["tier"]]), "done": responded, "alive": alive})
    for h in hzs:
        found = T0 + timedelta(minutes=h["at"])
        r = ev.record_hazard(session=s, user=off, grid_id=u[h["grid"]].id, level=h["level"], now=found)
        done = None
        if h["fix_h"] is not None:
            done = found + timedelta(hours=h["fix_h"])
            ev.rectify_hazard(session=s, user=off, hazard_id=r.id, expected_version=r.version, now=done,
                              evidence="已整改")
        cases.append({"kind": "hazard", "grid": h["grid"], "tier": h["level"], "start": found,
                      "due": found + timedelta(minutes=LIMIT_MIN["hazard_" + h["level"]]), "done": done,
                      "alive": True})
    s.flush()
    return u, cases


def expected_counts(cases: list[dict], top: str, as_of: datetime) -> dict:
    """indicators.md: a case counts once its limit passed or it was answered (by as_of); in time when
    answered by as_of and no later than its due time. Withdrawn events and duplicates never count."""
    out: dict = {}
    for c in cases:
        key = child_under(top, c["grid"])
        if key is None or not c["alive"]:
            continue
        done = c["done"] if c["done"] is not None and c["done"] <= as_of else None
        if not (c["due"] <= as_of or done is not None):
            continue
        ok = done is not None and done <= c["due"]
        cell = out.setdefault((key, month_of(c["start"]), c["kind"], c["tier"]), [0, 0])
        cell[0] += ok
        cell[1] += 1
    return {k: tuple(v) for k, v in out.items()}


def nearest_rank(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return sorted(values)[max(1, math.ceil(q * len(values) - 1e-9)) - 1]


def rows(s: Session) -> tuple[set, set]:
    r = {tuple(x) for x in s.execute(text("SELECT grid_id, period_month, event_month, metric, n FROM rollup "
                                          "WHERE n <> 0"))}
    c = {tuple(x) for x in s.execute(text("SELECT unit_id, period_month, event_month, metric, n FROM unit_rollup "
                                          "WHERE n <> 0"))}
    return r, c


@settings(max_examples=50, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(evs=events, hzs=hazards, as_of=as_ofs)
def test_time_limit_counts_match_the_records(engine, evs, hzs, as_of):
    with Session(engine, expire_on_commit=False) as s:
        try:
            u, cases = build(s, evs, hzs)
            kind, x = as_of
            if kind == "near" and cases:
                i, after = x
                as_of_dt = cases[i % len(cases)]["start"] + timedelta(minutes=after)
            else:
                as_of_dt = T0 + timedelta(minutes=x if kind == "abs" else 0)
            code = {v.id: k for k, v in u.items()}
            m0, m1 = month_of(T0), month_of(T0 + timedelta(minutes=SPAN_MIN))

            # (b) rollups + raw month == the definition, for each top unit and its children
            for top in TOPS:
                unit = kq.get_unit(s, top)
                got = {(code[k] if k is not None else None, m, kd, t): v
                       for (k, m, kd, t), v in kq.case_counts(s, unit, m0, m1, as_of_dt).items() if v != (0, 0)}
                assert got == expected_counts(cases, top, as_of_dt), (top, as_of_dt)

            # (c) the raw definition per district over the whole span
            for kind_ in ("event", "hazard"):
                raw = ev.in_time_counts(s, kind=kind_, unit_col="district_id", unit_ids=[u["D1"].id, u["D2"].id],
                                        start=T0, end=T0 + timedelta(minutes=SPAN_MIN), as_of=as_of_dt)
                want = {}
                for (key, _m, kd, _t), (k, n) in expected_counts(cases, "C", as_of_dt).items():
                    if kd == kind_:
                        a, b = want.get(key, (0, 0))
                        want[key] = (a + k, b + n)
                assert {code[i]: (v.k, v.n) for i, v in raw.items() if v.n} == want

            # (d) quantiles, per tier and overall, for the city and D1
            for top in ("C", "D1"):
                q = kq.response_quantiles(s, kq.get_unit(s, top), T0, T0 + timedelta(minutes=SPAN_MIN), as_of_dt)
                answered = [c for c in cases if c["kind"] == "event" and c["alive"] and c["done"] is not None
                            and c["done"] <= as_of_dt and c["start"] <= as_of_dt
                            and child_under(top, c["grid"]) is not None]
                for tier in (None, "emergency", "urgent", "general"):
                    mins = [(c["done"] - c["start"]).total_seconds() / 60 for c in answered
                            if tier is None or c["tier"] == tier]
                    assert q[tier] == {0.5: nearest_rank(mins, 0.5), 0.9: nearest_rank(mins, 0.9)}, (top, tier)

            # (a) incremental == rebuilt (the cases only, then everything)
            incremental = rows(s)
            rollups.rebuild_cases(s)
            assert rows(s) == incremental
            rollups.rebuild(s)
            assert rows(s) == incremental
        finally:
            s.rollback()
