"""AppTest of 需求跟踪 (pages/needs.py): scope, filters from the URL, a step writes history and audit,
a concurrent edit is refused without losing anything, read-only roles get no buttons.

The needs are written here, in the tiny city (tiny_city.py), 'now' frozen at 2026-03-15 10:00:
    NA  G1  (officer's grid)  raised 03-13 08:00 → due 03-15 08:00: 2 h overdue
    NB  G1                   raised 03-13 20:00 → due 03-15 20:00: 10 h left (near, ≤ 12 h)
    NC  G1B (same district)  raised 03-15 09:00 → due 03-17 09:00: 47 h left (clock running)
    ND  G2  (other district) raised 03-14 10:00 → due 03-16 10:00: 24 h left
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from pagerun import open_page
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from tiny_city import TODAY

from data_access.core.db import make_engine
from data_access.core.models import AuditLog
from data_access.fieldwork import needs as svc
from data_access.fieldwork.models import Household, Need, NeedEvent
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "pages" / "needs.py")
NOW = datetime.fromisoformat(TODAY)
NEEDS = {  # code: (household, raised at)
    "NA": ("H-G1-0", datetime(2026, 3, 13, 8, 0)),
    "NB": ("H-G1-1", datetime(2026, 3, 13, 20, 0)),
    "NC": ("H-G1B-0", datetime(2026, 3, 15, 9, 0)),
    "ND": ("H-G2-0", datetime(2026, 3, 14, 10, 0)),
}


@pytest.fixture
def needs_env(app_env):
    eng = make_engine(app_env)
    with Session(eng) as s:
        for code, (hh, raised) in NEEDS.items():
            h = s.exec(select(Household).where(Household.code == hh)).one()
            svc.create_need(session=s, user="admin", household_id=h.id, category="lighting", now=NOW,
                            created_at=raised, code=code, description=f"路灯坏了 {code}")
        s.commit()
    yield app_env, eng
    eng.dispose()


def run(username: str, **params) -> AppTest:
    return open_page(SCRIPT, username, query=params)


def listed(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["编号"])


def need(eng, code: str) -> Need:
    with Session(eng) as s:
        return s.exec(select(Need).where(Need.code == code)).one()


def events(eng, code: str) -> list[tuple[str, str, str | None]]:
    with Session(eng) as s:
        n = s.exec(select(Need).where(Need.code == code)).one()
        return [(e.username, e.action, e.to_status) for e in
                s.exec(select(NeedEvent).where(NeedEvent.need_id == n.id).order_by(NeedEvent.id))]


def audits(eng, action: str) -> list[tuple[str, str]]:
    with Session(eng) as s:
        return [(a.username, a.entity_id) for a in s.exec(select(AuditLog).where(AuditLog.action == action))]


def test_officer_sees_only_their_grids_needs_most_urgent_first(needs_env):
    at = run("officer")
    assert listed(at) == ["NA", "NB"]  # G1 only; sorted by raise time = due time
    table = at.dataframe[0].value.set_index("编号")
    # hours left computed by hand from the raise times: due 03-15 08:00 and 20:00, now 10:00
    assert table.loc["NA", "剩余时间"] == "已逾期 2.0 小时"
    assert table.loc["NB", "剩余时间"] == "剩余 10.0 小时"
    assert table.loc["NA", "时限状态"] == "逾期" and table.loc["NB", "时限状态"] == "临近"


def test_district_leader_sees_the_district_and_the_overdue_filter_comes_from_the_url(needs_env):
    assert listed(run("district")) == ["NA", "NB", "NC"]  # not ND (other district)
    at = run("district", deadline="overdue")
    assert listed(at) == ["NA"]
    assert at.selectbox(key="needs_deadline_zh").value == "overdue"
    assert listed(run("district", deadline="near")) == ["NB"]


def test_accepting_a_need_writes_a_need_event_and_an_audit_row(needs_env):
    _url, eng = needs_env
    at = run("officer", need="NA")
    assert at.selectbox(key="needs_pick_zh").value == need(eng, "NA").id
    labels = {b.key: b.label for b in at.button}
    assert labels["need_act_accept"] == "受理"
    at.button(key="need_act_accept").click().run()
    assert not at.exception
    n = need(eng, "NA")
    assert (n.status, n.version, n.responded_at) == ("accepted", 2, NOW)
    assert events(eng, "NA")[-1] == ("officer", "accept", "accepted")
    assert ("officer", "NA") in audits(eng, "need.accept")
    assert [s.value for s in at.success] == ["NA 已完成：受理。"]
    assert "need_act_start" in [b.key for b in at.button]  # the next step is offered now


def test_concurrent_edit_is_refused_and_nothing_is_lost(needs_env):
    _url, eng = needs_env
    at = run("officer", need="NA")
    seen = need(eng, "NA").version
    at.text_area(key=f"need_note_{need(eng, 'NA').id}").input("住户不在家，已电话联系")
    # someone else accepts the need behind the page's back
    with Session(eng) as s:
        svc.transition(session=s, user="district", need_id=need(eng, "NA").id, action="accept",
                       expected_version=seen, now=NOW)
        s.commit()
    at.button(key="need_act_withdraw").click().run()
    assert not at.exception
    warn = [w.value for w in at.warning]
    assert warn == [CATALOGUE["needs.conflict"]["zh"].format(status="已受理", v=seen + 1)]
    n = need(eng, "NA")
    assert (n.status, n.version) == ("accepted", seen + 1)  # the other person's change stands
    assert [e[0:2] for e in events(eng, "NA")] == [("admin", "create"), ("district", "accept")]
    assert audits(eng, "need.withdraw") == []
    assert at.text_area(key=f"need_note_{n.id}").value == "住户不在家，已电话联系"  # the typed note is kept
    assert "need_act_start" in [b.key for b in at.button]  # fresh state: the steps of 'accepted'
    # the second attempt, now holding the fresh version, goes through
    at.button(key="need_act_withdraw").click().run()
    assert need(eng, "NA").status == "withdrawn"
    assert events(eng, "NA")[-1] == ("officer", "withdraw", "withdrawn")


def test_resolve_without_a_note_is_refused_with_a_message(needs_env):
    _url, eng = needs_env
    with Session(eng) as s:
        n = s.exec(select(Need).where(Need.code == "NB")).one()
        for step, v in (("accept", 1), ("start", 2)):
            svc.transition(session=s, user="officer", need_id=n.id, action=step, expected_version=v, now=NOW)
        s.commit()
    at = run("officer", need="NB")
    at.button(key="need_act_resolve").click().run()
    assert at.error and need(eng, "NB").status == "in_progress"


def test_coordinator_reads_but_gets_no_action_buttons(needs_env):
    at = run("coord", need="NA")
    assert listed(at) == ["NA", "NB", "ND", "NC"]  # the whole city, by due time
    assert not [b for b in at.button if str(b.key).startswith("need_")]
    assert not at.text_area
    assert CATALOGUE["needs.read_only"]["zh"] in [i.value for i in at.info]
    assert any(m.value.startswith("- **住户**") for m in at.markdown)  # the detail is shown


def test_out_of_scope_unit_in_the_url_falls_back(needs_env):
    at = run("officer", unit="G2")
    assert listed(at) == ["NA", "NB"]
    assert [w.value for w in at.warning] == [CATALOGUE["auth.out_of_scope"]["zh"]]


def test_closed_needs_are_hidden_by_default_and_shown_with_status_all(needs_env):
    _url, eng = needs_env
    with Session(eng) as s:
        svc.transition(session=s, user="officer", need_id=need(eng, "NB").id, action="withdraw", expected_version=1,
                       now=NOW, note="居民撤回")
        s.commit()
    assert listed(run("officer")) == ["NA"]  # default: the statuses still in work
    at = run("officer", status="all")
    assert listed(at) == ["NA", "NB"]
    assert at.dataframe[0].value.set_index("编号").loc["NB", "时限状态"] == "不计时"
    assert listed(run("officer", status="withdrawn")) == ["NB"]


def test_english_screen_has_english_labels(needs_env):
    import re

    cjk = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
    at = AppTest.from_file(SCRIPT, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "district"
    at.session_state["lang"] = "en"
    at.query_params["need"] = "NA"
    at.run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("Code")
    assert table.loc["NA", "Deadline"] == "Overdue" and table.loc["NA", "Category"] == "Lighting"
    labels = ([at.title[0].value] + [w.label for w in (*at.selectbox, *at.multiselect, *at.button, *at.text_area)]
              + [c.value for c in at.caption] + list(at.dataframe[0].value.columns) + list(at.dataframe[1].value.columns))
    assert [x for x in labels if cjk.search(str(x))] == []


def test_a_need_that_leaves_the_filtered_list_still_reports_the_outcome(needs_env):
    _url, eng = needs_env
    at = run("district", deadline="overdue", need="NA")
    assert listed(at) == ["NA"]
    at.button(key="need_act_accept").click().run()
    assert not at.exception
    assert need(eng, "NA").status == "accepted"
    assert [s.value for s in at.success] == ["NA 已完成：受理。"]  # shown although NA left the overdue list
    assert CATALOGUE["needs.empty"]["zh"] in [i.value for i in at.info]
    at.selectbox(key="needs_deadline_zh").set_value("near").run()  # NB only; the link still names NA
    assert listed(at) == ["NB"]
    assert CATALOGUE["needs.gone"]["zh"].format(code="NA") in [i.value for i in at.info]
