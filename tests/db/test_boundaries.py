"""Grid boundaries from GeoJSON (data_access.org.boundaries), SQLite and PostgreSQL: every check
before anything is written, overlaps and gaps inside a community named, applied in one transaction.

Coordinates: a 0.01° lattice at (120 + 0.01·x, 30 + 0.01·y); the city C → D → S → CM → {G1, G2},
and CM2 → G3 (another community, never compared with CM's grids)."""
from __future__ import annotations

import json

import pytest
from sqlmodel import select

import factories as f
from data_access.core.errors import ConcurrentEdit, ValidationError
from data_access.core.models import AuditLog
from data_access.org import boundaries as b
from data_access.org.models import OrgUnit


def pt(x, y):
    return [round(120 + 0.01 * x, 7), round(30 + 0.01 * y, 7)]


def poly(*xy):
    ring = [pt(x, y) for x, y in xy]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def feat(code, geom):
    return {"type": "Feature", "properties": {"code": code}, "geometry": geom}


def fc(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


SQ1 = poly((0, 0), (1, 0), (1, 1), (0, 1))
SQ2 = poly((1, 0), (2, 0), (2, 1), (1, 1))  # shares G1's east edge


@pytest.fixture
def city(session):
    c = f.unit(session, "C")
    d = f.unit(session, "D", c)
    _, cm, g1 = f.chain(session, d, "S", "CM", "G1")
    g2 = f.unit(session, "G2", cm)
    _, _, g3 = f.chain(session, d, "S2", "CM2", "G3")
    session.flush()
    return dict(cm=cm, g1=g1, g2=g2, g3=g3)


def codes(problems):
    return [(p.code, p.grid) for p in problems]


def test_a_good_file_passes_and_applies_in_one_transaction_with_audit_rows(session, city):
    raw = fc(feat("G1", SQ1), feat("G2", SQ2), feat("G3", poly((5, 5), (6, 5), (6, 6), (5, 6))))
    res = b.check_geojson(session=session, raw=raw)
    assert res.ok and res.errors == [] and res.warnings == [] and sorted(res.geometries) == ["G1", "G2", "G3"]
    assert b.apply_boundaries(session=session, username="admin", raw=raw, expected_versions=res.versions,
                              reason="测绘更新") == ["G1", "G2", "G3"]
    g1 = session.get(OrgUnit, city["g1"].id)
    assert json.loads(g1.geometry) == SQ1 and g1.version == 2
    rows = session.exec(select(AuditLog).where(AuditLog.action == "org_unit.boundary")).all()
    assert [r.entity_id for r in rows] == ["G1", "G2", "G3"]
    assert json.loads(rows[0].detail) == {"replaced": False, "reason": "测绘更新", "version": 2}
    # applied again with the versions of the first check: someone (we) changed them → refused
    with pytest.raises(ConcurrentEdit):
        b.apply_boundaries(session=session, username="admin", raw=raw, expected_versions=res.versions, reason="x")


def test_each_bad_polygon_is_named_and_nothing_is_written(session, city):
    bowtie = poly((0, 0), (1, 1), (1, 0), (0, 1))
    far = {"type": "Polygon", "coordinates": [[[120, 30], [121, 30], [121, 95], [120, 30]]]}
    open_ring = {"type": "Polygon", "coordinates": [[pt(0, 0), pt(1, 0), pt(1, 1)]]}
    raw = fc(feat("G1", bowtie), feat("G2", far), feat("G3", open_ring), feat("X9", SQ1),
             {"type": "Feature", "properties": {}, "geometry": SQ1},
             feat("G1", SQ1), feat("G2", {"type": "Point", "coordinates": pt(0, 0)}))
    res = b.check_geojson(session=session, raw=raw)
    assert not res.ok
    assert codes(res.errors) == [("self_intersection", "G1"), ("wgs84", "G2"), ("not_closed", "G3"),
                                 ("unknown_code", "X9"), ("no_code", None), ("geometry_type", "G2")]
    assert res.errors[4].params == {"index": 5}
    with pytest.raises(b.BoundariesInvalid) as e:
        b.apply_boundaries(session=session, username="admin", raw=raw, expected_versions={}, reason="x")
    assert codes(e.value.problems)[0] == ("self_intersection", "G1")
    assert session.get(OrgUnit, city["g1"].id).geometry is None
    assert codes(b.check_geojson(session=session, raw="not json").errors) == [("json", None)]
    assert codes(b.check_geojson(session=session, raw='{"type": "Feature"}').errors) == [("collection", None)]
    with pytest.raises(ValidationError):
        b.apply_boundaries(session=session, username="admin", raw=fc(feat("G1", SQ1)), expected_versions={"G1": 1},
                           reason=" ")


def test_overlaps_inside_a_community_are_errors_naming_both_grids(session, city):
    half = poly((0.5, 0), (1.5, 0), (1.5, 1), (0.5, 1))  # covers the east half of G1
    res = b.check_geojson(session=session, raw=fc(feat("G1", SQ1), feat("G2", half)))
    assert [(p.code, p.grid, p.params) for p in res.errors] == [("overlap", "G1", {"other": "G2", "community": "CM"})]
    # the same square in another community (G3 in CM2) is not compared with CM's grids
    res = b.check_geojson(session=session, raw=fc(feat("G1", SQ1), feat("G3", SQ1)))
    assert res.ok
    # an identical copy and a grid inside another overlap too
    inner = poly((0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75))
    assert codes(b.check_geojson(session=session, raw=fc(feat("G1", SQ1), feat("G2", SQ1))).errors) == [("overlap", "G1")]
    assert codes(b.check_geojson(session=session, raw=fc(feat("G1", SQ1), feat("G2", inner))).errors) == [("overlap", "G1")]


def test_a_hole_between_grids_is_a_gap_warning_with_the_grids_around_it(session, city):
    # G1 a "U" (0..3 × 0..2 without the notch 1..2 × 1..2), G2 the bar on top: the notch is a hole
    u = poly((0, 0), (3, 0), (3, 2), (2, 2), (2, 1), (1, 1), (1, 2), (0, 2))
    bar = poly((0, 2), (1, 2), (2, 2), (3, 2), (3, 3), (0, 3))
    res = b.check_geojson(session=session, raw=fc(feat("G1", u), feat("G2", bar)))
    assert res.ok and [(p.code, p.params) for p in res.warnings] == [
        ("gap", {"grids": ["G1", "G2"], "community": "CM"})]
    # the stored boundary of a grid the file leaves out takes part: G2 stored, G1 uploaded
    b.apply_boundaries(session=session, username="admin", raw=fc(feat("G2", bar)), expected_versions={"G2": 1},
                       reason="r")
    full = poly((0, 0), (3, 0), (3, 2), (2, 2), (1, 2), (0, 2))
    res = b.check_geojson(session=session, raw=fc(feat("G1", full)))
    assert res.ok and res.warnings == []
