"""Grid boundaries from a GeoJSON upload (issue 13): checked before anything is written, applied in
one transaction.

Checks (``check_geojson``): a FeatureCollection; every feature's ``code`` property (or ``grid_code``)
names a known grid, once; a Polygon or MultiPolygon whose rings are closed, have ≥ 3 distinct points,
enclose an area and do not cross themselves; every coordinate inside WGS84 (longitude −180…180,
latitude −90…90). Between the grids of one community (the uploaded boundaries, and the stored ones of
its grids the file leaves out): overlaps are errors, gaps are warnings, each naming the grids.

Geometry is plain Python (no GEOS on the intranet machines). Overlap: two grids overlap when their
edges properly cross, or a vertex or edge midpoint of one lies strictly inside the other — shared
borders and touching corners do not count. Gap: a closed loop of border edges that belong to one
grid only and wind clockwise once every ring is oriented (exteriors counter-clockwise), i.e. a hole
in the community's union; slivers below ``GAP_MIN_AREA`` square degrees (≈ 1 m²) are ignored.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from data_access.core import audit
from data_access.core.errors import ConcurrentEdit
from data_access.core.text import check_reason
from data_access.org.models import OrgUnit

MAX_BYTES = 20 * 1024 * 1024
DECIMALS = 7  # vertex matching (≈ 1 cm)
GAP_MIN_AREA = 1e-10
EPS = 1e-12

Point = tuple[float, float]
Ring = list[Point]


@dataclass(frozen=True)
class Problem:
    code: str  # json | collection | empty | no_code | unknown_code | duplicate | geometry_type | coordinates |
    #            not_closed | too_few_points | zero_area | self_intersection | wgs84 | overlap | gap
    grid: str | None = None
    params: dict = field(default_factory=dict)


@dataclass
class BoundaryCheck:
    geometries: dict[str, dict]  # grid code → the uploaded geometry
    errors: list[Problem]
    warnings: list[Problem]
    versions: dict[str, int]  # grid code → version when checked

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.geometries)


class BoundariesInvalid(ValueError):
    """The upload was refused; ``problems`` lists every error (nothing written)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.grid or '-'}: {p.code}" for p in problems))
        self.problems = problems
        self.code = "invalid"
        self.params: dict = {}


# --- plane geometry ---------------------------------------------------------------------------

def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def signed_area(ring: Ring) -> float:
    return sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1)) / 2


def _proper_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Segments cross at one point inside both (not at an end, not collinear)."""
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    return ((d1 > EPS and d2 < -EPS) or (d1 < -EPS and d2 > EPS)) and ((d3 > EPS and d4 < -EPS) or (d3 < -EPS and d4 > EPS))


def _on_segment(p: Point, a: Point, b: Point) -> bool:
    if abs(_cross(a, b, p)) > 1e-12 * max(1.0, abs(a[0]) + abs(a[1])):
        return False
    return min(a[0], b[0]) - EPS <= p[0] <= max(a[0], b[0]) + EPS and min(a[1], b[1]) - EPS <= p[1] <= max(a[1], b[1]) + EPS


def _touches(p: Point, a: Point, b: Point) -> bool:
    """``p`` lies on segment a–b (ends included) or at one of its ends."""
    return p == a or p == b or _on_segment(p, a, b)


def self_intersects(ring: Ring) -> bool:
    n = len(ring) - 1  # closed: ring[n] == ring[0]
    segs = [(ring[i], ring[i + 1]) for i in range(n)]
    for i in range(n):
        a1, a2 = segs[i]
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbours share a vertex
            b1, b2 = segs[j]
            if (max(a1[0], a2[0]) < min(b1[0], b2[0]) or max(b1[0], b2[0]) < min(a1[0], a2[0])
                    or max(a1[1], a2[1]) < min(b1[1], b2[1]) or max(b1[1], b2[1]) < min(a1[1], a2[1])):
                continue
            if _proper_cross(a1, a2, b1, b2) or any(_touches(p, b1, b2) for p in (a1, a2)) \
                    or any(_touches(p, a1, a2) for p in (b1, b2)):
                return True
    return False


def _inside_ring(p: Point, ring: Ring) -> int:
    """1 strictly inside, 0 on the boundary, −1 outside (even–odd rule)."""
    inside = False
    for i in range(len(ring) - 1):
        a, b = ring[i], ring[i + 1]
        if _on_segment(p, a, b):
            return 0
        if (a[1] > p[1]) != (b[1] > p[1]):
            x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if x > p[0]:
                inside = not inside
    return 1 if inside else -1


def _inside_polygons(p: Point, polys: list[list[Ring]]) -> bool:
    """``p`` strictly inside one of the polygons (inside the exterior, outside every hole)."""
    for rings in polys:
        if _inside_ring(p, rings[0]) == 1 and all(_inside_ring(p, h) == -1 for h in rings[1:]):
            return True
    return False


def _bbox(polys: list[list[Ring]]) -> tuple[float, float, float, float]:
    xs = [p[0] for rings in polys for p in rings[0]]
    ys = [p[1] for rings in polys for p in rings[0]]
    return min(xs), min(ys), max(xs), max(ys)


def overlaps(a: list[list[Ring]], b: list[list[Ring]]) -> bool:
    ax0, ay0, ax1, ay1 = _bbox(a)
    bx0, by0, bx1, by1 = _bbox(b)
    if ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0:
        return False
    edges_a = [(r[i], r[i + 1]) for rings in a for r in rings for i in range(len(r) - 1)]
    edges_b = [(r[i], r[i + 1]) for rings in b for r in rings for i in range(len(r) - 1)]
    for p1, p2 in edges_a:
        for q1, q2 in edges_b:
            if _proper_cross(p1, p2, q1, q2):
                return True
    for mine, other in ((edges_a, b), (edges_b, a)):
        for p1, p2 in mine:
            if _inside_polygons(p1, other) or _inside_polygons(((p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2), other):
                return True
    # identical (or boundary-sharing, nested) shapes: an inner point of one strictly inside the other
    for mine, other in ((a, b), (b, a)):
        for rings in mine:
            c = _centroid(rings[0])
            if c is not None and _inside_polygons(c, [rings]) and _inside_polygons(c, other):
                return True
    return False


def _centroid(ring: Ring) -> Point | None:
    area = signed_area(ring)
    if abs(area) <= EPS:
        return None
    cx = sum((ring[i][0] + ring[i + 1][0]) * (ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1])
             for i in range(len(ring) - 1))
    cy = sum((ring[i][1] + ring[i + 1][1]) * (ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1])
             for i in range(len(ring) - 1))
    return cx / (6 * area), cy / (6 * area)


def gaps(grids: dict[str, list[list[Ring]]]) -> list[list[str]]:
    """Holes in the union of ``grids`` (code → polygons): for each, the codes of the grids around it."""
    def key(p: Point) -> Point:
        return (round(p[0], DECIMALS), round(p[1], DECIMALS))

    directed: dict[tuple[Point, Point], str] = {}
    count: dict[frozenset, int] = defaultdict(int)
    for code, polys in grids.items():
        for rings in polys:
            for n, ring in enumerate(rings):
                ccw = signed_area(ring) > 0
                r = ring if ccw == (n == 0) else list(reversed(ring))  # exterior CCW, holes CW
                for i in range(len(r) - 1):
                    a, b = key(r[i]), key(r[i + 1])
                    if a == b:
                        continue
                    directed[(a, b)] = code
                    count[frozenset((a, b))] += 1
    border = [(a, b, code) for (a, b), code in directed.items() if count[frozenset((a, b))] == 1]
    parent: dict[Point, Point] = {}

    def find(p: Point) -> Point:
        while parent.setdefault(p, p) != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for a, b, _ in border:
        parent[find(a)] = find(b)
    loops: dict[Point, list] = defaultdict(list)
    for a, b, code in border:
        loops[find(a)].append((a, b, code))
    out = []
    for edges in loops.values():
        area = sum(a[0] * b[1] - b[0] * a[1] for a, b, _ in edges) / 2
        if area < -GAP_MIN_AREA:
            out.append(sorted({code for _, _, code in edges}))
    return sorted(out)


# --- parsing and checks --------------------------------------------------------------------------

def _polygons(geom: dict) -> list[list[Ring]] | None:
    """The polygons of a Polygon/MultiPolygon as lists of rings of (lon, lat); None if malformed."""
    try:
        raw = [geom["coordinates"]] if geom["type"] == "Polygon" else list(geom["coordinates"])
        out = []
        for poly in raw:
            rings = []
            for ring in poly:
                pts = []
                for pt in ring:
                    if not isinstance(pt, list | tuple) or len(pt) < 2:
                        return None
                    x, y = pt[0], pt[1]
                    if isinstance(x, bool) or isinstance(y, bool) or not isinstance(x, int | float) \
                            or not isinstance(y, int | float) or not (math.isfinite(x) and math.isfinite(y)):
                        return None
                    pts.append((float(x), float(y)))
                rings.append(pts)
            if not rings:
                return None
            out.append(rings)
        return out or None
    except (KeyError, TypeError):
        return None


def _ring_problem(ring: Ring) -> str | None:
    if len(ring) < 2 or ring[0] != ring[-1]:
        return "not_closed"
    if len(set(ring[:-1])) < 3:
        return "too_few_points"
    if any(not (-180 <= x <= 180 and -90 <= y <= 90) for x, y in ring):
        return "wgs84"
    if self_intersects(ring):
        return "self_intersection"
    if abs(signed_area(ring)) <= EPS:
        return "zero_area"
    return None


def check_geojson(*, session: Session, raw: bytes | str) -> BoundaryCheck:
    """Every check of the module docstring; nothing is written."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    if isinstance(raw, bytes | bytearray):
        if len(raw) > MAX_BYTES:
            return BoundaryCheck({}, [Problem("too_large", None, {"max": MAX_BYTES})], [], {})
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return BoundaryCheck({}, [Problem("json")], [], {})
    try:
        doc = json.loads(raw)
    except ValueError:
        return BoundaryCheck({}, [Problem("json")], [], {})
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        return BoundaryCheck({}, [Problem("collection")], [], {})
    if not doc["features"]:
        return BoundaryCheck({}, [Problem("empty")], [], {})
    grids = {u.code: u for u in session.exec(select(OrgUnit).where(OrgUnit.level == "grid")).all()}
    geoms: dict[str, dict] = {}
    polys: dict[str, list[list[Ring]]] = {}
    for i, feat in enumerate(doc["features"], start=1):
        props = (feat or {}).get("properties") or {} if isinstance(feat, dict) else {}
        code = props.get("code") or props.get("grid_code") if isinstance(props, dict) else None
        if not code:
            errors.append(Problem("no_code", None, {"index": i}))
            continue
        code = str(code).strip()
        if code not in grids:
            errors.append(Problem("unknown_code", code))
            continue
        if code in geoms:
            errors.append(Problem("duplicate", code))
            continue
        geom = feat.get("geometry")
        if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            errors.append(Problem("geometry_type", code))
            continue
        p = _polygons(geom)
        if p is None:
            errors.append(Problem("coordinates", code))
            continue
        bad = next((prob for rings in p for ring in rings if (prob := _ring_problem(ring))), None)
        if bad:
            errors.append(Problem(bad, code))
            continue
        geoms[code] = {"type": geom["type"], "coordinates": geom["coordinates"]}
        polys[code] = p
    # overlaps and gaps inside each community: the uploaded boundaries over the stored ones
    by_community: dict[int, dict[str, list[list[Ring]]]] = defaultdict(dict)
    for code, u in grids.items():
        if code in polys:
            by_community[u.parent_id][code] = polys[code]
        elif u.geometry and any(grids[c].parent_id == u.parent_id for c in polys):
            try:
                stored = _polygons(json.loads(u.geometry))
            except ValueError:
                stored = None
            if stored:
                by_community[u.parent_id][code] = stored
    names = {u.id: u.code for u in session.exec(select(OrgUnit).where(
        OrgUnit.id.in_([c for c in by_community if c is not None]))).all()} if by_community else {}
    for cid, members in by_community.items():
        if not any(c in polys for c in members):
            continue
        codes = sorted(members)
        for i, a in enumerate(codes):
            for b in codes[i + 1:]:
                if (a in polys or b in polys) and overlaps(members[a], members[b]):
                    errors.append(Problem("overlap", a, {"other": b, "community": names.get(cid)}))
        for around in gaps(members):
            warnings.append(Problem("gap", None, {"grids": around, "community": names.get(cid)}))
    return BoundaryCheck(geoms, errors, warnings, {c: grids[c].version for c in geoms})


def apply_boundaries(*, session: Session, username: str, raw: bytes | str, expected_versions: dict[str, int],
                     reason: str) -> list[str]:
    """Check ``raw`` again and write every uploaded boundary, or none (BoundariesInvalid /
    ConcurrentEdit when a grid changed since it was checked); one audit row per grid."""
    why = check_reason(reason)
    result = check_geojson(session=session, raw=raw)
    if not result.ok:
        raise BoundariesInvalid(result.errors or [Problem("empty")])
    grids = {u.code: u for u in session.exec(select(OrgUnit).where(OrgUnit.code.in_(list(result.geometries)))).all()}
    for code in result.geometries:
        session.refresh(grids[code])
        if grids[code].version != expected_versions.get(code):
            raise ConcurrentEdit(f"grid {code} changed by someone else")
    for code, geom in sorted(result.geometries.items()):
        u = grids[code]
        had = u.geometry is not None
        u.geometry = json.dumps(geom, separators=(",", ":"))
        u.version += 1
        session.add(u)
        session.flush()
        audit.write(session, username, "org_unit.boundary", "org_unit", code,
                    {"replaced": had, "reason": why, "version": u.version})
    return sorted(result.geometries)
