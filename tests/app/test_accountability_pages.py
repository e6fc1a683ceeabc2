"""AppTests of the accountability screens (issue 15) in the tiny city, 'now' frozen at 2026-03-15 10:00.

Lag list: the tiny city's February 2026 spot checks — G1 4 checks, 3 accurate, G1B 1 check, 0 accurate:
D1 (and its station S1) 3 of 5 = 60 % against the deepening target 95 %: gap 35, 35/95 = 36.8 % > 15 %
→ D1 and S1 lag on info_accuracy; G2 2 of 2 = 100 % → D2 and S2 do not.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from pagerun import open_page
from sqlmodel import Session, select
from tiny_city import TODAY

from data_access.core.db import make_engine
from data_access.core.models import AuditLog
from data_access.fieldwork import data_rights as dr
from data_access.fieldwork import residents
from data_access.fieldwork.models import DataRightsRequest, Household, Resident
from data_access.org.models import OrgUnit
from data_access.programme import incidents as inc
from data_access.programme import ledger
from data_access.programme.models import LagAction, RectificationItem, SecurityIncident
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
ACC = str(ROOT / "pages" / "accountability.py")
INC = str(ROOT / "pages" / "incidents.py")
RIGHTS = str(ROOT / "pages" / "data_rights.py")
NOW = datetime.fromisoformat(TODAY)
ID = "110101199001011234"


@pytest.fixture
def eng(app_env):
    e = make_engine(app_env)
    yield e
    e.dispose()


def unit(s, code):
    return s.exec(select(OrgUnit).where(OrgUnit.code == code)).one()


def button(at, key):
    return next(b for b in at.button if b.key == key)


def test_the_city_leader_derives_february_and_records_an_interview(eng):
    # February has ended and nobody derived it: the first leader to open the list derives it (month end)
    at = open_page(ACC, "city")
    assert not at.exception
    assert CATALOGUE["acc.no_months"]["zh"] not in [i.value for i in at.info]
    with Session(eng) as s:
        assert s.exec(select(AuditLog).where(AuditLog.action.like("lag.%"))).first() is not None
    # the button derives it again on demand: the same two entries, none added or removed
    button(at, "acc_derive").click().run()
    assert not at.exception
    assert CATALOGUE["acc.derived"]["zh"].format(month="2026-02", n=2, added=0, removed=0) in [
        s.value for s in at.success]
    table = at.dataframe[0].value
    assert set(table["单位"]) == {"东湖区", "东湖派出所"}
    assert set(table["指标"]) == {"信息准确率"} and set(table["实际"]) == {"60.0%"} and set(table["目标"]) == {"95.0%"}
    assert set(table["滞后幅度"]) == {"36.8%"} and set(table["连续月数"]) == {1}
    at.text_input(key="acc_who").input("市局副局长 周某")
    at.date_input(key="acc_held").set_value(date(2026, 3, 12))
    next(b for b in at.button if b.label == CATALOGUE["acc.record"]["zh"]).click().run()  # the form's submit
    assert not at.exception
    with Session(eng) as s:
        act = s.exec(select(LagAction)).one()
        assert (act.kind, act.held_on, act.who, act.recorded_by) == ("interview", date(2026, 3, 12), "市局副局长 周某",
                                                                     "city")
        item = s.exec(select(RectificationItem)).one()  # "also open a ledger item" is on by default
        assert (item.source, item.due) == ("lag", date(2026, 5, 11))
        assert s.exec(select(AuditLog).where(AuditLog.action == "lag.interview")).first() is not None
    at.run()
    assert "约谈主要负责人" in " ".join(at.dataframe[0].value["已采取措施"])


def test_the_district_leader_may_not_derive_and_sees_own_district_only(eng):
    with Session(eng) as s:
        from metrics.lag import derive_lag

        derive_lag(s, user="city", month=202602, now=NOW)
        s.commit()
    at = open_page(ACC, "district", lang="en")
    assert not [b for b in at.button if b.key == "acc_derive"]
    assert set(at.dataframe[0].value["Unit"]) == {"Donghu District", "Donghu Station"}


def test_ledger_overdue_first_close_needs_evidence(eng):
    with Session(eng) as s:
        a = ledger.create_item(session=s, user="city", source="inspection", org_unit_id=unit(s, "S1").id,
                               title="帮扶台账不全", due=date(2026, 4, 30), now=NOW)
        b = ledger.create_item(session=s, user="city", source="hazard", org_unit_id=unit(s, "S2").id,
                               title="消防通道堵塞", due=date(2026, 3, 1), now=NOW)
        s.commit()
        a_code, b_code, b_id = a.code, b.code, b.id
    at = open_page(ACC, "coord")
    table = next(d.value for d in at.dataframe if "编号" in d.value.columns)
    assert list(table["编号"]) == [b_code, a_code]
    assert list(table["状态"]) == ["逾期 14 天", "待整改"]
    at.selectbox(key="acc_item_zh").set_value(b_id).run()
    button(at, "acc_close").click().run()  # no evidence typed
    assert CATALOGUE["error.required"]["zh"] in " ".join(e.value for e in at.error)
    with Session(eng) as s:
        assert s.get(RectificationItem, b_id).status == "open"
    at.text_area(key=f"acc_evidence_{b_id}").input("已清理通道，街道复查合格")
    button(at, "acc_close").click().run()
    with Session(eng) as s:
        got = s.get(RectificationItem, b_id)
        assert (got.status, got.evidence, got.closed_by) == ("closed", "已清理通道，街道复查合格", "coord")


def test_incidents_show_the_three_clocks_and_record_a_step(eng):
    with Session(eng) as s:
        i = inc.register(session=s, user="coord", org_unit_id=unit(s, "S1").id, kind="data_leak", title="户籍数据外泄",
                         detected_at=NOW - timedelta(hours=30), now=NOW)
        inc.record_step(session=s, user="coord", incident_id=i.id, step="plan", at=NOW - timedelta(hours=29, minutes=20),
                        expected_version=1, now=NOW)
        s.commit()
        code, iid = i.code, i.id
    at = open_page(INC, "coord")
    row = at.dataframe[0].value.set_index("编号").loc[code]
    assert row["启动预案（1 小时）"].startswith("按时")  # 40 minutes after detection
    assert row["溯源分析（24 小时）"].startswith("已超时")  # 30 h and not done
    assert row["整改报告（7 天）"].startswith("计时中")
    assert not [b for b in at.button if b.key == "inc_confirm"]  # coordinators do not confirm a veto
    button(at, "inc_step").click().run()  # trace analysis done now: late
    with Session(eng) as s:
        got = s.get(SecurityIncident, iid)
        assert got.trace_done_at == NOW
    at = open_page(INC, "city")
    button(at, "inc_confirm").click().run()
    button(at, "inc_to_ledger").click().run()
    button(at, "inc_to_ledger").click().run()  # a second click does not add a second item
    with Session(eng) as s:
        assert s.get(SecurityIncident, iid).veto_event_id is not None
        items = s.exec(select(RectificationItem)).all()
        assert [(i.source, i.source_ref, i.title) for i in items] == [("security_incident", code,
                                                                       "安全事件整改：户籍数据外泄")]


def test_data_rights_admin_finds_records_and_erases(eng):
    with Session(eng) as s:
        hh = s.exec(select(Household).where(Household.code == "H-G1-0")).one()
        r = residents.add_resident(session=s, user="admin", household_id=hh.id, name="欧阳春", id_number=ID,
                                   phone="13600001111", now=NOW)
        s.commit()
        rid = r.id
    at = open_page(RIGHTS, "admin")
    at.text_input(key="rights_id").input(ID)
    button(at, "rights_search").click().run()
    assert CATALOGUE["rights.found"]["zh"].format(n=1) in [c.value for c in at.caption]
    assert at.text_input(key="rights_id").value == ""  # the number does not stay on screen
    at.selectbox(key="rights_kind").set_value("erasure")
    button(at, "rights_open").click().run()
    with Session(eng) as s:
        req = s.exec(select(DataRightsRequest)).one()
        assert (req.resident_id, req.kind, req.status) == (rid, "erasure", "open")
    table = at.dataframe[0].value
    assert list(table["居民"]) == ["欧**"]
    at.checkbox(key=f"rights_sure_{req.id}").check()
    at.text_area(key=f"rights_decision_{req.id}").input("身份已核实，同意删除")
    at.run()
    button(at, "rights_erase").click().run()
    assert not at.exception
    with Session(eng) as s:
        r = s.get(Resident, rid)
        assert (r.name, r.id_number_hash, r.phone_enc) == (dr.ERASED_NAME, None, None)
        req = s.get(DataRightsRequest, req.id)
        assert (req.status, req.decided_on, req.decision_note) == ("done", NOW.date(), "身份已核实，同意删除")


@pytest.mark.parametrize("who", ["city", "district", "coord", "officer"])
def test_data_rights_is_for_admins_only(eng, who):
    at = open_page(RIGHTS, who)
    assert not [b for b in at.button if b.key == "rights_search"]
