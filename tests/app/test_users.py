"""data_access.org.users on SQLite and PostgreSQL: credentials, user + scope, units under a scope."""
from __future__ import annotations

from sqlmodel import select

from data_access.org import units as org_units
from data_access.org import users
from data_access.org.models import OrgUnit, User


def _tree(session):
    """city C → districts D1, D2 → station S1 under D1 → community M1 → grid G1; three users."""
    u = {}
    for code, level, parent in [("C", "city", None), ("D2", "district", "C"), ("D1", "district", "C"),
                                ("S1", "station", "D1"), ("M1", "community", "S1"), ("G1", "grid", "M1")]:
        u[code] = org_units.add_org_unit(session=session, code=code, level=level, name_zh=f"单位{code}",
                                       name_en=f"Unit {code}", parent=u.get(parent))
    session.add(User(username="lead", display_name="甲", role="district_leader", scope_id=u["D1"].id,
                     password_hash="$2b$04$hash-lead", active=True))
    session.add(User(username="off", display_name="乙", role="officer", scope_id=u["G1"].id,
                     password_hash="$2b$04$hash-off", active=False))
    session.add(User(username="new", display_name="丙", role="officer", scope_id=u["G1"].id,
                     password_hash=None, active=True))
    session.flush()
    return u


def test_a_credential_is_given_for_an_active_user_with_a_password_only(session):
    _tree(session)
    lead = {"name": "甲", "password": "$2b$04$hash-lead", "roles": ["district_leader"]}
    assert users.credential(session=session, username="lead") == lead
    assert users.credential(session=session, username="LEAD") == lead  # names are case-insensitive
    assert users.credential(session=session, username="off") is None  # deactivated
    assert users.credential(session=session, username="new") is None  # no password yet
    assert users.credential(session=session, username="nobody") is None
    assert users.credential(session=session, username="") is None


def test_get_user_returns_the_scope_unit(session):
    u = _tree(session)
    info = users.get_user(session=session, username="LEAD")
    assert info.username == "lead" and info.role == "district_leader" and info.active
    assert (info.scope.id, info.scope.code, info.scope.level, info.scope.path) == (
        u["D1"].id, "D1", "district", u["D1"].path)
    assert users.get_user(session=session, username="nobody") is None
    assert users.get_user(session=session, username="off").active is False


def test_in_scope_is_a_path_prefix(session):
    u = _tree(session)
    ref = {c: users.unit_by_code(session=session, code=c) for c in u}
    assert users.in_scope(ref["D1"], ref["G1"]) and users.in_scope(ref["D1"], ref["D1"])
    assert not users.in_scope(ref["D1"], ref["C"]) and not users.in_scope(ref["D1"], ref["D2"])
    assert not users.in_scope(ref["G1"], ref["M1"])


def test_units_under_stop_at_the_level_and_keep_tree_order(session):
    u = _tree(session)
    city = users.unit_by_code(session=session, code="C")
    assert [r.code for r in users.units_under(session=session, root=city)] == ["C", "D1", "S1", "M1", "D2"]
    assert [r.code for r in users.units_under(session=session, root=city, max_level="district")] == ["C", "D1", "D2"]
    grid = users.unit_by_code(session=session, code="G1")
    assert [r.code for r in users.units_under(session=session, root=grid)] == ["G1"]
    d1 = users.unit_by_code(session=session, code="D1")
    assert [r.code for r in users.children(session=session, parent=d1)] == ["S1"]
    assert session.exec(select(OrgUnit).where(OrgUnit.code == "G1")).one().id == u["G1"].id


def test_english_name_falls_back_to_the_code_never_to_chinese(session):
    _tree(session)
    ref = users.unit_by_code(session=session, code="D1")
    assert ref.name("zh") == "单位D1" and ref.name("en") == "Unit D1"
    no_en = users.UnitRef(id=1, code="X9", level="grid", path="/1/", name_zh="某网格", name_en=None)
    assert no_en.name("en") == "X9"
