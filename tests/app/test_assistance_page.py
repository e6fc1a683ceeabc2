"""AppTest of 帮扶对象 (pages/assistance.py) and its block on 我的任务, per role, in the tiny city
('now' 2026-03-15 10:00).

Two persons, registered 2026-01-05, never visited:
    BF-A  孙丽华  G1 (Donghu)  high    helper: helper2 (an officer of G1B, same community)
          counselling 02-20, 02-27, 03-06 all missed → one open alert to helper2
    BF-B  周建明  G2 (Xishan)  medium  no helper
Who sees a name: helper2 (BF-A's helper), officer (G1's officer: BF-A), coord and admin (both);
district (D1) and city leaders see counts only — D1: 1 person, 1 high-risk, 0 visited.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from pagerun import open_page
from sqlmodel import Session, select
from tiny_city import TODAY

from data_access.assistance import services as sv
from data_access.core.db import make_engine
from data_access.core.models import AuditLog
from data_access.fieldwork.models import Household, Resident
from data_access.org.models import OrgUnit, User

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "pages" / "assistance.py")
MY_WORK = str(ROOT / "pages" / "my_work.py")
NOW = datetime.fromisoformat(TODAY)
A, B = "孙丽华", "周建明"


@pytest.fixture
def assist_env(app_env):
    eng = make_engine(app_env)
    with Session(eng) as s:
        g1b = s.exec(select(OrgUnit).where(OrgUnit.code == "G1B")).one()
        helper = User(username="helper2", display_name="吴刚", role="officer", scope_id=g1b.id,
                      password_hash=s.exec(select(User).where(User.username == "officer")).one().password_hash)
        s.add(helper)
        s.flush()
        for code, hh_code, name, risk, helper_id in (("BF-A", "H-G1-0", A, "high", helper.id),
                                                      ("BF-B", "H-G2-0", B, "medium", None)):
            hh = s.exec(select(Household).where(Household.code == hh_code)).one()
            r = Resident(household_id=hh.id, name=name, id_number_masked="110***********1234")
            s.add(r)
            s.flush()
            p = sv.register(session=s, user="admin", resident_id=r.id, group="community_correction", risk_level=risk,
                            registered_on=date(2026, 1, 5), now=NOW, code=code, helper_id=helper_id)
            if code == "BF-A":
                for at in (datetime(2026, 2, 20, 15), datetime(2026, 2, 27, 15), datetime(2026, 3, 6, 15)):
                    c = sv.schedule_session(session=s, user="admin", person_id=p.id, scheduled_at=at, now=NOW)
                    sv.mark_session(session=s, user="admin", session_id=c.id, attended=False,
                                    expected_version=c.version, now=NOW)
        s.commit()
    yield eng
    eng.dispose()


def text_of(at) -> str:
    """Everything the page shows as text: markdown, captions, headers, alerts, table cells."""
    parts = [e.value for kind in ("markdown", "caption", "title", "subheader", "info", "success", "warning", "error")
             for e in getattr(at, kind)]
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    for sb in at.selectbox:
        parts += [str(o) for o in sb.options]  # AppTest holds the shown labels
    return "\n".join(map(str, parts))


@pytest.mark.parametrize("username,sees", [
    ("helper2", {A}), ("officer", {A}), ("coord", {A, B}), ("admin", {A, B}), ("district", set()), ("city", set()),
])
def test_who_sees_a_persons_name(assist_env, username, sees):
    at = open_page(SCRIPT, username)
    shown = text_of(at)
    assert {n for n in (A, B) if n in shown} == sees, username
    counts = at.dataframe[0].value
    assert "帮扶对象" in counts.columns  # every role sees the counts by unit
    if not sees:  # leaders: counts only, and the page says why
        assert len(at.dataframe) == 1
        assert any("帮扶责任人、所在网格民警" in i.value for i in at.info)


def test_leaders_see_counts_and_the_weekly_rate_by_unit(assist_env):
    at = open_page(SCRIPT, "district")
    row = at.dataframe[0].value.iloc[0]
    # D1: BF-A only — one person, high risk, never visited → 0 of 1 visited, rate 0 %; one open alert
    assert (row["帮扶对象"], row["高风险"], row["近 7 天已走访"], row["未处理预警"]) == (1, 1, 0, 1)
    assert row["每周一访达标率"].startswith("0")


def test_opening_a_file_is_audited_and_the_id_number_stays_masked(assist_env):
    at = open_page(SCRIPT, "officer", query={"person": "BF-A"})
    shown = text_of(at)
    assert "110***********1234" in shown and "档案 BF-A" in shown
    at.run()  # a rerun of the same file is not a second opening
    with Session(assist_env) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "assisted.open")).all()
    assert [(r.username, r.entity_id) for r in rows] == [("officer", "BF-A")]
    assert A not in (rows[0].detail or "")


def test_the_helper_acknowledges_the_alert_with_a_note(assist_env):
    at = open_page(SCRIPT, "helper2")
    assert any("连续 3 次未参加心理疏导" in m.value for m in at.markdown)
    key = next(ti.key for ti in at.text_input if ti.key.startswith("as_ack_note_"))
    at.button(key=key.replace("as_ack_note_", "as_ack_")).click().run()  # no note → refused
    assert at.error and any("必填" in e.value or "填写" in e.value for e in at.error)
    at.text_input(key=key).input("已电话联系，改约下周三")
    at.button(key=key.replace("as_ack_note_", "as_ack_")).click().run()
    assert not at.exception
    assert not any("连续 3 次未参加心理疏导" in m.value for m in at.markdown)


def test_my_work_shows_the_alert_and_the_overdue_weekly_visit(assist_env):
    at = open_page(MY_WORK, "helper2")
    shown = text_of(at)
    assert "连续 3 次未参加心理疏导" in shown and "BF-A" in shown and "已超期" in shown
    at = open_page(MY_WORK, "officer")  # the grid's officer sees them too
    assert "BF-A" in text_of(at)
