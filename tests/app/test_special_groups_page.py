"""AppTest of 重点人员 (pages/special_groups.py): scope, next-visit-due and overdue flags, a level change
needs a reason and is audited, a reveal is audited without the value and shown once.

Written here on the tiny city (now 2026-03-15 10:00; intervals red 7 days, yellow/blue 30):
    H-G1-0  red    set 03-01, visited 03-12 10:00 → next due 03-19 10:00 (not overdue)
    H-G1-1  yellow set 02-01 09:00, never visited → due 03-03 09:00 (overdue)
    H-G1B-0 blue   set 03-10 09:00, never visited → due 04-09 09:00 (not overdue)
    H-G2-0  red    (other district)
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from pagerun import open_page
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from tiny_city import TODAY

from data_access.core.db import make_engine
from data_access.core.models import AuditLog
from data_access.fieldwork import records, residents
from data_access.fieldwork.models import Household, RiskChange, Visit
from data_access.org.models import User
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "pages" / "special_groups.py")
NOW = datetime.fromisoformat(TODAY)
ID_NUMBER = "110101199003071234"
PHONE = "13812345678"
LEVELS = {"H-G1-0": ("red", datetime(2026, 3, 1, 9)), "H-G1-1": ("yellow", datetime(2026, 2, 1, 9)),
          "H-G1B-0": ("blue", datetime(2026, 3, 10, 9)), "H-G2-0": ("red", datetime(2026, 3, 1, 9))}


def hh(s: Session, code: str) -> Household:
    return s.exec(select(Household).where(Household.code == code)).one()


@pytest.fixture
def sg_env(app_env):
    eng = make_engine(app_env)
    with Session(eng) as s:
        for code, (level, when) in LEVELS.items():
            h = hh(s, code)
            residents.set_risk_level(session=s, user="admin", household_id=h.id, level=level, reason="初始列管",
                                     expected_version=h.version, now=when)
        h = hh(s, "H-G1-0")
        officer = s.exec(select(User).where(User.username == "officer")).one()
        records.add_visit(session=s, visit=Visit(code="V1", client_token="t-v1", household_id=h.id, grid_id=h.grid_id,
                                                 officer_id=officer.id, visited_at=datetime(2026, 3, 12, 10),
                                                 entered_at=datetime(2026, 3, 12, 11), id_shown=True,
                                                 bodycam_on=True, satisfaction=5))
        residents.add_resident(session=s, user="admin", household_id=h.id, name="张三丰", now=NOW,
                               id_number=ID_NUMBER, phone=PHONE)
        s.commit()
    yield app_env, eng
    eng.dispose()


def run(username: str, **params) -> AppTest:
    return open_page(SCRIPT, username, query=params)


def register(at: AppTest):
    return at.dataframe[0].value.set_index("住户")


def audit_rows(eng, action: str) -> list[AuditLog]:
    with Session(eng) as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == action)))


def level_of(eng, code: str) -> str:
    with Session(eng) as s:
        return hh(s, code).risk_level


def test_district_leader_sees_own_district_with_due_dates_and_overdue_flags(sg_env):
    table = register(run("district"))
    assert list(table.index) == ["H-G1-0", "H-G1-1", "H-G1B-0"]  # red first; not H-G2-0 (other district)
    assert list(table["等级"]) == ["红色", "黄色", "蓝色"]
    assert list(table["下次应访"]) == ["2026-03-19 10:00", "2026-03-03 09:00", "2026-04-09 09:00"]
    assert list(table["逾期"]) == ["—", "逾期", "—"]
    assert table.loc["H-G1-0", "最近走访"] == "2026-03-12 10:00"
    assert register(run("district", overdue="1")).index.tolist() == ["H-G1-1"]


def test_district_leader_cannot_open_another_districts_household(sg_env):
    at = run("district", household="H-G2-0")
    assert "H-G2-0" not in register(at).index
    assert at.subheader[0].value != "住户 H-G2-0"


def test_level_change_requires_a_reason_and_is_audited(sg_env):
    _url, eng = sg_env
    at = run("district", household="H-G1B-0")
    assert at.subheader[0].value == "住户 H-G1B-0"
    before = len(audit_rows(eng, "household.risk_change"))
    at.selectbox(key=f"special_level_{_hid(eng, 'H-G1B-0')}").set_value("red")
    at.button(key="special_change").click().run()
    assert at.error  # no reason: refused with a message
    assert level_of(eng, "H-G1B-0") == "blue"
    assert len(audit_rows(eng, "household.risk_change")) == before
    at.text_area(key=f"special_reason_{_hid(eng, 'H-G1B-0')}").input("近期多次报警求助")
    at.button(key="special_change").click().run()
    assert not at.error
    assert level_of(eng, "H-G1B-0") == "red"
    rows = audit_rows(eng, "household.risk_change")
    assert len(rows) == before + 1
    assert (rows[-1].username, rows[-1].entity_id) == ("district", "H-G1B-0")
    assert json.loads(rows[-1].detail) == {"from": "blue", "to": "red", "direction": "raise"}
    with Session(eng) as s:
        last = s.exec(select(RiskChange).order_by(RiskChange.id.desc())).first()
        assert (last.old_level, last.new_level, last.reason) == ("blue", "red", "近期多次报警求助")
    assert [s.value for s in at.success] == ["H-G1B-0 的风险等级已由蓝色调整为红色。"]


def _hid(eng, code: str) -> int:
    with Session(eng) as s:
        return hh(s, code).id


def test_reveal_is_audited_without_the_value_and_shown_once(sg_env):
    _url, eng = sg_env
    hid = _hid(eng, "H-G1-0")
    at = run("officer", household="H-G1-0")
    people = at.dataframe[2].value
    assert list(people["姓名"]) == ["张**"] and list(people["身份证号"]) == ["110***********1234"]
    assert ID_NUMBER not in str(people.to_numpy())
    at.radio(key=f"special_rv_field_{hid}").set_value("id_number")
    at.text_input(key=f"special_rv_reason_{hid}").input("核实身份")
    at.button(key="special_reveal").click().run()
    assert any(ID_NUMBER in w.value for w in at.warning)
    rows = audit_rows(eng, "resident.reveal")
    assert len(rows) == 1 and rows[0].username == "officer"
    detail = json.loads(rows[0].detail)
    assert detail["field"] == "id_number" and detail["reason"] == "核实身份"
    assert ID_NUMBER not in rows[0].detail and "1234" not in rows[0].detail
    at.run()  # the next run no longer shows the value
    assert not any(ID_NUMBER in w.value for w in at.warning)


def test_reveal_without_a_reason_is_refused_and_not_audited(sg_env):
    _url, eng = sg_env
    at = run("officer", household="H-G1-0")
    at.button(key="special_reveal").click().run()
    assert at.error and not any(ID_NUMBER in w.value for w in at.warning)
    assert audit_rows(eng, "resident.reveal") == []


def test_city_leader_reads_without_level_change_or_reveal(sg_env):
    at = run("city", household="H-G1-0")
    assert list(register(at).index) == ["H-G1-0", "H-G2-0", "H-G1-1", "H-G1B-0"]
    assert not at.button and not at.text_area
    assert CATALOGUE["special.change.read_only"]["zh"] in [c.value for c in at.caption]


def test_lowering_to_none_leaves_the_register_and_still_reports_it(sg_env):
    _url, eng = sg_env
    hid = _hid(eng, "H-G1B-0")
    at = run("district", household="H-G1B-0")
    at.selectbox(key=f"special_level_{hid}").set_value("none")
    at.text_area(key=f"special_reason_{hid}").input("已搬离本辖区")
    at.button(key="special_change").click().run()
    assert not at.exception
    assert level_of(eng, "H-G1B-0") == "none"
    assert "H-G1B-0" not in register(at).index
    assert [s.value for s in at.success] == ["H-G1B-0 的风险等级已由蓝色调整为无。"]
