"""差距分析 District gaps (issue 4, screen 2): the pure builders on hand-made rows, and the screen
per role with AppTest on the tiny city (tiny_city.py).

Tiny city, deepening phase, info accuracy (spot checks per grid): G1 4 / 3 accurate, G1B 1 / 0,
G2 2 / 2. The target is read from the database's city-default target row, never typed in here.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from streamlit.testing.v1 import AppTest
from tiny_city import CHECKS, UNITS

from data_access.org.users import UnitRef
from data_access.programme.models import Target
from metrics.service import Kpi
from ui import gaps as g
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
GAPS = str(ROOT / "pages" / "gaps.py")
NAMES_ZH = {code: zh for code, _l, _p, zh, _e in UNITS}
PERCENT = re.compile(r"\d+\.\d%")
CJK = re.compile(r"[\u3400-\u9fff]")
RANK, UNIT, VALUE, TARGET, GAP, N = "差距排名", "单位", "实际", "目标", "差距", "样本量"


# --- pure builders --------------------------------------------------------------------------------

def kpi(code: str, indicator: str = "info_accuracy", *, value=None, target=None, n=0, status="too_early",
        gain=None, is_self=False, name_en: str | None = None) -> Kpi:
    gap = None if value is None or target is None else target - value
    return Kpi(unit_code=code, unit_name_zh=f"单位{code}", unit_name_en=name_en, unit_level="station",
               is_self=is_self, indicator=indicator, value=value, n=n, ci_low=None, ci_high=None, target=target,
               baseline=None, gap=gap, status=status, required_gain=gain, flags=())


@pytest.mark.parametrize("gaps,ranks", [
    ([3.0, None, 10.0, 3.0, -2.0], [2, None, 1, 2, 4]),  # ties share the better rank, the next one skips
    ([None, None], [None, None]),
    ([], []),
    ([-1.5, -0.5], [2, 1]),  # units above target: the smaller surplus ranks first
])
def test_rank_by_gap_largest_gap_first(gaps, ranks):
    assert g.rank_by_gap(gaps) == ranks


def test_gap_frame_ranks_children_by_gap_and_leaves_the_unit_itself_out():
    kpis = [
        kpi("P", value=80.0, target=95.0, n=100, is_self=True),
        kpi("A", value=90.0, target=95.0, n=40, status="at_risk", gain=1.25),   # gap 5
        kpi("B", value=70.0, target=95.0, n=10, status="off_track", gain=6.25),  # gap 25
        kpi("C", value=None, target=95.0, n=0, status="no_data"),               # no value: unranked
        kpi("D", value=97.0, target=95.0, n=30, status="met", gain=-0.5),       # gap −2, no gain needed
        kpi("A", "satisfaction", value=50.0, target=90.0, n=5),                  # another indicator
    ]
    frame = g.gap_frame(kpis, "info_accuracy")
    assert list(frame["code"]) == ["B", "A", "D", "C"]
    assert list(frame["rank"].astype(object).where(frame["rank"].notna(), None)) == [1, 2, 3, None]
    assert frame.set_index("code").loc["B", "gap"] == 95.0 - 70.0
    assert frame.set_index("code").loc["A", "required_gain"] == 1.25
    assert frame.set_index("code")["required_gain"].isna().loc[["C", "D"]].all()  # met: nothing to gain
    assert frame.set_index("code").loc["A", "n"] == 40


def test_gap_frame_does_not_rank_an_incomplete_score():
    kpis = [kpi("A", "assessment_score", value=80.0, target=90.0, status="incomplete"),
            kpi("B", "assessment_score", value=85.0, target=90.0, status="off_track")]
    frame = g.gap_frame(kpis, "assessment_score").set_index("code")
    assert frame.loc["B", "rank"] == 1
    assert frame["rank"].isna().loc["A"]
    assert frame.loc["A", "gap"] == 10.0  # still shown


def test_gap_matrix_children_by_headline_indicator():
    from data_access.programme.catalog import IndicatorRow

    inds = [IndicatorRow("info_accuracy", "信息准确率", "Info", "%", "up", True, 1, None, None),
            IndicatorRow("visit_coverage", "走访覆盖率", "Cov", "%", "up", False, 2, None, None)]
    kpis = [kpi("P", value=80.0, target=95.0, is_self=True),
            kpi("A", value=90.0, target=95.0, status="at_risk"), kpi("A", "visit_coverage", value=1.0, target=2.0),
            kpi("B", value=99.0, target=95.0, status="met")]
    codes, gaps, statuses = g.gap_matrix(kpis, inds)
    assert codes == ["A", "B"]
    assert gaps == [{"info_accuracy": 5.0}, {"info_accuracy": -4.0}]  # not-headline indicators left out
    assert statuses == [{"info_accuracy": "at_risk"}, {"info_accuracy": "met"}]


def unit(code: str, path: str, level: str) -> UnitRef:
    ids = [int(p) for p in path.strip("/").split("/")]
    return UnitRef(id=ids[-1], code=code, level=level, path=path, name_zh=code, name_en=code,
                   parent_id=ids[-2] if len(ids) > 1 else None)


CITY, D1, S1, M1, G1 = (unit("C", "/1/", "city"), unit("D1", "/1/2/", "district"), unit("S1", "/1/2/4/", "station"),
                        unit("M1", "/1/2/4/6/", "community"), unit("G1", "/1/2/4/6/8/", "grid"))
D2, S2 = unit("D2", "/1/3/", "district"), unit("S2", "/1/3/5/", "station")


@pytest.mark.parametrize("scope,target,ancestors,path", [
    (D1, G1, [CITY, D1, S1, M1, G1], ["D1", "S1", "M1", "G1"]),   # never above the scope
    (CITY, M1, [M1, S1, CITY, D1], ["C", "D1", "S1", "M1"]),       # any order in, top first out
    (D1, D1, [CITY, D1], ["D1"]),                                  # at the scope: one crumb
    (D1, S2, [CITY, D2, S2], ["D1"]),                              # outside the scope: the scope only
    (D1, M1, [S2, D2, CITY, S1], ["D1", "S1", "M1"]),              # units off the path are ignored
])
def test_breadcrumb_from_scope_down_to_unit(scope, target, ancestors, path):
    assert [u.code for u in g.breadcrumb(scope, target, ancestors)] == path


def test_funnel_units_recover_counts_and_skip_empty_samples():
    kpis = [kpi("P", value=60.0, n=5, is_self=True),
            kpi("A", value=75.0, n=4, name_en="Unit A"), kpi("B", value=100.0 / 3, n=3), kpi("C", value=None, n=0)]
    assert g.funnel_units(kpis, "info_accuracy") == [("单位A", 3, 4, "A"), ("单位B", 1, 3, "B")]
    assert g.funnel_units(kpis, "info_accuracy", "en") == [("Unit A", 3, 4, "A"), ("B", 1, 3, "B")]


# --- the screen, per role -------------------------------------------------------------------------

def target_of(url: str, indicator: str = "info_accuracy", phase: str = "deepening") -> float:
    eng = create_engine(url)
    with eng.connect() as c:
        value = c.execute(select(Target.target).where(Target.indicator_code == indicator, Target.phase_code == phase,
                                                      Target.org_unit_id.is_(None))).scalar_one()
    eng.dispose()
    return float(value)


def rate(*grids: str) -> float:
    return 100 * sum(CHECKS[x][1] for x in grids) / sum(CHECKS[x][0] for x in grids)


def run(username: str, lang: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(GAPS, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    if lang:
        at.session_state["lang"] = lang
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    for sb in at.selectbox:
        parts += [str(sb.label)] + [str(o) for o in sb.options]
    parts += [str(b.label) for b in at.button]
    for df in at.dataframe:
        v = df.value
        parts += [str(c) for c in v.columns] + [str(x) for x in v.to_numpy().ravel()]
    return "\n".join(parts)


def charts(at: AppTest) -> int:
    """Altair charts on the page (the element's proto name differs between Streamlit versions)."""
    return len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart"))


def gap_table(at: AppTest):
    return at.dataframe[0].value.set_index(UNIT)


def param(at: AppTest, name: str) -> str:
    v = at.query_params[name]
    return v[0] if isinstance(v, list) else v


def test_district_leader_sees_only_their_districts_children(app_env):
    at = run("district")
    assert at.selectbox(key="unit_zh").value == "D1"
    table = gap_table(at)
    assert list(table.index) == [NAMES_ZH["S1"]]
    target = target_of(app_env)
    assert table.loc[NAMES_ZH["S1"], VALUE] == pytest.approx(rate("G1", "G1B"))  # 3/5
    assert table.loc[NAMES_ZH["S1"], TARGET] == target
    assert table.loc[NAMES_ZH["S1"], GAP] == pytest.approx(target - rate("G1", "G1B"))
    assert table.loc[NAMES_ZH["S1"], N] == CHECKS["G1"][0] + CHECKS["G1B"][0]
    body = texts(at)
    for other in ("C", "D2", "S2", "M2", "G2"):
        assert NAMES_ZH[other] not in body, other
    assert charts(at) == 1  # the funnel plot


def test_city_leader_ranks_districts_by_gap(app_env):
    at = run("city")
    table = gap_table(at)
    target = target_of(app_env)
    gaps = {"D1": target - rate("G1", "G1B"), "D2": target - rate("G2")}  # 35 and −5 points
    assert list(table.index) == [NAMES_ZH[c] for c in sorted(gaps, key=gaps.get, reverse=True)]
    assert list(table[RANK]) == [1, 2]
    for code, gp in gaps.items():
        assert table.loc[NAMES_ZH[code], GAP] == pytest.approx(gp)


@pytest.mark.parametrize("outside", ["D2", "C", "G2"])
def test_unit_outside_scope_in_url_falls_back_to_own_scope(app_env, outside):
    at = run("district", unit=outside)
    assert [e.value for e in at.warning] == [CATALOGUE["auth.out_of_scope"]["zh"]]
    assert param(at, "unit") == "D1"
    assert list(gap_table(at).index) == [NAMES_ZH["S1"]]
    assert NAMES_ZH[outside] not in texts(at)


def test_officer_is_refused_and_sees_no_data(app_env):
    at = run("officer")
    assert [e.value for e in at.error] == [CATALOGUE["auth.forbidden"]["zh"]]
    assert not at.dataframe and not at.selectbox and not charts(at)
    body = texts(at)
    assert not PERCENT.search(body)
    assert NAMES_ZH["G1"] not in body


def test_drill_down_to_a_child_and_back_up_the_breadcrumb(app_env):
    at = run("district")
    at.selectbox(key="gaps_drill_D1_zh").select("S1").run()
    assert not at.exception
    assert param(at, "unit") == "S1"  # the view is a deep link
    assert at.selectbox(key="unit_zh").value == "S1"
    assert list(gap_table(at).index) == [NAMES_ZH["M1"]]
    assert [b.label for b in at.button if b.key.startswith("gaps_crumb_")] == [f"{NAMES_ZH['D1']} · 分局"]

    at.selectbox(key="gaps_drill_S1_zh").select("M1").run()
    at.selectbox(key="gaps_drill_M1_zh").select("G1").run()  # down to a grid: no units below it
    assert param(at, "unit") == "G1"
    assert [e.value for e in at.info] == [CATALOGUE["gaps.no_children"]["zh"]]
    assert [b.key for b in at.button if b.key.startswith("gaps_crumb_")] == [
        "gaps_crumb_D1", "gaps_crumb_S1", "gaps_crumb_M1"]  # nothing above the scope

    at.button(key="gaps_crumb_S1").click().run()
    assert param(at, "unit") == "S1"
    assert list(gap_table(at).index) == [NAMES_ZH["M1"]]


def test_community_grids_ranked_with_the_smaller_sample_first(app_env):
    at = run("district", unit="M1")
    table = gap_table(at)
    target = target_of(app_env)
    assert list(table.index) == [NAMES_ZH["G1B"], NAMES_ZH["G1"]]  # 0/1 is further behind than 3/4
    assert table.loc[NAMES_ZH["G1B"], GAP] == pytest.approx(target - rate("G1B"))
    assert table.loc[NAMES_ZH["G1"], GAP] == pytest.approx(target - rate("G1"))


def test_phase_without_spot_checks_explains_the_empty_funnel(app_env):
    at = run("city", phase="pilot")  # the tiny city's checks are all in 2026
    assert CATALOGUE["empty.info_accuracy"]["zh"] in "\n".join(e.value for e in at.info)
    assert not charts(at)


def test_indicator_from_the_url_and_english(app_env):
    at = run("city", lang="en", indicator="satisfaction")
    assert at.selectbox(key="gaps_indicator_en").value == "satisfaction"
    assert param(at, "indicator") == "satisfaction"
    body = texts(at)
    assert "Satisfaction" in body and "Xishan District" in body
    assert not CJK.search(body), CJK.findall(body)
