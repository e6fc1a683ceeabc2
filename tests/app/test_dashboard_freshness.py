"""AppTest: the overview under ui.swr — it says when its figures were computed; once its entry is
stale it still shows the old figure at once while the refresh runs, then the new one; a session
that has just saved something sees its own write at once. Figures by hand from the tiny city:
东湖区 (D1) has G1 with 4 spot checks / 3 accurate and G1B with 1 / 0 → 3 / 5 = 60.0 %; one more
accurate check in G1 → 4 / 6 = 66.7 %."""
from __future__ import annotations

import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pagerun import open_page
from sqlmodel import select
from test_app import OVERVIEW, metric

from data_access.core import db as dbmod
from data_access.fieldwork import records
from data_access.fieldwork.models import Household, SpotCheck
from ui import flash, swr
from ui.i18n import CATALOGUE

LABEL = "信息准确率"


def _one_more_accurate_check(url: str) -> None:
    eng = dbmod.make_engine(url)
    with dbmod.session_scope(eng) as s:
        h = s.exec(select(Household).where(Household.code == "H-G1-0")).one()
        records.add_check(session=s, check=SpotCheck(code="K-extra", household_id=h.id, grid_id=h.grid_id,
                                                     checked_on=date(2026, 3, 1), accurate=True))
    eng.dispose()


def test_overview_says_when_its_figures_were_computed(app_env):
    before = time.time()
    at = open_page(OVERVIEW, "district")
    after = time.time()
    assert metric(at, LABEL) == "60.0%"
    prefix = CATALOGUE["freshness.computed"]["zh"].split("{")[0]
    line = next(c.value for c in at.caption if prefix in c.value)
    shown = line.split(prefix)[1].strip()[:8]
    tz = ZoneInfo("Asia/Shanghai")  # the bureau's clock, whatever the server's zone
    assert shown in {datetime.fromtimestamp(t, tz).strftime("%H:%M:%S") for t in range(int(before), int(after) + 1)}


def test_a_stale_figure_shows_at_once_and_the_refresh_brings_the_new_one(app_env):
    at = open_page(OVERVIEW, "district")
    assert metric(at, LABEL) == "60.0%"
    _one_more_accurate_check(app_env)
    at.run()
    assert metric(at, LABEL) == "60.0%"  # fresh (within its window): as before
    swr.stale_all()
    at.run()
    assert metric(at, LABEL) == "60.0%"  # stale: shown at once, its refresh started
    assert swr.wait_idle(30)
    at.run()
    assert metric(at, LABEL) == "66.7%"


def test_a_session_that_saved_sees_its_own_write_at_once(app_env):
    at = open_page(OVERVIEW, "district")
    assert metric(at, LABEL) == "60.0%"
    _one_more_accurate_check(app_env)
    at.session_state[flash.WROTE_AT] = time.time()  # what flash.keep / a submitted visit record
    at.run()
    assert metric(at, LABEL) == "66.7%"  # the entry predates the write: recomputed for this session
