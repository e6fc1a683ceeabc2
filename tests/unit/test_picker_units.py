"""users.picker_units: a large scope's unit picker lists the tree opened along the path to the
chosen unit; a small one lists everything."""
from __future__ import annotations

from data_access.org.users import UnitRef, picker_units

_IDS: dict[str, int] = {}


def _u(code: str, level: str, parent: str | None) -> UnitRef:
    _IDS[code] = len(_IDS) + 1
    return UnitRef(id=_IDS[code], code=code, level=level, path=f"/{code}", name_zh=code, name_en=code,
                   parent_id=_IDS[parent] if parent else None)


# tree order, as users.units_under returns it
TREE = [_u("C", "city", None),
        _u("D1", "district", "C"), _u("S1", "station", "D1"), _u("M1", "community", "S1"),
        _u("M2", "community", "S1"), _u("S2", "station", "D1"),
        _u("D2", "district", "C"), _u("S3", "station", "D2"), _u("M3", "community", "S3"),
        _u("D3", "district", "C")]
BY = {u.code: u for u in TREE}


def codes(units) -> list[str]:
    return [u.code for u in units]


def test_a_small_scope_lists_every_unit():
    assert codes(picker_units(TREE, BY["M1"], limit=len(TREE))) == codes(TREE)


def test_a_large_scope_opens_the_tree_along_the_path_to_the_chosen_unit():
    assert codes(picker_units(TREE, BY["C"], limit=5)) == ["C", "D1", "D2", "D3"]
    assert codes(picker_units(TREE, BY["D1"], limit=5)) == ["C", "D1", "S1", "S2", "D2", "D3"]
    # on a community: every level above it opened, the community's siblings listed
    assert codes(picker_units(TREE, BY["M1"], limit=5)) == ["C", "D1", "S1", "M1", "M2", "S2", "D2", "D3"]
    assert codes(picker_units(TREE, BY["S3"], limit=5)) == ["C", "D1", "D2", "S3", "M3", "D3"]


def test_a_unit_below_the_listed_levels_opens_the_path_to_its_parent():
    grid = UnitRef(id=99, code="G1", level="grid", path="/G1", name_zh="G1", name_en="G1", parent_id=BY["M1"].id)
    assert codes(picker_units(TREE, grid, limit=5)) == ["C", "D1", "S1", "M1", "M2", "S2", "D2", "D3"]


def test_a_scope_below_the_city_starts_at_its_own_unit():
    district = [u for u in TREE if u.code in ("D1", "S1", "M1", "M2", "S2")]
    assert codes(picker_units(district, BY["S2"], limit=2)) == ["D1", "S1", "S2"]
