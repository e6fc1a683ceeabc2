"""DATABASE_READ_URL: the dashboards read from the replica, sign-in and every other read from the
primary, and the dashboards say how current the replica's data is ("数据截至 …").

The "replica" here is a copy of the tiny city's SQLite file taken before one more spot check was
written to the primary, so each number tells which database it came from: city info accuracy is
5/7 = 71.4% on the copy and 5/8 = 62.5% on the primary. (The real streaming replica is exercised
by the cluster smoke test, tests/cluster/.)
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from pagerun import open_page
from sqlalchemy import select

import factories as f
from data_access.core import db as dbmod
from data_access.core.settings import reset_settings
from data_access.fieldwork.models import Household
from data_access.org.models import User
from ui import swr

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


@pytest.fixture
def replica(app_env, tmp_path, monkeypatch):
    primary = Path(app_env.removeprefix("sqlite:///"))
    copy = tmp_path / "replica.db"
    dbmod.dispose_engines()
    shutil.copy(primary, copy)
    eng = dbmod.make_engine(app_env)
    with dbmod.session_scope(eng) as s:
        hh = s.exec(select(Household).where(Household.code == "H-G2-0")).one()[0]
        f.check(s, hh, date(2026, 3, 1), accurate=False)  # primary only: G2 now 2 of 3
        off = s.exec(select(User).where(User.username == "city")).one()[0]
        s.add(User(username="newcomer", display_name="新同事", role="city_leader", scope_id=off.scope_id,
                   password_hash=off.password_hash, active=True))  # primary only
    eng.dispose()
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("DATABASE_READ_URL", url)
    reset_settings()
    st.cache_data.clear()
    swr.clear_all()
    return url


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_without_a_read_url_the_overview_reads_the_primary_and_shows_no_freshness_line(app_env):
    eng = dbmod.make_engine(app_env)
    with dbmod.session_scope(eng) as s:
        hh = s.exec(select(Household).where(Household.code == "H-G2-0")).one()[0]
        f.check(s, hh, date(2026, 3, 1), accurate=False)
    eng.dispose()
    at = open_page(APP, "city")
    assert _metric(at, "信息准确率") == "62.5%"
    assert not any("数据截至" in c.value and "副本" in c.value for c in at.caption)


def test_overview_reads_the_replica_and_says_how_current_it_is(replica):
    at = open_page(APP, "city")
    assert _metric(at, "信息准确率") == "71.4%"  # the replica's 5/7, not the primary's 5/8
    line = next(c.value for c in at.caption if "数据截至" in c.value)
    assert "只读副本" in line and "0 秒" in line  # a SQLite copy is never behind


def test_freshness_line_is_translated(replica):
    at = open_page(APP, "city", lang="en")
    assert any("Data as of" in c.value and "read replica" in c.value for c in at.caption)


def test_sign_in_reads_the_primary(replica):
    # "newcomer" exists on the primary only: were the guard reading the replica, it would refuse them
    at = open_page(APP, "newcomer")
    assert not at.error, [e.value for e in at.error]
    assert any("新同事" in m.value for m in at.sidebar.markdown)
