"""AppTest: the overview's monthly trend section (?indicator= deep link, latest month's value,
empty state). Expected values come from the tiny city (tiny_city.py): spot checks in 2026-02,
G1 4 checks / 3 accurate, G1B 1 / 0, G2 2 / 2; no visits, so no ratings."""
from __future__ import annotations

from pathlib import Path

from pagerun import open_page
from streamlit.testing.v1 import AppTest
from tiny_city import CHECKS

from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
OVERVIEW = str(ROOT / "pages" / "overview.py")


def run(username: str, **query) -> AppTest:
    return open_page(OVERVIEW, username, query=query)


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart"))


def latest_text(month: str, grids: tuple[str, ...]) -> str:
    k = sum(CHECKS[g][1] for g in grids)
    n = sum(CHECKS[g][0] for g in grids)
    return CATALOGUE["trends.latest"]["zh"].format(month=month, value=f"{100 * k / n:.1f}%", n=n)


def test_trend_of_info_accuracy_for_the_district(app_env):
    at = run("district", indicator="info_accuracy")
    assert at.selectbox(key="ov_trend_zh").value == "info_accuracy"
    assert charts(at) == 1
    captions = [c.value for c in at.caption]
    assert any(c.startswith(latest_text("2026-02", ("G1", "G1B"))) for c in captions), captions
    assert at.query_params["indicator"] == "info_accuracy"


def test_trend_for_the_city_counts_every_grid(app_env):
    at = run("city", indicator="info_accuracy")
    captions = [c.value for c in at.caption]
    assert any(c.startswith(latest_text("2026-02", ("G1", "G1B", "G2"))) for c in captions), captions


def test_trend_empty_state_without_monthly_values(app_env):
    at = run("city", indicator="satisfaction")  # no visits, so no ratings in any month
    assert charts(at) == 0
    expected = CATALOGUE["trends.empty"]["zh"].format(name="群众满意度")
    assert expected in [i.value for i in at.info]


def test_month_in_progress_is_not_drawn(app_env):
    """A check on 2026-03-10 (today is 2026-03-15) stays out of the trend until March is over."""
    from datetime import date

    from sqlmodel import select

    from data_access.core import db as dbmod
    from data_access.fieldwork import records
    from data_access.fieldwork.models import Household, SpotCheck
    from data_access.org.models import OrgUnit

    eng = dbmod.make_engine(app_env)
    with dbmod.session_scope(eng) as s:
        g2 = s.exec(select(OrgUnit).where(OrgUnit.code == "G2")).one()
        h = records.add_household(session=s, household=Household(code="H-G2-new", grid_id=g2.id, address="西山路",
                                                                 registered_on=date(2023, 1, 1)))
        records.add_check(session=s, check=SpotCheck(code="K-G2-march", household_id=h.id, grid_id=g2.id,
                                                     checked_on=date(2026, 3, 10), accurate=False))
    eng.dispose()
    at = run("city", indicator="info_accuracy")
    captions = [c.value for c in at.caption]
    assert any(c.startswith(latest_text("2026-02", ("G1", "G1B", "G2"))) for c in captions), captions
