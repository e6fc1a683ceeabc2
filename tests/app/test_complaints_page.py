"""AppTest of 隐私投诉 (pages/complaints.py): scope, the 24 h / 7-working-day clocks, intake, handling.

Written here on the tiny city (now Sunday 2026-03-15 10:00):
    PA  G1  received Fri 03-13 09:00 → start by 03-14 09:00 (missed: start overdue),
            finish by 7 working days = Tue 03-24 09:00
    PB  G2  received Sun 03-15 08:00 (other district) → start by 03-16 08:00
    PC  G1B received Mon 03-02 09:00, started 12:00 → finish by Wed 03-11 09:00 (missed: finish overdue)
"""
from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from pagerun import open_page
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from tiny_city import TODAY

from data_access.core.db import make_engine
from data_access.core.models import AuditLog
from data_access.fieldwork import complaints as svc
from data_access.fieldwork.models import PrivacyComplaint
from data_access.org.models import OrgUnit
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "pages" / "complaints.py")
NOW = datetime.fromisoformat(TODAY)


def unit_id(s: Session, code: str) -> int:
    return s.exec(select(OrgUnit).where(OrgUnit.code == code)).one().id


@pytest.fixture
def pc_env(app_env):
    eng = make_engine(app_env)
    with Session(eng) as s:
        for code, unit, received in (("PA", "G1", datetime(2026, 3, 13, 9)), ("PB", "G2", datetime(2026, 3, 15, 8)),
                                     ("PC", "G1B", datetime(2026, 3, 2, 9))):
            svc.receive(session=s, user="admin", received_at=received, summary=f"走访时询问收入 {code}",
                        org_unit_id=unit_id(s, unit), now=NOW, code=code)
        pc = s.exec(select(PrivacyComplaint).where(PrivacyComplaint.code == "PC")).one()
        svc.start_investigation(session=s, user="admin", complaint_id=pc.id, expected_version=1,
                                now=datetime(2026, 3, 2, 12))
        s.commit()
    yield app_env, eng
    eng.dispose()


def run(username: str, **params) -> AppTest:
    return open_page(SCRIPT, username, query=params)


def listed(at: AppTest):
    return at.dataframe[0].value.set_index("编号")


def complaint(eng, code: str) -> PrivacyComplaint:
    with Session(eng) as s:
        return s.exec(select(PrivacyComplaint).where(PrivacyComplaint.code == code)).one()


def audits(eng, action: str) -> list[tuple[str, str]]:
    with Session(eng) as s:
        return [(a.username, a.entity_id) for a in s.exec(select(AuditLog).where(AuditLog.action == action))]


def test_district_leader_sees_own_district_with_both_clocks(pc_env):
    table = listed(run("district"))
    assert list(table.index) == ["PC", "PA"]  # oldest first; PB is in the other district
    assert table.loc["PA", "开始时限（24 小时）"] == "2026-03-14 09:00"
    assert table.loc["PA", "办结时限（7 个工作日）"] == "2026-03-24 09:00"
    assert table.loc["PC", "办结时限（7 个工作日）"] == "2026-03-11 09:00"
    assert table.loc["PA", "时限状态"] == "开始逾期" and table.loc["PC", "时限状态"] == "办结逾期"
    assert list(listed(run("city")).index) == ["PC", "PA", "PB"]
    assert listed(run("city")).loc["PB", "时限状态"] == "正常"


def test_officer_records_a_complaint_about_their_grid(pc_env):
    _url, eng = pc_env
    at = run("officer")
    assert at.selectbox(key="pc_unit").options == ["东湖一网格"]  # only their own grid
    at.date_input(key="pc_date").set_value(date(2026, 3, 15))
    at.time_input(key="pc_time").set_value(time(9, 30))
    at.text_area(key="pc_summary").input("居民称民警拍摄了户口簿")
    at.button(key="pc_submit").click().run()
    assert not at.exception and not at.error
    with Session(eng) as s:
        new = s.exec(select(PrivacyComplaint).where(PrivacyComplaint.code.not_in(("PA", "PB", "PC")))).one()
    assert (new.received_at, new.start_due_at, new.close_due_at) == (
        datetime(2026, 3, 15, 9, 30), datetime(2026, 3, 16, 9, 30), datetime(2026, 3, 24, 9, 30))
    assert ("officer", new.code) in audits(eng, "complaint.receive")
    assert "pc_start" not in [b.key for b in at.button]  # officers take complaints in, they do not handle them
    assert CATALOGUE["complaints.handle_read_only"]["zh"] in [i.value for i in at.info]


def test_empty_summary_is_refused_and_nothing_written(pc_env):
    _url, eng = pc_env
    at = run("officer")
    at.button(key="pc_submit").click().run()
    assert at.error
    with Session(eng) as s:
        assert len(s.exec(select(PrivacyComplaint)).all()) == 3


def test_district_leader_starts_then_closes_a_complaint(pc_env):
    _url, eng = pc_env
    at = run("district", complaint="PA")
    at.button(key="pc_start").click().run()
    c = complaint(eng, "PA")
    assert (c.status, c.started_at, c.version) == ("in_progress", NOW, 2)
    assert ("district", "PA") in audits(eng, "complaint.start")
    at.button(key="pc_close").click().run()  # no result: refused
    assert at.error and complaint(eng, "PA").status == "in_progress"
    at.text_area(key=f"pc_result_{c.id}").input("已向居民说明并删除照片")
    at.button(key="pc_close").click().run()
    c = complaint(eng, "PA")
    assert (c.status, c.closed_at, c.result) == ("closed", NOW, "已向居民说明并删除照片")
    assert ("district", "PA") in audits(eng, "complaint.close")


def test_a_complaint_started_by_someone_else_first_is_not_overwritten(pc_env):
    _url, eng = pc_env
    at = run("district", complaint="PA")
    with Session(eng) as s:
        svc.start_investigation(session=s, user="admin", complaint_id=complaint(eng, "PA").id, expected_version=1,
                                now=NOW)
        s.commit()
    at.button(key="pc_start").click().run()
    assert [w.value for w in at.warning] == [CATALOGUE["complaints.conflict"]["zh"]]
    assert audits(eng, "complaint.start") == [("admin", "PC"), ("admin", "PA")]


def test_overdue_filter_from_the_url(pc_env):
    assert list(listed(run("city", overdue="1")).index) == ["PC", "PA"]
