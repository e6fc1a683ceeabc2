"""Pure geometry helpers for the grid map (GeoJSON, WGS84 lon/lat degrees).

- ``simplify_geometry``: Douglas–Peucker simplification of every ring of a Polygon or
  MultiPolygon with a tolerance in degrees, then rounding to 5 decimals (≈ 1 m). Rings stay
  closed (first point == last point) and keep at least 4 points; a ring that would collapse
  below 4 points is kept at its rounded original shape instead (so a small grid never
  disappears at a coarse tolerance). Simplification can in rare cases make a ring touch itself;
  deck.gl still draws such a ring, and nothing here relies on strict validity.
- ``bounds`` / ``centroid`` / ``convex_hull``: small helpers for fitting the view and for
  drawing a parent unit that has no geometry of its own.
- ``payload_size``: bytes of the compact JSON of an object (what the browser receives).
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence

Point = Sequence[float]
Ring = list[list[float]]

DECIMALS = 5
POLYGON_TYPES = ("Polygon", "MultiPolygon")


# --- parsing -------------------------------------------------------------------------------

def parse_geometry(value: str | dict | None) -> dict | None:
    """A GeoJSON geometry dict from a JSON string, a geometry dict or a Feature; ``None`` if empty."""
    if value is None or value == "":
        return None
    obj = json.loads(value) if isinstance(value, str) else value
    if obj.get("type") == "Feature":
        obj = obj.get("geometry")
    if obj is None:
        return None
    if obj.get("type") not in POLYGON_TYPES:
        raise ValueError(f"unsupported geometry type {obj.get('type')!r}; expected Polygon or MultiPolygon")
    return obj


def polygons(geometry: dict) -> list[list[Ring]]:
    """The polygons of a geometry as a list of ``[outer ring, *holes]`` (MultiPolygon → several)."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["coordinates"]]
    if kind == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError(f"unsupported geometry type {kind!r}")


# --- Douglas–Peucker -----------------------------------------------------------------------

def _segment_distance(p: Point, a: Point, b: Point) -> float:
    """Distance from ``p`` to the segment ``a``–``b`` (planar, in degrees)."""
    ax, ay = a[0], a[1]
    dx, dy = b[0] - ax, b[1] - ay
    if dx == 0 and dy == 0:
        return math.hypot(p[0] - ax, p[1] - ay)
    t = ((p[0] - ax) * dx + (p[1] - ay) * dy) / (dx * dx + dy * dy)
    t = max(0.0, min(1.0, t))
    return math.hypot(p[0] - (ax + t * dx), p[1] - (ay + t * dy))


def douglas_peucker(points: Sequence[Point], tolerance: float) -> list[list[float]]:
    """Douglas–Peucker on an open polyline: keeps both endpoints and every point farther than
    ``tolerance`` from the simplified line (iterative, so long rings do not hit the recursion limit)."""
    n = len(points)
    if n <= 2 or tolerance <= 0:
        return [list(p) for p in points]
    keep = [False] * n
    keep[0] = keep[n - 1] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        best, index = -1.0, -1
        for i in range(first + 1, last):
            d = _segment_distance(points[i], points[first], points[last])
            if d > best:
                best, index = d, i
        if index != -1 and best > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [list(p) for p, k in zip(points, keep, strict=True) if k]


def _round_ring(ring: Sequence[Point], ndigits: int) -> Ring:
    """Round coordinates and drop consecutive duplicates that rounding creates; keep the ring closed."""
    out: Ring = []
    for p in ring:
        q = [round(float(p[0]), ndigits), round(float(p[1]), ndigits)]
        if not out or out[-1] != q:
            out.append(q)
    if out and out[0] != out[-1]:
        out.append(list(out[0]))
    return out


def simplify_ring(ring: Sequence[Point], tolerance: float, ndigits: int = DECIMALS) -> Ring:
    """Simplify one closed ring; the result is closed and has ≥ 4 points (else the rounded original).

    The ring is split at its first point and the vertex farthest from it, and each half is
    simplified with Douglas–Peucker, so the closing point is always kept.
    """
    pts = [list(map(float, p[:2])) for p in ring]
    if len(pts) >= 2 and pts[0] != pts[-1]:
        pts.append(list(pts[0]))
    original = _round_ring(pts, ndigits)
    if tolerance <= 0 or len(pts) <= 4:
        return original
    start = pts[0]
    far = max(range(1, len(pts) - 1), key=lambda i: math.hypot(pts[i][0] - start[0], pts[i][1] - start[1]))
    first_half = douglas_peucker(pts[: far + 1], tolerance)
    second_half = douglas_peucker(pts[far:], tolerance)
    simplified = _round_ring(first_half[:-1] + second_half, ndigits)
    return simplified if len(simplified) >= 4 else original


def simplify_geometry(geometry: dict, tolerance: float = 0.0, ndigits: int = DECIMALS) -> dict:
    """A new Polygon/MultiPolygon with every ring simplified (``tolerance`` in degrees) and rounded.

    A hole that collapses is dropped only if it would have fewer than 4 points even unsimplified.
    """
    out_polys = []
    for poly in polygons(geometry):
        rings = [simplify_ring(r, tolerance, ndigits) for r in poly]
        rings = [r for r in rings if len(r) >= 4]
        if rings:
            out_polys.append(rings)
    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": out_polys[0] if out_polys else []}
    return {"type": "MultiPolygon", "coordinates": out_polys}


def round_geometry(geometry: dict, ndigits: int = DECIMALS) -> dict:
    """Rounding only (no simplification)."""
    return simplify_geometry(geometry, 0.0, ndigits)


# --- measures ------------------------------------------------------------------------------

def _all_points(geometries: dict | Iterable[dict]) -> Iterable[Point]:
    geoms = [geometries] if isinstance(geometries, dict) else geometries
    for g in geoms:
        for poly in polygons(g):
            for ring in poly:
                yield from ring


def bounds(geometries: dict | Iterable[dict]) -> tuple[float, float, float, float] | None:
    """``(min_lon, min_lat, max_lon, max_lat)`` of one geometry or many; ``None`` when empty."""
    xs, ys = [], []
    for p in _all_points(geometries):
        xs.append(p[0])
        ys.append(p[1])
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def ring_area(ring: Sequence[Point]) -> float:
    """Signed shoelace area of a ring (square degrees; positive when counter-clockwise)."""
    s = 0.0
    for a, b in zip(ring, ring[1:], strict=False):
        s += a[0] * b[1] - b[0] * a[1]
    return s / 2.0


def centroid(geometry: dict) -> tuple[float, float] | None:
    """Area-weighted centroid ``(lon, lat)`` of the outer rings minus holes (planar, fine for a city);
    the mean of the vertices when the area is zero; ``None`` when empty."""
    ax = ay = area = 0.0
    for poly in polygons(geometry):
        for i, ring in enumerate(poly):
            a = ring_area(ring)
            sign = 1.0 if i == 0 else -1.0  # holes subtract, whatever their orientation
            a_abs = abs(a)
            if a == 0:
                continue
            cx = cy = 0.0
            for p, q in zip(ring, ring[1:], strict=False):
                cross = p[0] * q[1] - q[0] * p[1]
                cx += (p[0] + q[0]) * cross
                cy += (p[1] + q[1]) * cross
            cx, cy = cx / (6 * a), cy / (6 * a)
            ax += sign * a_abs * cx
            ay += sign * a_abs * cy
            area += sign * a_abs
    if area != 0:
        return ax / area, ay / area
    pts = list(_all_points(geometry))
    if not pts:
        return None
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def convex_hull(points: Iterable[Point]) -> Ring:
    """Closed counter-clockwise convex hull ring (Andrew's monotone chain); ``[]`` below 3 distinct points."""
    pts = sorted({(float(p[0]), float(p[1])) for p in points})
    if len(pts) < 3:
        return []

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    if len(hull) < 3:
        return []
    return [list(p) for p in hull] + [list(hull[0])]


def hull_geometry(geometries: Iterable[dict], ndigits: int = DECIMALS) -> dict | None:
    """A Polygon covering several geometries (their convex hull), for a unit without its own outline."""
    ring = convex_hull(_all_points(list(geometries)))
    if not ring:
        return None
    return {"type": "Polygon", "coordinates": [_round_ring(ring, ndigits)]}


def payload_size(obj) -> int:
    """Size in bytes of ``obj`` as compact UTF-8 JSON (what a map or chart sends to the browser)."""
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))
