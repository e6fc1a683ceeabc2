"""Residents: encrypted at rest, masked views, audited reveal and ID search, household finder."""
from __future__ import annotations

from datetime import timedelta

import pytest
from issue5_world import NOW, build
from sqlmodel import func, select

from data_access.core.errors import PermissionDenied, ValidationError
from data_access.core.models import AuditLog
from data_access.fieldwork import records, residents
from data_access.fieldwork.models import Household, Resident

ID1 = "110101199003071234"
PHONE1 = "13812345678"


@pytest.fixture
def world(session):
    w = build(session)
    w.zhang = residents.add_resident(session=session, user=w.users["off1"], household_id=w.hh["h1"].id,
                                     name="张三丰", id_number=ID1, phone=PHONE1, now=NOW)
    w.li = residents.add_resident(session=session, user=w.users["off3"], household_id=w.hh["h3"].id,
                                  name="李四", id_number=ID1.lower()[:-1] + "X", now=NOW)
    # same ID number in another district (e.g. a registration error) — invisible to district 1
    w.dup = residents.add_resident(session=session, user=w.users["off3"], household_id=w.hh["h3"].id,
                                   name="王五", id_number=ID1, now=NOW)
    return w


def _all_audit_text(session) -> str:
    return " ".join(f"{r.username} {r.action} {r.entity_id} {r.detail}" for r in session.exec(select(AuditLog)))


def test_stored_encrypted_and_shown_masked(session, world):
    r = session.get(Resident, world.zhang.id)
    assert ID1 not in (r.id_number_enc or "") and PHONE1 not in (r.phone_enc or "")
    assert (r.id_number_masked, r.phone_masked) == ("110***********1234", "138****5678")
    views = residents.list_residents(session=session, user=world.users["coord"], household_id=world.hh["h1"].id)
    assert [(v.name, v.id_number, v.phone) for v in views] == [("张**", "110***********1234", "138****5678")]
    assert ID1 not in _all_audit_text(session) and "张三丰" not in _all_audit_text(session)


@pytest.mark.parametrize("who,field,allowed", [
    ("off1", "id_number", True),  # the grid's responsible officer
    ("off1", "phone", True),
    ("off1", "name", True),
    ("dl1", "id_number", True),
    ("admin", "phone", True),
    ("off2", "id_number", False),  # another grid
    ("dl2", "id_number", False),  # another district
    ("cl", "id_number", False),  # not an authorised role
    ("coord", "id_number", False),
])
def test_reveal_by_role_and_scope_is_audited_without_the_value(session, world, who, field, allowed):
    expected = {"id_number": ID1, "phone": PHONE1, "name": "张三丰"}[field]
    before = session.exec(select(func.count()).select_from(AuditLog)).one()
    if allowed:
        value = residents.reveal(session=session, user=world.users[who], resident_id=world.zhang.id, field=field,
                                 reason="核实走访对象身份", now=NOW)
        assert value == expected
        row = session.exec(select(AuditLog).where(AuditLog.action == "resident.reveal")).one()
        assert (row.username, row.entity, row.entity_id) == (who, "resident", str(world.zhang.id))
        assert f'"field": "{field}"' in row.detail and expected not in row.detail
    else:
        with pytest.raises(PermissionDenied):
            residents.reveal(session=session, user=world.users[who], resident_id=world.zhang.id, field=field,
                             reason="核实走访对象身份", now=NOW)
        assert session.exec(select(func.count()).select_from(AuditLog)).one() == before


@pytest.mark.parametrize("reason", [None, "", "   ", "a"])
def test_reveal_needs_a_reason(session, world, reason):
    with pytest.raises(ValidationError) as e:
        residents.reveal(session=session, user=world.users["off1"], resident_id=world.zhang.id, field="phone",
                         reason=reason, now=NOW)
    assert e.value.field == "reason"
    assert session.exec(select(AuditLog).where(AuditLog.action == "resident.reveal")).first() is None


def test_search_by_id_number_within_scope_is_audited_without_the_number(session, world):
    hits = residents.search_by_id_number(session=session, user=world.users["dl1"], id_number=f" {ID1} ", now=NOW)
    assert [h.id for h in hits] == [world.zhang.id]
    city = residents.search_by_id_number(session=session, user=world.users["admin"], id_number=ID1, now=NOW)
    assert [h.id for h in city] == [world.zhang.id, world.dup.id]
    # lower-case x is the same number as upper-case X
    x = residents.search_by_id_number(session=session, user=world.users["off3"], id_number=ID1[:-1] + "x", now=NOW)
    assert [h.id for h in x] == [world.li.id]
    rows = session.exec(select(AuditLog).where(AuditLog.action == "resident.search_id").order_by(AuditLog.id)).all()
    assert len(rows) == 3
    assert '"hits": 1' in rows[0].detail and '"hits": 2' in rows[1].detail
    assert ID1 not in _all_audit_text(session) and ID1[:-1] not in _all_audit_text(session)
    with pytest.raises(ValidationError):
        residents.search_by_id_number(session=session, user=world.users["dl1"], id_number="12345", now=NOW)
    with pytest.raises(PermissionDenied):
        residents.search_by_id_number(session=session, user=world.users["coord"], id_number=ID1, now=NOW)


def test_add_resident_validates_fields(session, world):
    with pytest.raises(ValidationError) as e:
        residents.add_resident(session=session, user=world.users["off1"], household_id=world.hh["h1"].id,
                               name="赵六", id_number="11010119900307123", now=NOW)
    assert (e.value.field, e.value.code) == ("id_number", "format")
    with pytest.raises(PermissionDenied):
        residents.add_resident(session=session, user=world.users["off2"], household_id=world.hh["h1"].id,
                               name="赵六", now=NOW)


def test_search_households_by_code_address_and_name(session, world):
    g1 = world.units["G1"]
    a = records.add_household(session=session, household=Household(code="HH-G1-010", grid_id=g1.id,
                                                                   address="和平路12号3单元"))
    b = records.add_household(session=session, household=Household(code="HH-G1-011", grid_id=g1.id,
                                                                   address="胜利街5号"))
    residents.add_resident(session=session, user=world.users["off1"], household_id=b.id, name="张小明", now=NOW)
    far = records.add_household(session=session, household=Household(code="HH-G3-010", grid_id=world.units["G3"].id,
                                                                     address="和平路99号"))
    off = world.users["off1"]

    def codes(q, user=off):
        return [h.code for h in residents.search_households(session=session, user=user, query=q)]

    assert codes("HH-G1-010") == ["HH-G1-010"]
    assert codes("HH-G1-01") == ["HH-G1-010", "HH-G1-011"]
    assert codes("和平路") == ["HH-G1-010"]  # the G3 household is out of scope
    assert codes("和平路", world.users["cl"]) == ["HH-G1-010", "HH-G3-010"]
    assert codes("张") == ["HH-G1-001", "HH-G1-011"]  # 张三丰 (h1) and 张小明
    assert codes("张**") == ["HH-G1-001", "HH-G1-011"]  # masked form: first character + length
    assert codes("张*") == []
    assert codes("%") == [] and codes("_") == []  # LIKE wildcards are literal
    hit = residents.search_households(session=session, user=off, query="胜利街")[0]
    assert hit.residents == ("张**",)
    assert far.id not in [h.id for h in residents.search_households(session=session, user=off, query="HH")]
    assert a.id in [h.id for h in residents.search_households(session=session, user=off, query="HH")]


def test_risk_level_change_keeps_history_and_audits_levels_only(session, world):
    from data_access.core.errors import ConcurrentEdit
    from data_access.fieldwork.models import RiskChange

    h = world.hh["h1"]
    with pytest.raises(PermissionDenied):
        residents.set_risk_level(session=session, user=world.users["cl"], household_id=h.id, level="red",
                                 reason="独居老人", expected_version=1, now=NOW)
    with pytest.raises(ValidationError) as e:
        residents.set_risk_level(session=session, user=world.users["off1"], household_id=h.id, level="purple",
                                 reason="独居老人", expected_version=1, now=NOW)
    assert e.value.code == "choice"
    h = residents.set_risk_level(session=session, user=world.users["off1"], household_id=h.id, level="yellow",
                                 reason="独居老人，行动不便", expected_version=1, now=NOW)
    assert (h.risk_level, h.version) == ("yellow", 2)
    with pytest.raises(ConcurrentEdit):
        residents.set_risk_level(session=session, user=world.users["dl1"], household_id=h.id, level="red",
                                 reason="病情加重", expected_version=1, now=NOW)
    residents.set_risk_level(session=session, user=world.users["dl1"], household_id=h.id, level="red",
                             reason="病情加重", expected_version=2, now=NOW + timedelta(days=1))
    hist = residents.risk_history(session=session, user=world.users["off1"], household_id=h.id)
    assert [(r.old_level, r.new_level, r.reason) for r in hist] == [("none", "yellow", "独居老人，行动不便"),
                                                                    ("yellow", "red", "病情加重")]
    rows = session.exec(select(AuditLog).where(AuditLog.action == "household.risk_change")
                        .order_by(AuditLog.id)).all()
    assert [r.detail for r in rows] == ['{"direction": "raise", "from": "none", "to": "yellow"}',
                                        '{"direction": "raise", "from": "yellow", "to": "red"}']
    assert session.exec(select(func.count()).select_from(RiskChange)).one() == 2


def test_special_groups_register(session, world):
    import factories as f

    g1 = world.units["G1"]
    blue = f.household(session, g1, code="B-1", risk="blue")
    red = f.household(session, g1, code="R-1", risk="red")
    f.household(session, g1, code="N-1", risk="none")
    f.household(session, world.units["G3"], code="R-far", risk="red")
    f.visit(session, red, world.users["off1"], NOW - timedelta(days=3))
    f.visit(session, red, world.users["off1"], NOW - timedelta(days=1))
    f.visit(session, red, world.users["off1"], NOW + timedelta(days=1))  # after now: ignored
    residents.set_risk_level(session=session, user=world.users["off1"], household_id=blue.id, level="yellow",
                             reason="新发现独居", expected_version=1, now=NOW)
    rows = residents.special_groups(session=session, user=world.users["off1"], now=NOW)
    assert [(r.code, r.risk_level, r.reason, r.last_visit_at) for r in rows] == [
        ("R-1", "red", None, NOW - timedelta(days=1)), ("B-1", "yellow", "新发现独居", None)]
