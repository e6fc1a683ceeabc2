"""AppTest of the grid map (issue 4, screen 3): each role sees only its scope's polygons.

AppTest cannot look inside the deck.gl canvas, so the tests read the deck JSON the page hands
to the browser (the ``deck_gl_json_chart`` element) and check its layer rows. The tiny city
(tiny_city.py) gets square boundaries here; expected values come from its spot checks
(CHECKS: G1 4 checks / 3 accurate, G1B 1 / 0, G2 2 / 2).
"""
from __future__ import annotations

import json
from pathlib import Path

from pagerun import open_page
from sqlalchemy import create_engine, update
from streamlit.testing.v1 import AppTest
from tiny_city import CHECKS, UNITS

from data_access.org.models import OrgUnit
from ui.map import GRID_LAYER_ID, OUTLINE_LAYER_ID, VALUE_SCALE

ROOT = Path(__file__).resolve().parents[2]
MAP = str(ROOT / "pages" / "map.py")
NAMES_ZH = {code: zh for code, _l, _p, zh, _e in UNITS}
# lower-left corners of 0.01° squares; districts/communities get the square around their grids
SQUARES = {"G1": (114.00, 30.00, 0.01), "G1B": (114.01, 30.00, 0.01), "G2": (114.10, 30.00, 0.01),
           "M1": (114.00, 30.00, 0.02), "M2": (114.10, 30.00, 0.01),
           "D1": (114.00, 30.00, 0.02), "D2": (114.10, 30.00, 0.01)}


def _square(x: float, y: float, size: float) -> str:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def add_geometry(url: str, codes=SQUARES) -> None:
    eng = create_engine(url)
    with eng.begin() as c:
        for code, (x, y, size) in codes.items():
            c.execute(update(OrgUnit).where(OrgUnit.code == code).values(geometry=_square(x, y, size)))
    eng.dispose()


def run(username: str | None, **query) -> AppTest:
    """The map page as ``username``; colours info accuracy (the indicator CHECKS describe) by default."""
    query.setdefault("indicator", "info_accuracy")
    return open_page(MAP, username, query=query)


def deck(at: AppTest) -> dict | None:
    els = at.get("deck_gl_json_chart")
    return json.loads(els[0].proto.json) if els else None


def layer(spec: dict, layer_id: str) -> list[dict]:
    return next((ly["data"] for ly in spec["layers"] if ly["id"] == layer_id), [])


def rate(*grids: str) -> float:
    return 100 * sum(CHECKS[g][1] for g in grids) / sum(CHECKS[g][0] for g in grids)


def test_anonymous_sees_no_map(app_env):
    add_geometry(app_env)
    at = run(None)
    assert deck(at) is None
    assert at.info and "请先登录" in at.info[0].value
    assert not any(n in str(at.main) for n in NAMES_ZH.values())


def test_district_leader_gets_only_their_districts_grids(app_env):
    add_geometry(app_env)
    at = run("district")
    spec = deck(at)
    assert spec is not None
    rows = layer(spec, GRID_LAYER_ID)
    assert sorted(r["code"] for r in rows) == ["G1", "G1B"]
    by = {r["code"]: r for r in rows}
    # info accuracy coloured by value: G1 3/4 = 75 %, G1B 0/1 = 0 % — both below the first break
    assert f"{rate('G1'):.1f}%" in by["G1"]["value_text"] and f"{rate('G1B'):.1f}%" in by["G1B"]["value_text"]
    assert by["G1"]["fill"][:3] == list(VALUE_SCALE.colour(rate("G1")))
    assert by["G1"]["officer"] == "张伟"  # the officer of G1 (tiny city)
    outlines = {r["name"] for r in layer(spec, OUTLINE_LAYER_ID)}
    assert outlines == {NAMES_ZH["D1"], NAMES_ZH["M1"]}
    text = json.dumps(spec, ensure_ascii=False)
    for other in ("G2", "M2", "D2"):
        assert NAMES_ZH[other] not in text
    for forbidden in ("http", "mapbox", "carto"):  # no basemap, no external request
        assert forbidden not in text.lower()


def test_district_leader_cannot_open_another_district_by_url(app_env):
    add_geometry(app_env)
    at = run("district", unit="D2")
    assert at.warning  # falls back to the own scope, with a message
    rows = layer(deck(at), GRID_LAYER_ID)
    assert sorted(r["code"] for r in rows) == ["G1", "G1B"]


def test_officer_sees_only_their_grid_and_its_detail(app_env):
    add_geometry(app_env)
    at = run("officer")
    rows = layer(deck(at), GRID_LAYER_ID)
    assert [r["code"] for r in rows] == ["G1"]
    # the one grid opens directly: its households (G1 has one household per spot check)
    households = next(m.value for m in at.metric if m.label == "登记住户")
    assert households == str(CHECKS["G1"][0])
    assert NAMES_ZH["G1B"] not in str(at.main)


def test_city_view_is_aggregated_to_districts(app_env):
    add_geometry(app_env)
    at = run("city")
    rows = layer(deck(at), GRID_LAYER_ID)
    by = {r["code"]: r for r in rows}
    assert sorted(by) == ["D1", "D2"]
    # rates recomputed from the grids' counts, never averaged: D1 = (3 + 0) / (4 + 1)
    assert f"{rate('G1', 'G1B'):.1f}%" in by["D1"]["value_text"]
    assert f"{rate('G2'):.1f}%" in by["D2"]["value_text"]


def test_grid_detail_from_the_selector(app_env):
    add_geometry(app_env)
    at = run("district")
    pick = next(s for s in at.selectbox if s.label == "选择网格")
    assert pick.value is None and not at.metric  # two grids: nothing chosen yet
    idx = next(i for i, o in enumerate(pick.options) if o.endswith("G1B"))
    pick.select_index(idx).run()
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "登记住户") == str(CHECKS["G1B"][0])
    assert at.query_params["grid"] in (["G1B"], "G1B")


def test_status_colour_and_indicator_from_the_url(app_env):
    add_geometry(app_env)
    at = run("district", colour="status", indicator="satisfaction")
    rows = layer(deck(at), GRID_LAYER_ID)
    # no ratings in the tiny city: every grid is grey "no data"
    from ui.map import STATUS_COLOURS

    assert {tuple(r["fill"][:3]) for r in rows} == {STATUS_COLOURS["no_data"]}


def test_no_geometry_explains(app_env):
    at = run("district")  # boundaries never imported
    assert deck(at) is None
    assert any("尚未导入边界" in i.value for i in at.info)


def test_city_at_grid_level_from_the_url(app_env):
    """?level=grid: one KPI call per community (run in parallel), every grid with its own value."""
    add_geometry(app_env)
    at = run("city", level="grid")
    by = {r["code"]: r for r in layer(deck(at), GRID_LAYER_ID)}
    assert sorted(by) == ["G1", "G1B", "G2"]
    for g in by:
        assert f"{rate(g):.1f}%" in by[g]["value_text"]
