"""Grid map builders (pydeck 0.9): layer rows, colour scales, legend, view fitting, aggregation
to districts/communities when zoomed out, and the ``pdk.Deck`` itself. Pure functions, no
Streamlit: the page passes every text (tooltip label, legend texts) from ``ui.i18n``.

**No basemap, no external request.** ``build_deck`` sets ``map_provider=None`` and leaves
``map_style`` at pydeck's default sentinel ``"__MAP_STYLE__"``. This is deliberate: Streamlit
1.5x–1.6x's deck.gl component deletes that sentinel and draws no base map, but when the spec
has *no* ``mapStyle`` at all (``map_style=None``) and a ``MapView`` it injects a Carto basemap
URL (``basemaps.cartocdn.com``) — an internet request the intranet cannot make. Tests assert
the spec has no ``http``, ``mapbox`` or ``carto`` reference.

The deck serialises compactly (``OfflineDeck.to_json``: no indentation, UTF-8), which keeps the
L-scale map (12,000 grids, simplified) inside the 5 MB payload budget.
"""
from __future__ import annotations

import bisect
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from data_access.org import geometry as geo

RGB = tuple[int, int, int]

# Indicator status colours (metrics.definitions status codes).
STATUS_COLOURS: dict[str, RGB] = {
    "met": (46, 125, 50),         # green
    "on_track": (30, 136, 229),   # blue
    "at_risk": (255, 179, 0),     # amber
    "off_track": (198, 40, 40),   # red
    "too_early": (176, 190, 197),  # blue-grey: some data, too little to judge
    "no_target": (158, 158, 158),
    "no_data": (189, 189, 189),   # grey
}
STATUS_ORDER = ("met", "on_track", "at_risk", "off_track", "too_early", "no_data")
NO_DATA: RGB = STATUS_COLOURS["no_data"]
FILL_ALPHA = 190
GRID_LINE = [80, 80, 80, 140]
OUTLINE_LINE = [33, 33, 33, 230]
COLOUR_BY = ("status", "value", "gap")
GRID_LAYER_ID = "grids"
OUTLINE_LAYER_ID = "outlines"
LABEL_LAYER_ID = "labels"
LABEL_COLOUR = [27, 36, 48, 255]
LABEL_BACKGROUND = [255, 255, 255, 190]
MAX_LABELS = 80  # beyond that the names overlap into noise; the tooltip still names each unit


def hex_colour(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


# --- colour scales -------------------------------------------------------------------------

@dataclass(frozen=True)
class Scale:
    """Classed colour scale with fixed ``breaks`` (ascending) and ``len(breaks) + 1`` colours.

    ``closed="left"``: class i holds ``breaks[i-1] ≤ v < breaks[i]`` (a value equal to a break
    falls in the higher class, e.g. exactly 90 % sits with "90–95"); ``closed="right"``: class
    i holds ``breaks[i-1] < v ≤ breaks[i]`` (e.g. a gap of exactly 0 sits with "≤ 0").
    """
    breaks: tuple[float, ...]
    colours: tuple[RGB, ...]
    closed: str = "left"

    def __post_init__(self):
        if len(self.colours) != len(self.breaks) + 1:
            raise ValueError("a scale needs one colour more than it has breaks")
        if list(self.breaks) != sorted(self.breaks):
            raise ValueError("breaks must be ascending")

    def index(self, v: float) -> int:
        return (bisect.bisect_right if self.closed == "left" else bisect.bisect_left)(self.breaks, v)

    def colour(self, v: float | None) -> RGB:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return NO_DATA
        return self.colours[self.index(v)]

    def class_labels(self, unit: str = "") -> list[str]:
        """Numeric class labels, e.g. ``["< 80%", "80–85%", …, "≥ 95%"]`` (``closed="left"``)."""
        b = [_fmt(x) for x in self.breaks]
        lo, hi = ("<", "≥") if self.closed == "left" else ("≤", ">")
        out = [f"{lo} {b[0]}{unit}"]
        out += [f"{b[i - 1]}–{b[i]}{unit}" for i in range(1, len(b))]
        out.append(f"{hi} {b[-1]}{unit}")
        return out


def _fmt(x: float) -> str:
    return f"{x:g}"


# Indicator value in percent (higher is better): light yellow → dark blue-green.
VALUE_SCALE = Scale(breaks=(80.0, 85.0, 90.0, 95.0),
                    colours=((255, 255, 204), (161, 218, 180), (65, 182, 196), (44, 127, 184), (37, 52, 148)))
# Gap in points (positive = behind): ≤ 0 green, then yellow → dark red.
GAP_SCALE = Scale(breaks=(0.0, 2.0, 5.0, 10.0),
                  colours=((46, 125, 50), (255, 235, 59), (255, 152, 0), (229, 57, 53), (127, 0, 0)),
                  closed="right")


# The same classes for a lower-is-better percent (e.g. an incident rate): low values dark, high light.
VALUE_SCALE_DOWN = Scale(breaks=VALUE_SCALE.breaks, colours=tuple(reversed(VALUE_SCALE.colours)))


def value_scale(direction: str = "up") -> Scale:
    """The value scale for an indicator's direction: the darker colour is always the better value."""
    return VALUE_SCALE_DOWN if direction == "down" else VALUE_SCALE


def scale_for(colour_by: str, scale: Scale | None = None) -> Scale | None:
    if colour_by not in COLOUR_BY:
        raise ValueError(f"colour_by must be one of {COLOUR_BY}")
    if colour_by == "status":
        return None
    return scale or (VALUE_SCALE if colour_by == "value" else GAP_SCALE)


# --- layer rows ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CellValue:
    """What one unit shows: the number coloured (indicator value or gap), its status, and the
    tooltip text the caller formatted (e.g. "信息准确率 91.2%（n=34）")."""
    value: float | None = None
    status: str | None = None
    text: str = ""


def fill_colour(cell: CellValue, colour_by: str, scale: Scale | None = None) -> list[int]:
    """RGBA fill of a unit: status colour, or the class colour of its value/gap (grey without data)."""
    if colour_by == "status":
        rgb = STATUS_COLOURS.get(cell.status or "no_data", NO_DATA)
    else:
        rgb = scale_for(colour_by, scale).colour(cell.value)
    return [*rgb, FILL_ALPHA]


def grid_layer_data(features: Iterable[Any], values: Mapping[int, CellValue], colour_by: str, *,
                    lang: str = "zh", scale: Scale | None = None, missing: str = "—") -> list[dict]:
    """Rows for the grid ``PolygonLayer``: one per polygon (a MultiPolygon gives several rows with
    the same id), with ``id, code, name, officer, value_text, polygon, fill``.

    ``features``: ``data_access.analytics.map_queries.MapFeature`` (or anything with ``id, code, geometry,
    officer`` and ``name(lang)``); ``values``: feature id → :class:`CellValue` (missing = no data);
    ``colour_by``: ``status`` | ``value`` | ``gap``. ``missing`` is shown for an unknown officer.
    """
    scale_for(colour_by, scale)  # validates colour_by
    rows = []
    for f in features:
        cell = values.get(f.id) or CellValue()
        fill = fill_colour(cell, colour_by, scale)
        base = {"id": f.id, "code": f.code, "name": f.name(lang), "officer": getattr(f, "officer", None) or missing,
                "value_text": cell.text or missing, "fill": fill}
        for poly in geo.polygons(f.geometry):
            rows.append({**base, "polygon": poly})
    return rows


def outline_data(features: Iterable[Any], lang: str = "zh") -> list[dict]:
    """Rows for the outline ``PathLayer``: one path per outer ring (district/community borders)."""
    rows = []
    for f in features:
        for poly in geo.polygons(f.geometry):
            rows.append({"id": f.id, "name": f.name(lang), "path": poly[0]})
    return rows


def label_data(features: Sequence[Any], lang: str = "zh", max_labels: int = MAX_LABELS) -> list[dict]:
    """Rows for the name ``TextLayer``: ``name`` at each unit's centroid ``position`` — none when
    more than ``max_labels`` units are drawn."""
    if len(features) > max_labels:
        return []
    rows = []
    for f in features:
        c = geo.centroid(f.geometry)
        if c is not None:
            rows.append({"id": f.id, "name": f.name(lang), "position": [round(c[0], 6), round(c[1], 6)]})
    return rows


def legend_items(colour_by: str, *, scale: Scale | None = None, status_labels: Mapping[str, str] | None = None,
                 no_data_label: str = "", unit: str = "") -> list[dict]:
    """``[{"label", "colour" (hex), "rgb"}]`` for the page to draw: the statuses (in order, with
    the caller's texts) or the scale's classes plus "no data"."""
    if colour_by == "status":
        labels = status_labels or {}
        return [{"label": labels.get(s, s), "colour": hex_colour(STATUS_COLOURS[s]), "rgb": list(STATUS_COLOURS[s])}
                for s in STATUS_ORDER]
    sc = scale_for(colour_by, scale)
    items = [{"label": lab, "colour": hex_colour(c), "rgb": list(c)}
             for lab, c in zip(sc.class_labels(unit), sc.colours, strict=True)]
    items.append({"label": no_data_label, "colour": hex_colour(NO_DATA), "rgb": list(NO_DATA)})
    return items


def tooltip(officer_label: str) -> dict:
    """deck.gl *text* tooltip (rendered as text, not HTML, so names cannot inject markup)."""
    safe = officer_label.replace("{", "(").replace("}", ")")
    return {"text": "{name}\n" + safe + ": {officer}\n{value_text}"}


# --- aggregation when zoomed out -----------------------------------------------------------

def default_level(scope_level: str, n_grids: int, max_polygons: int = 3000) -> str:
    """Level drawn by default: grids while there are at most ``max_polygons`` of them, else
    districts for a city-wide view and communities below it."""
    if n_grids <= max_polygons:
        return "grid"
    return "district" if scope_level == "city" else "community"


def aggregate_counts(counts: Mapping[int, tuple[int, int]], parents: Mapping[int, int | None]) -> dict[int, tuple[int, int]]:
    """Sum grid ``(k, n)`` counts per parent unit (rates are recomputed from the sums, never
    averaged). ``parents``: grid id → id of its district/community; grids without one are skipped."""
    out: dict[int, list[int]] = {}
    for grid_id, (k, n) in counts.items():
        parent = parents.get(grid_id)
        if parent is None:
            continue
        acc = out.setdefault(parent, [0, 0])
        acc[0] += int(k)
        acc[1] += int(n)
    return {p: (k, n) for p, (k, n) in out.items()}


def parent_map(features: Iterable[Any], level: str) -> dict[int, int | None]:
    """Grid id → id of its ancestor at ``level`` (from ``MapFeature.ancestor``)."""
    return {f.id: f.ancestor(level) for f in features}


@dataclass(frozen=True)
class AreaFeature:
    """A unit drawn from its grids' convex hull because it has no geometry of its own."""
    id: int
    code: str
    name_zh: str
    name_en: str | None
    geometry: dict
    level: str
    officer: str | None = None
    extra: dict = field(default_factory=dict)

    def name(self, lang: str) -> str:
        return (self.name_en or self.code) if lang == "en" else self.name_zh

    def ancestor(self, level: str) -> int | None:
        return self.id if level == self.level else None


def aggregate_features(grid_features: Sequence[Any], level: str, parent_features: Sequence[Any],
                       units: Mapping[int, Any] | None = None) -> list[Any]:
    """Features to draw at ``level`` (district/community): the parents' own polygons, and for a
    parent without geometry the convex hull of its grids (named from ``units``: id → object with
    ``code, name_zh, name_en``; else its id)."""
    have = {f.id for f in parent_features}
    groups: dict[int, list[dict]] = {}
    for g in grid_features:
        p = g.ancestor(level)
        if p is not None and p not in have:
            groups.setdefault(p, []).append(g.geometry)
    out = list(parent_features)
    for pid, geoms in sorted(groups.items()):
        hull = geo.hull_geometry(geoms)
        if hull is None:
            continue
        u = (units or {}).get(pid)
        out.append(AreaFeature(id=pid, code=getattr(u, "code", str(pid)), name_zh=getattr(u, "name_zh", str(pid)),
                               name_en=getattr(u, "name_en", None), geometry=hull, level=level))
    return out


# --- view and deck -------------------------------------------------------------------------

TILE = 512  # deck.gl's world size in pixels at zoom 0


def view_state_for_bounds(bounds: tuple[float, float, float, float] | None, *, width: int = 800, height: int = 600,
                          padding: float = 0.08, max_zoom: float = 18.0) -> pdk.ViewState:
    """A ``ViewState`` centred on ``bounds`` (min_lon, min_lat, max_lon, max_lat) with the largest
    zoom at which they fit ``width × height`` pixels (Web Mercator, ``padding`` share kept free)."""
    if bounds is None:
        return pdk.ViewState(longitude=0.0, latitude=0.0, zoom=1, pitch=0, bearing=0)
    x0, y0, x1, y1 = bounds
    usable_w, usable_h = width * (1 - 2 * padding), height * (1 - 2 * padding)

    def merc(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    dx = max(x1 - x0, 1e-9)
    dy = max(merc(y1) - merc(y0), 1e-9)
    zoom_x = math.log2(usable_w * 360.0 / (TILE * dx))
    zoom_y = math.log2(usable_h * 2 * math.pi / (TILE * dy))
    zoom = max(0.0, min(zoom_x, zoom_y, max_zoom))
    mid_y = math.degrees(2 * math.atan(math.exp((merc(y0) + merc(y1)) / 2)) - math.pi / 2)
    return pdk.ViewState(longitude=(x0 + x1) / 2, latitude=mid_y, zoom=round(zoom, 2), min_zoom=0,
                         max_zoom=max_zoom, pitch=0, bearing=0)


class OfflineDeck(pdk.Deck):
    """A ``pdk.Deck`` that serialises compactly (no indentation, UTF-8 text)."""

    def to_json(self):
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"), ensure_ascii=False)


def build_deck(layers_data: list[dict], view_state: pdk.ViewState | tuple[float, float, float, float] | None,
               outline_data: list[dict] | None = None, *, tooltip_spec: dict | None = None,
               width: int = 800, height: int = 600, labels: list[dict] | None = None) -> OfflineDeck:
    """Deck with a pickable ``PolygonLayer`` (id ``grids``) of ``grid_layer_data`` rows and, when
    given, a ``PathLayer`` (id ``outlines``) of district/community borders and a ``TextLayer`` (id
    ``labels``) of ``label_data`` rows; no basemap at all. ``view_state``: a ``pdk.ViewState`` or
    bounds to fit (``None``: fitted to the rows)."""
    if view_state is None or isinstance(view_state, tuple):
        bounds = view_state
        if bounds is None:
            geoms = [{"type": "Polygon", "coordinates": r["polygon"]} for r in layers_data]
            geoms += [{"type": "Polygon", "coordinates": [r["path"]]} for r in outline_data or []]
            bounds = geo.bounds(geoms)
        view_state = view_state_for_bounds(bounds, width=width, height=height)
    layers = [pdk.Layer(
        "PolygonLayer", data=layers_data, id=GRID_LAYER_ID, get_polygon="polygon", get_fill_color="fill",
        get_line_color=GRID_LINE, line_width_min_pixels=0.5, stroked=True, filled=True, pickable=True,
        auto_highlight=True,
    )]
    if outline_data:
        layers.append(pdk.Layer(
            "PathLayer", data=outline_data, id=OUTLINE_LAYER_ID, get_path="path", get_color=OUTLINE_LINE,
            width_min_pixels=2, pickable=False,
        ))
    if labels:
        # glyphs drawn by the browser from a system font ("auto": the characters in the data), no font fetched
        layers.append(pdk.Layer(
            "TextLayer", data=labels, id=LABEL_LAYER_ID, get_position="position", get_text="name",
            # pydeck sends a string as an expression: literals are quoted
            get_size=12, size_units="'pixels'", get_color=LABEL_COLOUR, font_family="'sans-serif'",
            character_set="'auto'",
            background=True, get_background_color=LABEL_BACKGROUND, background_padding=[3, 1, 3, 1],
            pickable=False,
        ))
    # map_provider=None and map_style left at pydeck's sentinel: no basemap (see module docstring).
    return OfflineDeck(layers=layers, initial_view_state=view_state, map_provider=None,
                       tooltip=tooltip_spec or True, height=height)
