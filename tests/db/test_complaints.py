"""Privacy complaints: 24 h start and 7-working-day close clocks, steps, scope, locking."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from issue5_world import NOW, build
from sqlmodel import select

from data_access.core.errors import ConcurrentEdit, InvalidTransition, PermissionDenied, ValidationError
from data_access.core.models import AuditLog
from data_access.fieldwork import complaints


@pytest.mark.parametrize("received,due", [
    (datetime(2025, 6, 9, 10, 0), datetime(2025, 6, 18, 10, 0)),  # Monday → Wednesday of the next week
    (datetime(2025, 6, 13, 16, 0), datetime(2025, 6, 24, 16, 0)),  # Friday → Tuesday after next
    (datetime(2025, 6, 14, 9, 0), datetime(2025, 6, 24, 9, 0)),  # Saturday: counting starts Monday
])
def test_close_deadline_in_working_days(received, due):
    assert complaints.add_working_days(received, 7) == due


def test_complaint_lifecycle_and_clocks(session):
    w = build(session)
    received = datetime(2025, 6, 9, 10, 0)
    c = complaints.receive(session=session, user=w.users["coord"], received_at=received, org_unit_id=w.units["G1"].id,
                           summary="居民反映走访时被询问收入情况", now=received + timedelta(minutes=5))
    assert (c.status, c.start_due_at, c.close_due_at) == ("received", datetime(2025, 6, 10, 10, 0),
                                                          datetime(2025, 6, 18, 10, 0))
    k = complaints.clock(c, datetime(2025, 6, 10, 5, 0))
    assert (k.start_overdue, k.start_near, k.close_overdue) == (False, True, False)
    assert complaints.clock(c, datetime(2025, 6, 10, 10, 1)).start_overdue is True
    with pytest.raises(PermissionDenied):  # coordinators take complaints in but do not handle them
        complaints.start_investigation(session=session, user=w.users["coord"], complaint_id=c.id,
                                       expected_version=1, now=received + timedelta(hours=3))
    with pytest.raises(PermissionDenied):
        complaints.start_investigation(session=session, user=w.users["dl2"], complaint_id=c.id,
                                       expected_version=1, now=received + timedelta(hours=3))
    with pytest.raises(InvalidTransition):
        complaints.close(session=session, user=w.users["dl1"], complaint_id=c.id, expected_version=1,
                         result="x", now=received + timedelta(hours=3))
    c = complaints.start_investigation(session=session, user=w.users["dl1"], complaint_id=c.id, expected_version=1,
                                       now=received + timedelta(hours=3))
    assert (c.status, c.started_at, c.handler_id, c.version) == ("in_progress", received + timedelta(hours=3),
                                                                 w.users["dl1"].id, 2)
    with pytest.raises(ConcurrentEdit):
        complaints.close(session=session, user=w.users["admin"], complaint_id=c.id, expected_version=1,
                         result="已核实并整改", now=NOW)
    late = datetime(2025, 6, 19, 9, 0)
    c = complaints.close(session=session, user=w.users["admin"], complaint_id=c.id, expected_version=2,
                         result="已核实，对民警进行提醒谈话", now=late)
    k = complaints.clock(c, late)
    assert (c.status, k.start_overdue, k.close_overdue) == ("closed", False, True)
    details = " ".join(r.detail or "" for r in session.exec(select(AuditLog)
                                                             .where(AuditLog.entity == "privacy_complaint")))
    assert "收入" not in details and "谈话" not in details


def test_list_overdue_within_scope(session):
    w = build(session)
    t0 = datetime(2025, 6, 2, 9, 0)
    a = complaints.receive(session=session, user=w.users["admin"], received_at=t0, org_unit_id=w.units["G1"].id,
                           summary="一", now=t0)
    b = complaints.receive(session=session, user=w.users["admin"], received_at=NOW - timedelta(hours=2),
                           org_unit_id=w.units["G1"].id, summary="二", now=NOW)
    c = complaints.receive(session=session, user=w.users["admin"], received_at=t0, org_unit_id=w.units["G3"].id,
                           summary="三", now=t0)
    assert [r.id for r in complaints.list_complaints(session=session, user=w.users["dl1"], now=NOW)] == [a.id, b.id]
    assert [r.id for r in complaints.list_complaints(session=session, user=w.users["cl"], now=NOW,
                                                     overdue_only=True)] == [a.id, c.id]
    with pytest.raises(ValidationError):
        complaints.receive(session=session, user=w.users["admin"], received_at=NOW + timedelta(hours=1),
                           org_unit_id=w.units["G1"].id, summary="未来", now=NOW)
    with pytest.raises(PermissionDenied):
        complaints.receive(session=session, user=w.users["dl1"], received_at=NOW, org_unit_id=w.units["G3"].id,
                           summary="越权", now=NOW)
