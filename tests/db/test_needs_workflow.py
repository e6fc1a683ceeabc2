"""Needs: state machine by role and scope, history and audit, 48 h deadlines, optimistic locking."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from issue5_world import NOW, build
from sqlmodel import Session, func, select

import factories as f
from data_access.core.errors import ConcurrentEdit, InvalidTransition, PermissionDenied, ValidationError
from data_access.core.models import AuditLog
from data_access.fieldwork import needs
from data_access.fieldwork.models import Need, NeedEvent

H = timedelta(hours=1)


def _need_at(s: Session, hh, status: str, created: datetime = NOW - 5 * H) -> Need:
    responded = created + H if status != "open" else None
    resolved = created + 2 * H if status in ("resolved", "confirmed") else None
    return f.need(s, hh, created, status=status, responded_at=responded, resolved_at=resolved)


def test_full_lifecycle_sets_times_writes_history_and_audit(session):
    w = build(session)
    off = w.users["off1"]
    n = needs.create_need(session=session, user=off, household_id=w.hh["h1"].id, category="lighting",
                          description="楼道灯坏了", now=NOW)
    assert (n.status, n.version, n.responded_at) == ("open", 1, None)
    t1, t2, t3, t4 = NOW + 2 * H, NOW + 3 * H, NOW + 20 * H, NOW + 30 * H
    n = needs.transition(session=session, user=off, need_id=n.id, action="accept", expected_version=1, now=t1)
    assert (n.status, n.responded_at, n.sla_ok) == ("accepted", t1, True)
    n = needs.transition(session=session, user=off, need_id=n.id, action="start", expected_version=2, now=t2)
    assert n.responded_at == t1  # only the first step out of open responds
    n = needs.transition(session=session, user=off, need_id=n.id, action="resolve", expected_version=3, now=t3,
                         note="已报修，灯已更换")
    assert (n.status, n.resolved_at, n.note) == ("resolved", t3, "已报修，灯已更换")
    n = needs.transition(session=session, user=off, need_id=n.id, action="confirm", expected_version=4, now=t4)
    assert (n.status, n.version, n.resolved_month) == ("confirmed", 5, 202506)

    events = needs.history(session=session, user=w.users["dl1"], need_id=n.id)
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("create", None, "open"), ("accept", "open", "accepted"), ("start", "accepted", "in_progress"),
        ("resolve", "in_progress", "resolved"), ("confirm", "resolved", "confirmed")]
    assert all(e.username == "off1" for e in events)
    actions = session.exec(select(AuditLog.action).where(AuditLog.entity == "need", AuditLog.entity_id == n.code)
                           ).all()
    for a in ("need.create", "need.accept", "need.start", "need.resolve", "need.confirm"):
        assert a in actions


# (user, need's household, action, status before, expected: "ok" or the exception type)
ROLE_CASES = [
    ("off1", "h1", "accept", "open", "ok"),
    ("off1", "h1", "confirm", "resolved", "ok"),
    ("off2", "h1", "accept", "open", PermissionDenied),  # another grid's officer
    ("off1", "h3", "withdraw", "open", PermissionDenied),  # another district
    ("dl1", "h1", "accept", "open", "ok"),
    ("dl1", "h2", "resolve", "in_progress", "ok"),
    ("dl1", "h1", "confirm", "resolved", PermissionDenied),  # the officer records the resident's confirmation
    ("dl2", "h1", "accept", "open", PermissionDenied),
    ("dl2", "h3", "mark_duplicate", "accepted", "ok"),
    ("cl", "h3", "start", "accepted", "ok"),
    ("cl", "h1", "confirm", "resolved", PermissionDenied),
    ("admin", "h2", "confirm", "resolved", "ok"),
    ("admin", "h3", "reopen", "resolved", "ok"),
    ("coord", "h1", "accept", "open", PermissionDenied),  # read-only
    ("coord", "h1", "withdraw", "open", PermissionDenied),
]


@pytest.mark.parametrize("who,hh,action,status,expected", ROLE_CASES)
def test_who_may_take_which_step(session, who, hh, action, status, expected):
    w = build(session)
    n = _need_at(session, w.hh[hh], status)
    other = _need_at(session, w.hh[hh], "open")
    kw = dict(session=session, user=w.users[who], need_id=n.id, action=action, expected_version=1, now=NOW,
              note="说明情况" if action in needs.NOTE_REQUIRED else None,
              duplicate_of=other.id if action == "mark_duplicate" else None)
    if expected == "ok":
        out = needs.transition(**kw)
        assert out.status == needs.TRANSITIONS[action][1]
        assert out.version == 2
    else:
        with pytest.raises(expected):
            needs.transition(**kw)
        session.refresh(n)
        assert (n.status, n.version) == (status, 1)


ALLOWED = {("open", "accept"), ("accepted", "start"), ("in_progress", "resolve"), ("resolved", "confirm"),
           ("resolved", "reopen")} | {(s, a) for s in ("open", "accepted", "in_progress", "resolved")
                                      for a in ("withdraw", "mark_duplicate")}
STATUSES = ("open", "accepted", "in_progress", "resolved", "confirmed", "withdrawn", "duplicate")


def test_transition_table_from_every_status(session):
    w = build(session)
    for status in STATUSES:
        for action in needs.TRANSITIONS:
            n = _need_at(session, w.hh["h1"], status)
            other = _need_at(session, w.hh["h1"], "open")
            kw = dict(session=session, user=w.users["admin"], need_id=n.id, action=action, expected_version=1,
                      now=NOW, note="原因说明", duplicate_of=other.id)
            if (status, action) in ALLOWED:
                assert needs.transition(**kw).status == needs.TRANSITIONS[action][1], (status, action)
            else:
                with pytest.raises(InvalidTransition):
                    needs.transition(**kw)
                assert session.get(Need, n.id).status == status


def test_withdraw_is_not_a_response_and_reopen_clears_resolution(session):
    w = build(session)
    off = w.users["off1"]
    n = _need_at(session, w.hh["h1"], "open")
    n = needs.transition(session=session, user=off, need_id=n.id, action="withdraw", expected_version=1, now=NOW,
                         note="居民撤回")
    assert (n.status, n.responded_at, n.counted) == ("withdrawn", None, False)
    m = _need_at(session, w.hh["h1"], "resolved")
    assert m.resolved_at is not None
    m = needs.transition(session=session, user=off, need_id=m.id, action="reopen", expected_version=1, now=NOW,
                         note="居民表示灯仍不亮")
    assert (m.status, m.resolved_at, m.resolved_month) == ("in_progress", None, None)


def test_note_required_and_stale_version_refused(session):
    w = build(session)
    n = _need_at(session, w.hh["h1"], "in_progress")
    with pytest.raises(ValidationError) as e:
        needs.transition(session=session, user=w.users["off1"], need_id=n.id, action="resolve",
                         expected_version=1, now=NOW, note="   ")
    assert (e.value.field, e.value.code) == ("note", "required")
    with pytest.raises(ConcurrentEdit):
        needs.transition(session=session, user=w.users["off1"], need_id=n.id, action="resolve",
                         expected_version=7, now=NOW, note="done")
    assert session.get(Need, n.id).status == "in_progress"


def test_assign_only_to_someone_whose_scope_covers_the_need(session):
    w = build(session)
    n = _need_at(session, w.hh["h1"], "accepted")
    with pytest.raises(ValidationError) as e:
        needs.assign(session=session, user=w.users["dl1"], need_id=n.id, assignee_id=w.users["off2"].id,
                     expected_version=1, now=NOW)
    assert e.value.code == "out_of_scope"
    n = needs.assign(session=session, user=w.users["dl1"], need_id=n.id, assignee_id=w.users["off1"].id,
                     expected_version=1, now=NOW)
    assert (n.assignee_id, n.version) == (w.users["off1"].id, 2)


def _two_sessions_setup(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = build(s)
        n = _need_at(s, w.hh["h1"], "open")
        s.commit()
        return w, n.id


def test_concurrent_edit_second_editor_gets_conflict_and_first_change_stays(engine):
    w, nid = _two_sessions_setup(engine)
    off1, dl1 = w.users["off1"].id, w.users["dl1"].id
    with Session(engine) as a, Session(engine) as b:
        seen_a = a.get(Need, nid).version  # both screens show version 1
        seen_b = b.get(Need, nid).version
        needs.transition(session=a, user=off1, need_id=nid, action="accept", expected_version=seen_a,
                         now=NOW + H)
        a.commit()
        with pytest.raises(ConcurrentEdit):
            needs.transition(session=b, user=dl1, need_id=nid, action="withdraw", expected_version=seen_b,
                             now=NOW + 2 * H, note="重复提交")
        b.rollback()
    with Session(engine) as c:
        n = c.get(Need, nid)
        assert (n.status, n.responded_at, n.version) == ("accepted", NOW + H, 2)
        evs = c.exec(select(NeedEvent.action).where(NeedEvent.need_id == nid).order_by(NeedEvent.id)).all()
        assert evs == ["accept"]


def test_concurrent_edit_while_first_transaction_is_open(engine):
    """The second UPDATE waits for the first transaction (PostgreSQL row lock) and then finds the
    version changed; on SQLite the writer lock serialises them the same way."""
    w, nid = _two_sessions_setup(engine)
    off1, dl1 = w.users["off1"].id, w.users["dl1"].id
    outcome: dict = {}
    with Session(engine) as a:
        needs.transition(session=a, user=off1, need_id=nid, action="accept", expected_version=1, now=NOW + H)

        def second():
            with Session(engine) as b:
                try:
                    needs.transition(session=b, user=dl1, need_id=nid, action="withdraw", expected_version=1,
                                     now=NOW + 2 * H, note="重复提交")
                    b.commit()
                    outcome["result"] = "committed"
                except ConcurrentEdit:
                    b.rollback()
                    outcome["result"] = "conflict"
                except Exception as exc:  # e.g. SQLite "database is locked"
                    b.rollback()
                    outcome["result"] = type(exc).__name__

        t = threading.Thread(target=second)
        t.start()
        t.join(timeout=0.5)  # let it reach the lock (if it is still running)
        a.commit()
        t.join(timeout=30)
    assert outcome.get("result") in ("conflict", "OperationalError")
    with Session(engine) as c:
        n = c.get(Need, nid)
        assert (n.status, n.version) == ("accepted", 2)
        assert c.exec(select(func.count()).select_from(NeedEvent).where(NeedEvent.need_id == nid)).one() == 1


# --- deadlines (pure) ------------------------------------------------------------------------

def _n(created, responded=None, status="open"):
    return Need(code="x", household_id=1, grid_id=1, category="c", created_at=created, responded_at=responded,
                status=status)


@pytest.mark.parametrize("age,responded_after,overdue,near,met,remaining_h", [
    (timedelta(hours=10), None, False, False, None, 38.0),
    (timedelta(hours=35, minutes=59), None, False, False, None, 12 + 1 / 60),
    (timedelta(hours=36), None, False, True, None, 12.0),
    (timedelta(hours=47), None, False, True, None, 1.0),
    (timedelta(hours=48), None, False, True, None, 0.0),
    (timedelta(hours=49), None, True, False, False, -1.0),
    (timedelta(hours=60), timedelta(hours=47), False, False, True, 1.0),  # responded in time: clock frozen
    (timedelta(hours=60), timedelta(hours=50), True, False, False, -2.0),  # responded late
])
def test_deadline_helpers(age, responded_after, overdue, near, met, remaining_h):
    created = datetime(2025, 6, 1, 9, 0)
    n = _n(created, created + responded_after if responded_after else None,
           "accepted" if responded_after else "open")
    d = needs.deadline(n, created + age)
    assert d.due_at == datetime(2025, 6, 3, 9, 0)
    assert (d.overdue, d.near, d.met) == (overdue, near, met)
    assert needs.remaining_hours(n, created + age) == pytest.approx(remaining_h)


def test_withdrawn_need_has_no_running_clock():
    created = datetime(2025, 6, 1, 9, 0)
    d = needs.deadline(_n(created, status="withdrawn"), created + timedelta(days=5))
    assert (d.overdue, d.near) == (False, False)


def test_list_needs_scope_and_deadline_filters(session):
    w = build(session)
    late = f.need(session, w.hh["h1"], NOW - 50 * H)
    near = f.need(session, w.hh["h1"], NOW - 40 * H)
    fresh = f.need(session, w.hh["h1"], NOW - 2 * H)
    answered = f.need(session, w.hh["h1"], NOW - 50 * H, status="accepted", responded_at=NOW - 40 * H)
    other_grid = f.need(session, w.hh["h2"], NOW - 50 * H)
    other_district = f.need(session, w.hh["h3"], NOW - 50 * H)

    def ids(user, **kw):
        return [r.id for r in needs.list_needs(session=session, user=w.users[user], now=NOW, **kw)]

    assert ids("off1") == [late.id, answered.id, near.id, fresh.id]  # oldest first (id breaks the tie)
    assert ids("off1", deadline_filter="overdue") == [late.id]
    assert ids("off1", deadline_filter="near") == [near.id]
    assert ids("dl1", deadline_filter="overdue") == [late.id, other_grid.id]
    assert ids("cl", deadline_filter="overdue") == [late.id, other_grid.id, other_district.id]
    assert ids("off1", statuses=["accepted"]) == [answered.id]
    rows = needs.list_needs(session=session, user=w.users["coord"], now=NOW, deadline_filter="overdue")
    assert rows and all(r.actions == () for r in rows)  # coordinators see, but may not act
    assert needs.count_by_status(session=session, user=w.users["off1"]) == {"open": 3, "accepted": 1}


# --- a one-button alarm (紧急求助) runs on the emergency tier: 5 min, not 48 h (indicators.md) ---

M = timedelta(minutes=1)


@pytest.mark.parametrize("responded_after,ok", [(4 * M, True), (5 * M, True), (5 * M + timedelta(seconds=1), False),
                                                (2 * H, False)])
def test_an_alarm_need_is_in_time_only_within_five_minutes(session, responded_after, ok):
    w = build(session)
    created = NOW - 5 * H
    alarm = f.need(session, w.hh["h1"], created, status="accepted", responded_at=created + responded_after,
                   category="emergency_alarm")
    other = f.need(session, w.hh["h1"], created, status="accepted", responded_at=created + responded_after)
    assert alarm.sla_ok is ok
    assert other.sla_ok is True  # the same response time is well inside 48 h
    assert alarm.sla_due_at == min(created + responded_after, created + 5 * M)


def test_an_alarm_need_follows_the_emergency_limit_an_admin_set(session):
    from data_access.core.models import Setting
    w = build(session)
    session.add(Setting(key="time_limits", value='{"emergency": 10}'))
    session.flush()
    created = NOW - 5 * H
    n = f.need(session, w.hh["h1"], created, status="accepted", responded_at=created + 8 * M,
               category="emergency_alarm")
    assert n.sla_ok is True and n.sla_due_at == created + 8 * M
    assert needs.deadline(n, NOW, needs.need_limits(session=session)).due_at == created + 10 * M


def test_an_open_alarm_is_overdue_after_five_minutes_in_lists_and_on_my_work(session):
    from data_access.fieldwork import worklist
    w = build(session)
    alarm = f.need(session, w.hh["h1"], NOW - 6 * M, category="emergency_alarm")
    fresh_alarm = f.need(session, w.hh["h1"], NOW - 2 * M, category="emergency_alarm")
    ordinary = f.need(session, w.hh["h1"], NOW - 6 * M)
    overdue = [r.id for r in needs.list_needs(session=session, user=w.users["dl1"], now=NOW, deadline_filter="overdue")]
    near = [r.id for r in needs.list_needs(session=session, user=w.users["dl1"], now=NOW, deadline_filter="near")]
    assert alarm.id in overdue and fresh_alarm.id not in overdue and ordinary.id not in overdue
    assert fresh_alarm.id in near  # 3 minutes left: inside the 12 h "near" window
    d = needs.deadline(alarm, NOW, needs.need_limits(session=session))
    assert d.due_at == NOW - M and d.overdue
    items = {i.need_id: i for i in worklist.my_work(session=session, user=w.users["off1"], now=NOW, kinds=("need",))}
    assert items[alarm.id].bucket == "need_overdue" and items[fresh_alarm.id].bucket == "need_near"
    assert items[alarm.id].due_at == NOW - M
    assert ordinary.id not in items  # 47 h 54 min left: not yet on the list
