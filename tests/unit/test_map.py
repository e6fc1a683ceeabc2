"""ui.map: colours, layer rows, legend, aggregation, view fitting and the offline deck spec."""
from __future__ import annotations

import json
import math

import pytest

from data_access.analytics.map_queries import MapFeature
from ui import map as m

SQUARE = {"type": "Polygon", "coordinates": [[[116.0, 39.0], [116.01, 39.0], [116.01, 39.01], [116.0, 39.01],
                                               [116.0, 39.0]]]}
TWO_PARTS = {"type": "MultiPolygon", "coordinates": [
    [[[116.02, 39.0], [116.03, 39.0], [116.03, 39.01], [116.02, 39.0]]],
    [[[116.04, 39.0], [116.05, 39.0], [116.05, 39.01], [116.04, 39.0]]],
]}


def _grid(id_, geometry=SQUARE, community=10, district=1, officer=None, name_en=None):
    return MapFeature(id=id_, code=f"G{id_}", level="grid", name_zh=f"网格{id_}", name_en=name_en,
                      geometry=geometry, parent_id=community, district_id=district, station_id=5,
                      community_id=community, officer=officer)


# --- colours -------------------------------------------------------------------------------

@pytest.mark.parametrize("value,colour_index", [
    (79.9, 0), (80.0, 1), (84.99, 1), (90.0, 3), (95.0, 4), (100.0, 4),  # left-closed classes
])
def test_value_scale_classes(value, colour_index):
    assert m.VALUE_SCALE.colour(value) == m.VALUE_SCALE.colours[colour_index]


@pytest.mark.parametrize("gap,colour_index", [
    (-3.0, 0), (0.0, 0), (0.1, 1), (2.0, 1), (5.0, 2), (10.0, 3), (10.5, 4),  # right-closed: gap 0 is "≤ 0"
])
def test_gap_scale_classes(gap, colour_index):
    assert m.GAP_SCALE.colour(gap) == m.GAP_SCALE.colours[colour_index]


def test_no_value_is_grey_and_scales_are_checked():
    assert m.VALUE_SCALE.colour(None) == m.NO_DATA
    assert m.VALUE_SCALE.colour(float("nan")) == m.NO_DATA
    with pytest.raises(ValueError):
        m.Scale(breaks=(1.0, 2.0), colours=((0, 0, 0), (1, 1, 1)))
    with pytest.raises(ValueError):
        m.grid_layer_data([], {}, "rainbow")


@pytest.mark.parametrize("status,rgb", [
    ("met", (46, 125, 50)), ("on_track", (30, 136, 229)), ("at_risk", (255, 179, 0)),
    ("off_track", (198, 40, 40)), ("no_data", (189, 189, 189)), (None, (189, 189, 189)),
])
def test_status_colours(status, rgb):
    assert m.fill_colour(m.CellValue(status=status), "status") == [*rgb, m.FILL_ALPHA]


# --- layer rows ----------------------------------------------------------------------------

def test_grid_layer_rows_carry_tooltip_fields_and_colour():
    feats = [_grid(1, officer="张警官", name_en="Grid one"), _grid(2, TWO_PARTS)]
    values = {1: m.CellValue(value=91.0, status="met", text="信息准确率 91.0%（n=34）")}
    rows = m.grid_layer_data(feats, values, "value", lang="en")
    assert len(rows) == 3  # grid 2 is a MultiPolygon of two parts → two rows with the same id
    first = rows[0]
    assert first["name"] == "Grid one" and first["officer"] == "张警官"
    assert first["value_text"] == "信息准确率 91.0%（n=34）"
    assert first["fill"] == [*m.VALUE_SCALE.colours[3], m.FILL_ALPHA]  # 91 % is in 90–95
    assert first["polygon"] == SQUARE["coordinates"]
    assert [r["id"] for r in rows[1:]] == [2, 2]
    assert rows[1]["officer"] == "—" and rows[1]["value_text"] == "—"  # no officer, no value
    assert rows[1]["fill"] == [*m.NO_DATA, m.FILL_ALPHA]
    assert rows[2]["polygon"] == TWO_PARTS["coordinates"][1]


def test_grid_layer_rows_by_status_and_gap():
    feats = [_grid(1)]
    assert m.grid_layer_data(feats, {1: m.CellValue(value=3.0, status="at_risk")}, "status")[0]["fill"][:3] == [
        255, 179, 0]
    assert m.grid_layer_data(feats, {1: m.CellValue(value=3.0, status="at_risk")}, "gap")[0]["fill"][:3] == list(
        m.GAP_SCALE.colours[2])  # gap 3 points → class "2–5"


def test_outline_rows_one_path_per_outer_ring():
    rows = m.outline_data([_grid(1), _grid(2, TWO_PARTS)], lang="zh")
    assert [r["name"] for r in rows] == ["网格1", "网格2", "网格2"]
    assert rows[0]["path"] == SQUARE["coordinates"][0]


# --- legend --------------------------------------------------------------------------------

def test_legend_for_status_uses_the_callers_texts():
    items = m.legend_items("status", status_labels={"met": "已达标", "off_track": "偏离目标"})
    assert items[0] == {"label": "已达标", "colour": "#2e7d32", "rgb": [46, 125, 50]}
    assert [i["label"] for i in items][3] == "偏离目标"
    assert len(items) == len(m.STATUS_ORDER)


def test_legend_for_values_lists_classes_and_no_data():
    items = m.legend_items("value", no_data_label="无数据", unit="%")
    assert [i["label"] for i in items] == ["< 80%", "80–85%", "85–90%", "90–95%", "≥ 95%", "无数据"]
    gap_labels = [i["label"] for i in m.legend_items("gap", no_data_label="无数据")]
    assert gap_labels[0] == "≤ 0" and gap_labels[4] == "> 10"


# --- aggregation ---------------------------------------------------------------------------

def test_aggregate_counts_sums_per_parent():
    # grids 1, 2 in community 10; grid 3 in 11; grid 4 has no parent: 10 → (8+9, 10+10), 11 → (5, 10)
    counts = {1: (8, 10), 2: (9, 10), 3: (5, 10), 4: (1, 1)}
    parents = {1: 10, 2: 10, 3: 11}
    assert m.aggregate_counts(counts, parents) == {10: (17, 20), 11: (5, 10)}


def test_parent_map_and_default_level():
    feats = [_grid(1, community=10, district=1), _grid(2, community=11, district=1)]
    assert m.parent_map(feats, "community") == {1: 10, 2: 11}
    assert m.parent_map(feats, "district") == {1: 1, 2: 1}
    assert m.default_level("city", 12000) == "district"
    assert m.default_level("district", 4000) == "community"
    assert m.default_level("city", 3000) == "grid"


def test_aggregate_features_hulls_parents_without_geometry():
    district = MapFeature(id=1, code="D1", level="district", name_zh="一区", name_en=None, geometry=SQUARE)
    # grids 1, 2 in district 1 (has geometry); grid 3 in district 2 (no geometry) → hull of grid 3
    feats = [_grid(1, district=1), _grid(2, district=1), _grid(3, TWO_PARTS, district=2)]

    class Unit:
        code, name_zh, name_en = "D2", "二区", "District 2"

    out = m.aggregate_features(feats, "district", [district], units={2: Unit()})
    assert [f.code for f in out] == ["D1", "D2"]
    hull = out[1].geometry["coordinates"][0]
    # hull of the two triangles: corners (116.02,39), (116.05,39), (116.05,39.01), (116.03,39.01)
    assert sorted(map(tuple, hull[:-1])) == [(116.02, 39.0), (116.03, 39.01), (116.05, 39.0), (116.05, 39.01)]
    assert out[1].name("en") == "District 2"


# --- view and deck -------------------------------------------------------------------------

def test_view_state_is_centred_and_zoom_fits():
    # 0.1° wide box at the equator in an 800 × 600 view with no padding:
    # zoom_x = log2(800 × 360 / (512 × 0.1)) = log2(5625) = 12.457…, and the height (0.1° tall,
    # mercator ≈ 0.0017453 rad) gives log2(600 × 2π / (512 × 0.0017453)) = 12.04… → the smaller.
    vs = m.view_state_for_bounds((0.0, -0.05, 0.1, 0.05), width=800, height=600, padding=0.0)
    assert vs.longitude == pytest.approx(0.05)
    assert vs.latitude == pytest.approx(0.0, abs=1e-9)
    dy = 2 * math.log(math.tan(math.pi / 4 + math.radians(0.05) / 2))
    assert vs.zoom == pytest.approx(round(math.log2(600 * 2 * math.pi / (512 * dy)), 2))
    assert vs.zoom < math.log2(800 * 360 / (512 * 0.1))


def test_deck_has_polygons_outlines_and_no_basemap():
    feats = [_grid(1, officer="张警官"), _grid(2, TWO_PARTS)]
    rows = m.grid_layer_data(feats, {1: m.CellValue(value=91.0, text="91.0%")}, "value")
    deck = m.build_deck(rows, None, m.outline_data(feats), tooltip_spec=m.tooltip("民警"))
    text = deck.to_json()
    spec = json.loads(text)
    low = text.lower()
    assert "http" not in low and "mapbox" not in low and "carto" not in low
    # pydeck's sentinel: Streamlit removes it and draws no base map; a missing mapStyle would make
    # Streamlit inject a Carto style URL instead.
    assert spec["mapStyle"] == "__MAP_STYLE__" and "mapProvider" not in spec
    types = {layer["id"]: layer["@@type"] for layer in spec["layers"]}
    assert types == {"grids": "PolygonLayer", "outlines": "PathLayer"}
    grids = next(layer for layer in spec["layers"] if layer["id"] == "grids")
    assert len(grids["data"]) == 3 and grids["pickable"] is True
    assert "张警官" in text  # compact UTF-8, not \\u escapes
    assert "\n" not in text
    # fitted to the features: centre of 116.0 … 116.05
    assert spec["initialViewState"]["longitude"] == pytest.approx(116.025)
    # st.pydeck_chart sends deck._tooltip beside the spec
    assert deck._tooltip == {"text": "{name}\n民警: {officer}\n{value_text}"}


def test_deck_without_outlines_has_only_the_grid_layer():
    rows = m.grid_layer_data([_grid(1)], {}, "status")
    spec = json.loads(m.build_deck(rows, (116.0, 39.0, 116.01, 39.01)).to_json())
    assert [layer["id"] for layer in spec["layers"]] == ["grids"]


def test_tooltip_is_text_not_html():
    spec = m.tooltip("民警 {x}")
    assert "html" not in spec and spec["text"] == "{name}\n民警 (x): {officer}\n{value_text}"


def test_labels_at_centroids_and_none_when_crowded():
    from types import SimpleNamespace

    square = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}
    f1 = SimpleNamespace(id=1, geometry=square, name=lambda lang: "网格一" if lang == "zh" else "Grid 1")
    rows = m.label_data([f1], "zh")
    assert rows == [{"id": 1, "name": "网格一", "position": [1.0, 1.0]}]
    assert m.label_data([f1], "en")[0]["name"] == "Grid 1"
    assert m.label_data([f1] * 3, "zh", max_labels=2) == []
    deck = m.build_deck([], (0.0, 0.0, 2.0, 2.0), labels=rows)
    spec = deck.to_json()
    assert '"@@type":"TextLayer"' in spec and "http" not in spec.lower()
    # plain literals, not expressions (pydeck turns an unquoted string into one)
    assert '"characterSet":"auto"' in spec and '"fontFamily":"sans-serif"' in spec and '"sizeUnits":"pixels"' in spec


def test_value_colours_follow_the_direction():
    """The darker colour is the better value: for a lower-is-better percent, 3 % is darkest, 97 % lightest."""
    up, down = m.value_scale("up"), m.value_scale("down")
    assert up is m.VALUE_SCALE
    assert down.breaks == up.breaks
    assert down.colour(3.0) == up.colour(97.0) == up.colours[-1]
    assert down.colour(97.0) == up.colour(3.0) == up.colours[0]
    assert down.colour(87.0) == up.colours[2]  # 85–90 is the middle class either way
    assert down.colour(None) == m.NO_DATA
