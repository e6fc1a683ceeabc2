"""data_access.org.geometry: simplification, rounding, bounds, centroid, hull, payload size (hand-computed)."""
from __future__ import annotations

import json

import pytest

from data_access.org import geometry as g


def test_douglas_peucker_keeps_endpoints_and_drops_collinear_middle():
    # (1, 0) lies exactly on the segment (0,0)–(2,0): distance 0 < tolerance → removed.
    assert g.douglas_peucker([[0, 0], [1, 0], [2, 0]], 0.01) == [[0, 0], [2, 0]]


def test_douglas_peucker_keeps_a_point_farther_than_the_tolerance():
    # (1, 0.5) is 0.5 from the chord (0,0)–(2,0): kept at tolerance 0.1, dropped at 0.6.
    line = [[0, 0], [1, 0.5], [2, 0]]
    assert g.douglas_peucker(line, 0.1) == line
    assert g.douglas_peucker(line, 0.6) == [[0, 0], [2, 0]]


def test_simplify_ring_removes_collinear_edge_point_and_stays_closed():
    # Unit square with an extra point (0.5, 0) in the middle of its bottom edge.
    ring = [[0, 0], [0.5, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    out = g.simplify_ring(ring, 0.001)
    assert out == [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    assert out[0] == out[-1]


def test_simplify_ring_never_collapses_below_four_points():
    # At a tolerance larger than the square, Douglas–Peucker alone would leave (0,0),(1,1),(0,0);
    # the ring is kept as it was instead.
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    assert g.simplify_ring(square, 5.0) == square


def test_simplify_ring_closes_an_open_ring_and_rounds_to_5_decimals():
    ring = [[116.123456789, 39.987654321], [116.2, 39.98765], [116.2, 40.1]]
    out = g.simplify_ring(ring, 0.0)
    # 116.123456789 → 116.12346; 39.987654321 → 39.98765; closing point appended.
    assert out == [[116.12346, 39.98765], [116.2, 39.98765], [116.2, 40.1], [116.12346, 39.98765]]


def test_rounding_drops_duplicates_it_creates():
    # The second point differs only in the 7th decimal: after rounding it equals the first one.
    ring = [[1.0, 1.0], [1.0000001, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 1.0]]
    assert g.simplify_ring(ring, 0.0) == [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 1.0]]


def test_simplify_multipolygon_keeps_every_part_and_holes():
    outer = [[0, 0], [2, 0], [4, 0], [4, 4], [0, 4], [0, 0]]  # (2,0) collinear
    hole = [[1, 1], [1, 2], [2, 2], [2, 1], [1, 1]]
    other = [[10, 10], [11, 10], [11, 11], [10, 10]]
    geom = {"type": "MultiPolygon", "coordinates": [[outer, hole], [other]]}
    out = g.simplify_geometry(geom, 0.01)
    assert out["type"] == "MultiPolygon"
    assert out["coordinates"][0][0] == [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    assert out["coordinates"][0][1] == hole
    assert out["coordinates"][1] == [other]
    assert geom["coordinates"][0][0][1] == [2, 0]  # the input is not modified


def test_parse_geometry_accepts_text_feature_and_rejects_points():
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    assert g.parse_geometry(json.dumps(square)) == square
    assert g.parse_geometry({"type": "Feature", "properties": {}, "geometry": square}) == square
    assert g.parse_geometry(None) is None
    with pytest.raises(ValueError):
        g.parse_geometry({"type": "Point", "coordinates": [0, 0]})


def test_bounds_of_several_geometries():
    a = {"type": "Polygon", "coordinates": [[[1, 2], [3, 2], [3, 5], [1, 2]]]}
    b = {"type": "Polygon", "coordinates": [[[-1, 0], [0, 0], [0, 1], [-1, 0]]]}
    assert g.bounds(a) == (1, 2, 3, 5)
    assert g.bounds([a, b]) == (-1, 0, 3, 5)
    assert g.bounds([]) is None


def test_centroid_of_square_with_hole():
    # 4×4 square centred at (2, 2), area 16, minus a 1×1 hole at [3,4]×[3,4] centred (3.5, 3.5), area 1:
    # x = (16·2 − 1·3.5) / 15 = 28.5 / 15 = 1.9; same for y.
    outer = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[3, 3], [3, 4], [4, 4], [4, 3], [3, 3]]  # clockwise
    cx, cy = g.centroid({"type": "Polygon", "coordinates": [outer, hole]})
    assert cx == pytest.approx(1.9)
    assert cy == pytest.approx(1.9)


def test_convex_hull_skips_inner_points():
    pts = [[0, 0], [2, 0], [2, 2], [0, 2], [1, 1], [1, 0]]
    ring = g.convex_hull(pts)
    assert ring[0] == ring[-1]
    assert sorted(map(tuple, ring[:-1])) == [(0, 0), (0, 2), (2, 0), (2, 2)]
    assert g.ring_area(ring) == pytest.approx(4.0)  # counter-clockwise → positive


def test_payload_size_counts_utf8_bytes_of_compact_json():
    # {"a":"网"} is 8 ASCII bytes plus the 3 UTF-8 bytes of 网 = 11.
    assert g.payload_size({"a": "网"}) == 11
