"""AppTest of 事件与隐患 (pages/events.py) in the tiny city, 'now' frozen at 2026-03-15 10:00.

Events written here (limits: emergency 5 min, urgent 15 min, general 2 h):
    EA  G1   general  reported 07:00 → due 09:00: 1 h past (2 h limit: not yet twice) → station list
    EB  G1   urgent   reported 09:50 → due 10:05: 5 min left (more than a fifth of 15 min)
    EC  G2   urgent   reported 09:00 → due 09:15: 45 min past, over twice the limit → district list (listed first)
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pagerun import open_page
from sqlmodel import Session, select
from tiny_city import TODAY

from data_access.core.db import make_engine
from data_access.core.models import AuditLog
from data_access.fieldwork import events as ev
from data_access.fieldwork.models import GridEvent, GridEventStep
from data_access.org.models import OrgUnit
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "pages" / "events.py")
NOW = datetime.fromisoformat(TODAY)
EVENTS = {"EA": ("G1", "general", NOW - timedelta(hours=3)), "EB": ("G1", "urgent", NOW - timedelta(minutes=10)),
          "EC": ("G2", "urgent", NOW - timedelta(hours=1))}


@pytest.fixture
def events_env(app_env):
    eng = make_engine(app_env)
    with Session(eng) as s:
        for code, (grid, tier, at) in EVENTS.items():
            g = s.exec(select(OrgUnit).where(OrgUnit.code == grid)).one()
            ev.report_event(session=s, user="admin", grid_id=g.id, tier=tier, category="dispute", channel="resident",
                            now=NOW, created_at=at, code=code)
        s.commit()
    yield eng
    eng.dispose()


def listed(at) -> list[str]:
    return list(at.dataframe[0].value["编号"])


def event(eng, code: str) -> GridEvent:
    with Session(eng) as s:
        return s.exec(select(GridEvent).where(GridEvent.code == code)).one()


def test_the_district_leader_sees_the_districts_open_events_most_overdue_first(events_env):
    at = open_page(SCRIPT, "district")
    assert listed(at) == ["EA", "EB"]  # not EC (other district)
    table = at.dataframe[0].value.set_index("编号")
    assert table.loc["EA", "剩余"] == "超时 60 分钟" and table.loc["EA", "督办"] == "派出所"
    assert table.loc["EB", "剩余"] == "剩 5 分钟" and table.loc["EB", "督办"] == ""
    assert at.caption[1].value == CATALOGUE["events.count"]["zh"].format(n=2, late=1, district=0, near=0)


def test_the_city_leader_sees_the_district_escalation_and_can_filter_it(events_env):
    at = open_page(SCRIPT, "city")
    assert listed(at) == ["EC", "EA", "EB"]
    assert at.dataframe[0].value.set_index("编号").loc["EC", "督办"] == "分局"
    at.toggle(key="ev_escalated").set_value(True).run()
    assert listed(at) == ["EC", "EA"]


def test_an_officer_reports_an_urgent_event_once_even_when_sent_twice(events_env):
    at = open_page(SCRIPT, "officer")
    at.selectbox(key="ev_tier_zh").set_value("urgent")
    at.selectbox(key="ev_cat_zh").set_value("fire_safety")
    at.text_area(key="ev_desc").input("楼道堆放杂物堵塞消防通道")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    with Session(events_env) as s:
        new = s.exec(select(GridEvent).where(GridEvent.category == "fire_safety")).all()
        assert len(new) == 1
        e = new[0]
        assert (e.tier, e.created_at, e.due_at, e.channel) == ("urgent", NOW, NOW + timedelta(minutes=15),
                                                              "grid_worker")
        assert s.exec(select(AuditLog).where(AuditLog.action == "event.create",
                                             AuditLog.entity_id == e.code)).one().username == "officer"
    assert at.success[0].value == CATALOGUE["events.saved"]["zh"].format(code=e.code, due="03-15 10:15")
    # the same content sent again (a double click, a second run): still one event
    at.button[0].click().run()
    with Session(events_env) as s:
        assert len(s.exec(select(GridEvent).where(GridEvent.category == "fire_safety")).all()) == 1


def test_accepting_writes_history_and_audit_and_a_concurrent_step_is_refused(events_env):
    at = open_page(SCRIPT, "officer", query={"case": f"event:{event(events_env, 'EA').id}"})
    seen = event(events_env, "EA").version
    with Session(events_env) as s:  # the district leader accepts it behind the page's back
        ev.event_step(session=s, user="district", event_id=event(events_env, "EA").id, action="accept",
                      expected_version=seen, now=NOW)
        s.commit()
    at.text_area(key=f"ev_note_{event(events_env, 'EA').id}").input("已联系双方")
    at.button(key="ev_act_withdraw").click().run()
    assert not at.exception
    assert at.warning[0].value == CATALOGUE["events.conflict"]["zh"].format(code="EA")
    e = event(events_env, "EA")
    assert (e.status, e.responded_at) == ("accepted", NOW)  # the other step stands
    with Session(events_env) as s:
        steps = [(x.username, x.action) for x in s.exec(select(GridEventStep).where(GridEventStep.event_id == e.id)
                                                         .order_by(GridEventStep.id))]
    assert steps == [("admin", "create"), ("district", "accept")]
    # EB, still open, takes the officer's accept
    at = open_page(SCRIPT, "officer", query={"case": f"event:{event(events_env, 'EB').id}"})
    at.button(key="ev_act_accept").click().run()
    eb = event(events_env, "EB")
    assert (eb.status, eb.response_seconds) == ("accepted", 600)
    with Session(events_env) as s:
        assert s.exec(select(AuditLog).where(AuditLog.action == "event.accept", AuditLog.entity_id == "EB")).one()


def test_a_coordinator_reads_without_forms_or_buttons(events_env):
    at = open_page(SCRIPT, "coord")
    assert listed(at) == ["EC", "EA", "EB"]
    assert not [b for b in at.button if (b.key or "").startswith("ev_act_")]
    assert at.info[-1].value == CATALOGUE["events.read_only"]["zh"]
    assert "ev_tier_zh" not in [s.key for s in at.selectbox]


def test_my_work_lists_the_officers_open_events_on_their_clocks(events_env):
    at = open_page(str(ROOT / "pages" / "my_work.py"), "officer")
    assert listed(at) == ["EA", "EB"]  # the officer's grid G1 only, the overdue one first
    assert at.subheader[0].value == CATALOGUE["mywork.cases"]["zh"].format(n=2)


def test_the_leader_sees_the_phase_time_limit_figures_by_hand(events_env):
    """At 10:00: EA (general, due 09:00, unanswered) is past its limit → counted, not in time; EB (due
    10:05) not yet; EC (other district) past its limit. D1: 0 of 1; the city: 0 of 2, D1 0/1, D2 0/1."""
    at = open_page(SCRIPT, "district")
    assert [(m.label, m.value) for m in at.metric][:2] == [("事件响应及时率（0/1）", "0.0%"), ("隐患整改及时率", "—")]
    at = open_page(SCRIPT, "city")
    assert (at.metric[0].label, at.metric[0].value) == ("事件响应及时率（0/2）", "0.0%")
    table = at.dataframe[1].value.set_index("单位")
    assert table.loc["东湖区", "事件响应及时率"] == "0.0%（0/1）" and table.loc["西山区", "事件响应及时率"] == "0.0%（0/1）"
