"""data_access.analytics.map_queries on SQLite and PostgreSQL: scope, simplification, officers."""
from __future__ import annotations

import json

from data_access.analytics.map_queries import fetch_features, officers_by_grid
from data_access.org.models import User
from data_access.org.units import add_org_unit


def _square(x: float, y: float, size: float = 0.01, midpoint: bool = False) -> str:
    """GeoJSON square with its lower-left corner at (x, y); ``midpoint`` adds a collinear point
    in the middle of the bottom edge, and coordinates carry 7 decimals to check rounding."""
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    if midpoint:
        ring.insert(1, [x + size / 2, y])
    ring = [[round(a + 0.0000001, 7), round(b + 0.0000004, 7)] for a, b in ring]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _city(session):
    city = add_org_unit(session=session, code="C", level="city", name_zh="市", parent=None)
    d1 = add_org_unit(session=session, code="D1", level="district", name_zh="一区", parent=city,
                      geometry=_square(116.0, 39.0, 0.1))
    d2 = add_org_unit(session=session, code="D2", level="district", name_zh="二区", parent=city)
    s1 = add_org_unit(session=session, code="S1", level="station", name_zh="所", parent=d1)
    c1 = add_org_unit(session=session, code="K1", level="community", name_zh="社区", parent=s1)
    g1 = add_org_unit(session=session, code="G1", level="grid", name_zh="网格一", name_en="Grid 1", parent=c1,
                      pilot=True, geometry=_square(116.0, 39.0, midpoint=True))
    g2 = add_org_unit(session=session, code="G2", level="grid", name_zh="网格二", parent=c1,
                      geometry=_square(116.01, 39.0))
    add_org_unit(session=session, code="G3", level="grid", name_zh="无边界", parent=c1)  # no geometry
    s2 = add_org_unit(session=session, code="S2", level="station", name_zh="所二", parent=d2)
    c2 = add_org_unit(session=session, code="K2", level="community", name_zh="社区二", parent=s2)
    g4 = add_org_unit(session=session, code="G4", level="grid", name_zh="外区网格", parent=c2,
                      geometry=_square(117.0, 39.0))
    for username, name, role, scope, active in [
        ("o1", "张警官", "officer", g1, True),
        ("o1b", "李警官", "officer", g1, True),
        ("o2", "王警官", "officer", g2, True),
        ("o2x", "停用警官", "officer", g2, False),
        ("lead", "区领导", "district_leader", d1, True),
        ("coord", "网格协调员", "coordinator", g2, True),
        ("o4", "赵警官", "officer", g4, True),
    ]:
        session.add(User(username=username, display_name=name, role=role, scope_id=scope.id, active=active))
    session.flush()
    return {"city": city, "d1": d1, "d2": d2, "s1": s1, "g1": g1, "g2": g2, "g4": g4}


def test_grids_of_a_district_with_geometry_only(session):
    u = _city(session)
    feats = fetch_features(session=session, scope=u["d1"], level="grid")
    # G3 has no geometry, G4 lies in the other district.
    assert [f.code for f in feats] == ["G1", "G2"]
    g1 = feats[0]
    assert g1.pilot is True and g1.name("en") == "Grid 1" and feats[1].name("en") == "G2"
    assert g1.district_id == u["d1"].id and g1.community_id == g1.parent_id
    assert g1.ancestor("district") == u["d1"].id and g1.ancestor("grid") == g1.id


def test_geometry_is_rounded_and_simplified(session):
    u = _city(session)
    raw = fetch_features(session=session, scope=u["d1"], level="grid", tolerance=0.0)[0]
    # no simplification: the collinear midpoint stays; 116.0000001 → 116.0, 39.0000004 → 39.0
    assert raw.geometry["coordinates"][0][:3] == [[116.0, 39.0], [116.005, 39.0], [116.01, 39.0]]
    simple = fetch_features(session=session, scope=u["d1"], level="grid", tolerance=0.0001)[0]
    # tolerance 0.0001°: the midpoint (0 from the edge) goes, the corners stay, the ring stays closed
    assert simple.geometry["coordinates"][0] == [[116.0, 39.0], [116.01, 39.0], [116.01, 39.01],
                                                 [116.0, 39.01], [116.0, 39.0]]


def test_officers_per_grid_active_officers_only(session):
    u = _city(session)
    names = officers_by_grid(session=session, scope=u["d1"])
    # inactive officer and the coordinator on G2 are not listed; G4 is out of scope
    assert names == {u["g1"].id: "张警官、李警官", u["g2"].id: "王警官"}
    feats = {f.code: f for f in fetch_features(session=session, scope=u["city"], level="grid")}
    assert feats["G1"].officer == "张警官、李警官" and feats["G4"].officer == "赵警官"


def test_district_outlines_and_scope_above_the_level(session):
    u = _city(session)
    # city scope: the districts that have geometry (D2 has none)
    assert [f.code for f in fetch_features(session=session, scope=u["city"], level="district")] == ["D1"]
    # a station's user still gets the outline of the district around it
    around = fetch_features(session=session, scope=u["s1"], level="district")
    assert [f.code for f in around] == ["D1"] and around[0].officer is None


def test_a_grid_scope_returns_that_grid(session):
    u = _city(session)
    assert [f.code for f in fetch_features(session=session, scope=u["g2"], level="grid")] == ["G2"]


def test_bad_geometry_is_left_off(session):
    u = _city(session)
    u["g2"].geometry = json.dumps({"type": "Point", "coordinates": [116.0, 39.0]})
    session.add(u["g2"])
    session.flush()
    assert [f.code for f in fetch_features(session=session, scope=u["d1"], level="grid")] == ["G1"]
