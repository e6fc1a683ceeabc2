"""AppTest of 人员与驻点 (pages/staffing.py) and the office-hours form of 我的任务, in the tiny city
('today' 2026-03-15). Roster written here:

    ZS  officer 张伟 (login "officer"), certified 2025-06-01, home S1; lead of G1 from 2026-01-01
    FJ  auxiliary 方静, NOT certified, home M1; G1B from 2026-01-01
    G2 (district D2): nobody
"""
from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from pagerun import open_page
from sqlmodel import Session, func, select
from tiny_city import TODAY

from data_access.core.db import make_engine
from data_access.core.models import AuditLog
from data_access.org.models import OrgUnit, User
from data_access.staffing import roster
from data_access.staffing.models import JointMeeting, OfficeSession, Staff

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "pages" / "staffing.py")
MY_WORK = str(ROOT / "pages" / "my_work.py")
NOW = datetime.fromisoformat(TODAY)


@pytest.fixture
def staff_env(app_env):
    eng = make_engine(app_env)
    with Session(eng) as s:
        u = {o.code: o for o in s.exec(select(OrgUnit)).all()}
        officer = s.exec(select(User).where(User.username == "officer")).one()
        zs = roster.save_staff(session=s, user="admin", now=NOW, code="ZS", name="张伟", staff_type="officer",
                               unit_id=u["S1"].id, certified=True, certified_on=date(2025, 6, 1), user_id=officer.id)
        fj = roster.save_staff(session=s, user="admin", now=NOW, code="FJ", name="方静", staff_type="auxiliary",
                               unit_id=u["M1"].id)
        roster.save_assignment(session=s, user="admin", now=NOW, staff_id=zs.id, grid_id=u["G1"].id,
                               start_on=date(2026, 1, 1), lead=True)
        roster.save_assignment(session=s, user="admin", now=NOW, staff_id=fj.id, grid_id=u["G1B"].id,
                               start_on=date(2026, 1, 1))
        s.commit()
    yield eng
    eng.dispose()


def staff(eng, code):
    with Session(eng) as s:
        return s.exec(select(Staff).where(Staff.code == code)).one()


def audit_rows(eng, action):
    with Session(eng) as s:
        return s.exec(select(AuditLog).where(AuditLog.action == action)).all()


def test_the_district_leader_sees_roster_and_rule_breaches(staff_env):
    at = open_page(SCRIPT, "district")
    roster_df = at.dataframe[0].value
    assert sorted(roster_df["编号"]) == ["FJ", "ZS"]
    assert roster_df.set_index("编号").loc["ZS", "在岗网格（*为责任民警）"] == "G1*"
    rules = at.dataframe[1].value
    got = set(zip(rules["单位"].str.split(" · ").str[0], rules["规则"], strict=True))
    # G1B: only the uncertified auxiliary → no police, no officer, no lead, uncertified on post; M1: no grid workers
    assert ("G1B", "无持证民警或辅警在岗（§3.2 全覆盖）") in got
    assert ("G1B", "有未持证人员在岗（未达标者不得上岗）") in got
    assert ("M1", "社区专职网格员少于 2 名") in got
    assert not any(u == "G1" and r.startswith("城市网格") for u, r in got)
    assert not any(u == "G2" for u, _ in got)  # another district


def test_an_admin_edit_is_saved_and_audited(staff_env):
    zs = staff(staff_env, "ZS")
    at = open_page(SCRIPT, "admin")
    at.selectbox(key="sf_pick_zh").set_value(zs.id).run()
    at.text_input(key=f"sf_name_{zs.id}").input("张伟明")
    at.button(key=f"sf_save_{zs.id}").click().run()
    assert not at.exception
    assert at.success and "ZS" in at.success[0].value
    after = staff(staff_env, "ZS")
    assert (after.name, after.version, after.user_id is not None) == ("张伟明", zs.version + 1, True)
    rows = [r for r in audit_rows(staff_env, "staff.update") if r.entity_id == "ZS"]
    assert len(rows) == 1 and rows[0].username == "admin" and "张伟明" in rows[0].detail


def test_a_concurrent_edit_is_refused(staff_env):
    zs = staff(staff_env, "ZS")
    at = open_page(SCRIPT, "admin")
    at.selectbox(key="sf_pick_zh").set_value(zs.id).run()  # the form now shows version 1
    with Session(staff_env) as s:  # someone else saves first
        roster.save_staff(session=s, user="admin", now=NOW, staff_id=zs.id, expected_version=zs.version, code="ZS",
                          name="张伟（他人改）", staff_type="officer", unit_id=zs.unit_id, certified=True,
                          certified_on=zs.certified_on, user_id=zs.user_id)
        s.commit()
    at.text_input(key=f"sf_name_{zs.id}").input("张伟明")
    at.button(key=f"sf_save_{zs.id}").click().run()
    assert not at.exception
    assert at.warning and "他人修改" in at.warning[0].value
    assert staff(staff_env, "ZS").name == "张伟（他人改）"
    assert len([r for r in audit_rows(staff_env, "staff.update") if r.entity_id == "ZS"]) == 1


def test_a_bad_value_is_refused_and_nothing_written(staff_env):
    with Session(staff_env) as s:
        before = s.exec(select(func.count()).select_from(Staff)).one()
    at = open_page(SCRIPT, "admin")
    at.text_input(key="sf_code_0").input("NEW1")
    at.text_input(key="sf_name_0").input("新同志")
    at.checkbox(key="sf_cert_0").check()  # certified, but no certification date
    at.button(key="sf_save_0").click().run()
    assert not at.exception
    assert at.error[0].value == "持证日期：此项必填。"
    with Session(staff_env) as s:
        assert s.exec(select(func.count()).select_from(Staff)).one() == before
    assert audit_rows(staff_env, "staff.create") and not [r for r in audit_rows(staff_env, "staff.create")
                                                          if r.entity_id == "NEW1"]


def test_an_uncertified_person_cannot_be_made_lead(staff_env):
    fj = staff(staff_env, "FJ")
    at = open_page(SCRIPT, "admin")
    at.selectbox(key="as_staff").set_value(fj.id)
    at.checkbox(key="as_lead").check()
    at.button(key="as_save").click().run()
    assert at.error and "民警" in at.error[0].value  # only an officer can be the lead
    assert not audit_rows(staff_env, "assignment.create")[2:]  # only the fixture's two


def test_a_meeting_is_recorded(staff_env):
    at = open_page(SCRIPT, "district")
    at.text_input(key="mt_att").input("张伟、网格员、物业")
    at.text_area(key="mt_risks").input("电动车楼道充电")
    at.button(key="mt_save").click().run()
    assert not at.exception and at.success
    with Session(staff_env) as s:
        m = s.exec(select(JointMeeting)).one()
        assert (m.held_on, m.month, m.attendees) == (date(2026, 3, 15), 202603, "张伟、网格员、物业")


def test_the_officer_logs_office_hours_on_my_work(staff_env):
    at = open_page(MY_WORK, "officer")
    at.button(key="oh_save").click().run()  # defaults 09:00–12:00: ends after 'now' (10:00)
    assert at.error and "晚于现在" in at.error[0].value
    at.time_input(key="oh_start").set_value(time(8, 0))
    at.time_input(key="oh_end").set_value(time(9, 30))
    at.button(key="oh_save").click().run()
    assert not at.exception and at.success
    with Session(staff_env) as s:
        o = s.exec(select(OfficeSession)).one()
        assert (o.minutes, o.day) == (90, date(2026, 3, 15))


def test_the_page_in_english(staff_env):
    at = open_page(SCRIPT, "admin", lang="en")
    assert at.title[0].value == "Staffing & presence"
    df = at.dataframe[0].value
    assert list(df.columns)[:3] == ["Code", "Name", "Type"]
    assert set(df["Home unit"]) == {"Donghu Station", "Donghu Community"}
    assert set(df["Type"]) == {"Officer", "Auxiliary police"}
