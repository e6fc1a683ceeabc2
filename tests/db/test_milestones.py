"""data_access.programme.milestones on SQLite and PostgreSQL: optimistic-locked, audited updates and the
pilot-vs-rest monthly counts from the rollups (hand-built tiny data)."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session, select

from data_access.core.errors import ConcurrentEdit, ValidationError
from data_access.core.models import AuditLog
from data_access.fieldwork.models import SpotCheck
from data_access.fieldwork.records import add_check
from data_access.org.units import add_org_unit, move_grid
from data_access.programme import milestones as ms
from data_access.programme.models import Milestone
from factories import household


def _milestone(session: Session, code: str = "T-1", due: date = date(2024, 6, 30)) -> Milestone:
    m = Milestone(code=code, title_zh="测试里程碑", title_en="Test milestone", due=due, owner="市局", status="planned",
                  source="seed-009 §1")
    session.add(m)
    session.commit()
    return m


def _audits(session: Session, code: str) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(AuditLog.action == "milestone.update",
                                                    AuditLog.entity_id == code).order_by(AuditLog.id)).all())


def test_update_persists_bumps_version_and_audits(session):
    m = _milestone(session)
    row = ms.update(session, m.id, 1, "coord", "done", "  会议纪要 2024-06-28  ", today=date(2024, 7, 2))
    session.commit()
    assert (row.status, row.evidence, row.version, row.done_on) == ("done", "会议纪要 2024-06-28", 2, date(2024, 7, 2))
    stored = session.get(Milestone, m.id)
    session.refresh(stored)
    assert (stored.status, stored.evidence, stored.version) == ("done", "会议纪要 2024-06-28", 2)
    (a,) = _audits(session, "T-1")
    assert a.username == "coord" and a.entity == "milestone"
    detail = json.loads(a.detail)
    assert detail["status"] == "done" and detail["status_before"] == "planned" and detail["version"] == 2
    assert "会议纪要" not in a.detail  # the evidence text itself stays out of the log

    # back to in progress: done_on cleared, a second audit row
    row = ms.update(session, m.id, 2, "admin", "in_progress", "", today=date(2024, 7, 3))
    session.commit()
    assert (row.status, row.evidence, row.done_on, row.version) == ("in_progress", None, None, 3)
    assert [x.username for x in _audits(session, "T-1")] == ["coord", "admin"]


def test_stale_version_is_a_concurrent_edit_and_writes_nothing(session):
    m = _milestone(session)
    ms.update(session, m.id, 1, "coord", "in_progress", "first editor")
    session.commit()
    with pytest.raises(ConcurrentEdit):
        ms.update(session, m.id, 1, "admin", "done", "second editor read version 1")
    session.rollback()
    stored = session.get(Milestone, m.id)
    session.refresh(stored)
    assert (stored.status, stored.evidence, stored.version) == ("in_progress", "first editor", 2)
    assert [x.username for x in _audits(session, "T-1")] == ["coord"]


def test_update_refuses_late_or_unknown_status_and_overlong_evidence(session):
    m = _milestone(session)
    with pytest.raises(ValidationError) as e:
        ms.update(session, m.id, 1, "coord", "late", None)  # late is derived, never stored
    assert e.value.code == "choice"
    with pytest.raises(ValidationError) as e:
        ms.update(session, m.id, 1, "coord", "done", "x" * (ms.EVIDENCE_MAX + 1))
    assert e.value.code == "too_long"
    session.rollback()
    assert _audits(session, "T-1") == []


def test_list_milestones_sorted_by_due_with_plan(session):
    _milestone(session, "T-B", date(2025, 3, 31))
    _milestone(session, "T-A", date(2024, 1, 31))
    rows = [r for r in ms.list_milestones(session=session) if r.code.startswith("T-")]
    assert [r.code for r in rows] == ["T-A", "T-B"]
    assert rows[0].plan == "seed-009" and rows[0].version == 1
    all_rows = ms.list_milestones(session=session)
    assert [r.due for r in all_rows] == sorted(r.due for r in all_rows)


# --- pilot vs rest ---------------------------------------------------------------------------

def _checks(session, grid, on: date, n: int, ok: int) -> None:
    hh = household(session, grid)
    for i in range(n):
        add_check(session=session, check=SpotCheck(code=f"K-{grid.code}-{on:%Y%m}-{i}", household_id=hh.id,
                                                   checked_on=on, accurate=i < ok))


def _world(session):
    """City C: pilot district D1 (grid G1), district D2 (grids G2, G3); G3 moves to D1's community from 2024-01."""
    c = add_org_unit(session=session, code="C", level="city", name_zh="市", parent=None)
    d1 = add_org_unit(session=session, code="D1", level="district", name_zh="一区", parent=c, pilot=True)
    d2 = add_org_unit(session=session, code="D2", level="district", name_zh="二区", parent=c)
    s1 = add_org_unit(session=session, code="S1", level="station", name_zh="所一", parent=d1)
    s2 = add_org_unit(session=session, code="S2", level="station", name_zh="所二", parent=d2)
    k1 = add_org_unit(session=session, code="K1", level="community", name_zh="社区一", parent=s1)
    k2 = add_org_unit(session=session, code="K2", level="community", name_zh="社区二", parent=s2)
    g1 = add_org_unit(session=session, code="G1", level="grid", name_zh="网格一", parent=k1)
    g2 = add_org_unit(session=session, code="G2", level="grid", name_zh="网格二", parent=k2)
    g3 = add_org_unit(session=session, code="G3", level="grid", name_zh="网格三", parent=k2)
    move_grid(session=session, grid=g3, community=k1, from_month=202401, username="admin")
    _checks(session, g1, date(2023, 5, 10), 2, 1)
    _checks(session, g2, date(2023, 5, 11), 4, 2)
    _checks(session, g3, date(2023, 5, 12), 1, 1)  # G3 still in D2 → rest
    _checks(session, g1, date(2024, 3, 1), 3, 3)
    _checks(session, g3, date(2024, 3, 2), 2, 1)  # G3 in D1 now → pilot
    _checks(session, g2, date(2024, 3, 3), 2, 1)
    _checks(session, g2, date(2024, 6, 3), 5, 5)  # in the before_month: left out
    session.commit()


def test_pilot_monthly_counts_by_group_and_month(session):
    _world(session)
    rows = ms.pilot_monthly_counts(session=session, scope_code="C", m0=202301, m1=202412, before_month=202406,
                                   metrics=("checks", "checks_ok"))
    got = {(m, g, metric): n for m, g, metric, n in rows}
    assert got == {
        (202305, "pilot", "checks"): 2, (202305, "pilot", "checks_ok"): 1,
        (202305, "rest", "checks"): 4 + 1, (202305, "rest", "checks_ok"): 2 + 1,
        (202403, "pilot", "checks"): 3 + 2, (202403, "pilot", "checks_ok"): 3 + 1,
        (202403, "rest", "checks"): 2, (202403, "rest", "checks_ok"): 1,
    }
    # the June check counts once its month is complete
    later = ms.pilot_monthly_counts(session=session, scope_code="C", m0=202406, m1=202406, before_month=202407,
                                    metrics=("checks",))
    assert later == [(202406, "rest", "checks", 5)]


def test_pilot_counts_inside_a_district_scope_and_scope_groups(session):
    _world(session)
    rows = ms.pilot_monthly_counts(session=session, scope_code="D2", m0=202301, m1=202412, before_month=202406,
                                   metrics=("checks",))
    assert rows == [(202305, "rest", "checks", 5), (202403, "rest", "checks", 2)]
    assert ms.scope_groups(session=session, scope_code="C") == {"pilot", "rest"}
    assert ms.scope_groups(session=session, scope_code="D1") == {"pilot"}
    assert ms.scope_groups(session=session, scope_code="K2") == {"rest"}
    assert ms.scope_groups(session=session, scope_code="nope") == set()
