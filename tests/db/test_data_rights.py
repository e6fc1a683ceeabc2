"""Residents' data rights (issue 15, seed 003 §6.3), SQLite and PostgreSQL: find by ID number (audited,
admins only), export what is held, erase on request — and afterwards the person's name, ID number
and phone are nowhere in the database: every text and binary column of every table in the metadata
is read raw (the audit log, ciphertexts and keyed hashes included; ciphertexts are decrypted and
searched too), while the unit's counts stay the same.
"""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import LargeBinary, String, Text, select
from sqlmodel import SQLModel

import data_access.schema  # noqa: F401  (every table on the metadata)
import factories as f
from data_access.core import crypto
from data_access.core.errors import ConcurrentEdit, InvalidTransition, PermissionDenied, ValidationError
from data_access.fieldwork import data_rights as dr
from data_access.fieldwork import events as ev
from data_access.fieldwork import residents
from data_access.fieldwork.models import Need, Resident, Visit, VisitDraft
from metrics.service import compute_kpis

NOW = datetime(2025, 5, 6, 10, 0)
NAME, ID, PHONE = "欧阳明月", "110101198807154321", "13912345678"
OTHER = "司马青"


def world(s):
    c = f.unit(s, "C")
    d1 = f.unit(s, "D1", c)
    _, _, g1 = f.chain(s, d1, "S1", "CM1", "G1")
    admin = f.officer(s, c, "admin1", role="admin")
    off = f.officer(s, g1, "off1")
    lead = f.officer(s, c, "lead", role="city_leader")
    hh = f.household(s, g1)
    me = residents.add_resident(session=s, user=off, household_id=hh.id, name=NAME, id_number=ID, phone=PHONE, now=NOW)
    other = residents.add_resident(session=s, user=off, household_id=hh.id, name=OTHER, now=NOW)
    # visits (one rated 5), a need whose text names the person, a grid event naming her phone
    f.visit(s, hh, off, datetime(2025, 4, 2, 10), satisfaction=5)
    f.visit(s, hh, off, datetime(2025, 4, 20, 15), satisfaction=3)
    n = f.need(s, hh, datetime(2025, 4, 2, 10, 30))
    n.description = f"{NAME}反映楼道灯坏了，联系电话{PHONE}"
    s.add(n)
    ev.report_event(session=s, user=off, grid_id=g1.id, tier="general", category="dispute", channel="resident",
                    household_id=hh.id, description=f"住户来电 {PHONE}，称邻里纠纷", now=datetime(2025, 4, 3, 9))
    # a visit being typed that names her (JSON text)
    s.add(VisitDraft(officer_id=off.id, draft_key="d1", household_id=hh.id, updated_at=NOW,
                     payload=json.dumps({"answers": {"note": f"{NAME}不在家"}}, ensure_ascii=False)))
    # the officer once revealed her phone (audited without the value)
    residents.reveal(session=s, user=off, resident_id=me.id, field="phone", reason="回访", now=NOW)
    s.commit()
    return dict(c=c, d1=d1, g1=g1, admin=admin, off=off, lead=lead, hh=hh, me=me, other=other)


def _texty(t) -> bool:
    """String, Text and binary columns, also behind a TypeDecorator (SQLModel's AutoString)."""
    kinds = (String, Text, LargeBinary)
    return isinstance(t, kinds) or isinstance(getattr(t, "impl_instance", None), kinds)


def test_the_search_covers_every_text_column():
    cols = {(t.name, c.name) for t in SQLModel.metadata.sorted_tables for c in t.columns if _texty(c.type)}
    assert {("resident", "name"), ("resident", "id_number_hash"), ("resident", "id_number_enc"),
            ("audit_log", "detail"), ("need", "description"), ("data_rights_request", "note")} <= cols
    assert ("resident", "id") not in cols


def raw_text_values(session):
    """(table, column, value) of every non-null text/binary value in every table of the metadata."""
    for table in SQLModel.metadata.sorted_tables:
        cols = [c for c in table.columns if _texty(c.type)]
        if not cols:
            continue
        for row in session.execute(select(*cols)):
            for col, v in zip(cols, row, strict=True):
                if v is None:
                    continue
                if isinstance(v, (bytes, memoryview)):
                    v = bytes(v).decode("utf-8", "replace")
                yield table.name, col.name, str(v)


def findings(session, needles):
    out = []
    for table, col, v in raw_text_values(session):
        texts = [v]
        try:
            texts.append(crypto.decrypt(v) or "")  # a ciphertext: search its clear text too
        except Exception:
            pass
        for needle in needles:
            if any(needle in t for t in texts):
                out.append((table, col, needle))
    return out


def kpi_values(session):
    return {(k.unit_code, k.indicator): (k.value, k.n) for k in
            compute_kpis(session, unit_code="C", period="2025-04", as_of=NOW)}


def test_erasure_leaves_no_trace_and_counts_stay(session):
    w = world(session)
    needles = [NAME, ID, PHONE, crypto.lookup_hash(ID), crypto.mask_id_number(ID), crypto.mask_phone(PHONE)]
    before = findings(session, needles)
    assert ("resident", "name", NAME) in before and ("resident", "id_number_hash", crypto.lookup_hash(ID)) in before
    assert ("resident", "id_number_enc", ID) in before and ("need", "description", PHONE) in before
    assert ("visit_draft", "payload", NAME) in before
    kpis_before = kpi_values(session)
    n_res, n_vis = len(session.scalars(select(Resident)).all()), len(session.scalars(select(Visit)).all())

    hits = dr.find_by_id_number(session=session, user=w["admin"], id_number=ID, now=NOW)
    assert [h.id for h in hits] == [w["me"].id] and hits[0].name == "欧***"
    req = dr.open_request(session=session, user=w["admin"], resident_id=w["me"].id, kind="erasure",
                          received_on=date(2025, 5, 5), now=NOW, note="本人到窗口申请删除")
    export = dr.export_data(session=session, user=w["admin"], request_id=req.id, now=NOW)
    assert export["resident"] == {"name": NAME, "id_number": ID, "phone": PHONE}
    assert len(export["household"]["visits"]) == 2 and NAME in export["household"]["needs"][0]["description"]
    with pytest.raises(ConcurrentEdit):
        dr.erase(session=session, user=w["admin"], request_id=req.id, expected_version=req.version + 1, now=NOW)
    counts = dr.erase(session=session, user=w["admin"], request_id=req.id, expected_version=req.version, now=NOW,
                      decision_note="符合删除条件")
    session.commit()
    assert counts["resident"] == 1 and counts["household_text"] == 3  # the need, the event and the draft
    assert findings(session, needles) == []
    # the request, the decision and its date are kept; the other resident is untouched
    session.refresh(req)
    assert (req.status, req.decided_on, req.decided_by, req.decision_note) == ("done", NOW.date(), "admin1",
                                                                               "符合删除条件")
    assert session.get(Resident, w["other"].id).name == OTHER
    assert session.get(Resident, w["me"].id).name == dr.ERASED_NAME
    # counts and visit records stay the same
    assert kpi_values(session) == kpis_before
    assert (len(session.scalars(select(Resident)).all()), len(session.scalars(select(Visit)).all())) == (n_res, n_vis)
    assert "楼道灯坏了" in session.scalars(select(Need.description)).one()
    # the ID number no longer finds anyone; a second erasure is refused
    assert dr.find_by_id_number(session=session, user=w["admin"], id_number=ID, now=NOW) == []
    with pytest.raises(InvalidTransition):
        dr.erase(session=session, user=w["admin"], request_id=req.id, expected_version=req.version, now=NOW)
    assert [r.status for r in dr.list_requests(session=session, user=w["admin"])] == ["done"]


def test_only_admins_and_requests_are_checked(session):
    w = world(session)
    for who in ("off", "lead"):
        with pytest.raises(PermissionDenied):
            dr.find_by_id_number(session=session, user=w[who], id_number=ID, now=NOW)
        with pytest.raises(PermissionDenied):
            dr.list_requests(session=session, user=w[who])
    with pytest.raises(ValidationError):
        dr.open_request(session=session, user=w["admin"], resident_id=w["me"].id, kind="delete",
                        received_on=date(2025, 5, 5), now=NOW)
    with pytest.raises(ValidationError):
        dr.open_request(session=session, user=w["admin"], resident_id=w["me"].id, kind="access",
                        received_on=date(2025, 5, 7), now=NOW)
    access = dr.open_request(session=session, user=w["admin"], resident_id=w["me"].id, kind="access",
                             received_on=date(2025, 5, 5), now=NOW)
    with pytest.raises(InvalidTransition):  # an access request is answered by an export, not an erasure
        dr.erase(session=session, user=w["admin"], request_id=access.id, expected_version=access.version, now=NOW)
    dr.export_data(session=session, user=w["admin"], request_id=access.id, now=NOW)
    session.refresh(access)
    assert access.status == "done" and access.decided_on == NOW.date()
    ers = dr.open_request(session=session, user=w["admin"], resident_id=w["other"].id, kind="erasure",
                          received_on=date(2025, 5, 5), now=NOW)
    with pytest.raises(ValidationError):
        dr.refuse(session=session, user=w["admin"], request_id=ers.id, expected_version=ers.version, now=NOW,
                  decision_note="")
    ers = dr.refuse(session=session, user=w["admin"], request_id=ers.id, expected_version=ers.version, now=NOW,
                    decision_note="涉及在办案件，依法暂不删除")
    assert ers.status == "refused" and session.get(Resident, w["other"].id).name == OTHER


def test_another_domain_extends_the_erasers(session, monkeypatch):
    calls = []
    monkeypatch.setattr(dr, "ERASERS", dict(dr.ERASERS))
    monkeypatch.setitem(__import__("sys").modules, "fake_domain", type("M", (), {
        "erase": staticmethod(lambda s, r, terms: calls.append((r.id, terms)) or 3)}))
    dr.register_eraser("assisted_persons", "fake_domain:erase")
    assert list(dr.ERASERS) == ["household_text", "assisted_persons", "resident"]
    w = world(session)
    req = dr.open_request(session=session, user=w["admin"], resident_id=w["me"].id, kind="erasure",
                          received_on=date(2025, 5, 5), now=NOW)
    counts = dr.erase(session=session, user=w["admin"], request_id=req.id, expected_version=req.version, now=NOW)
    assert counts["assisted_persons"] == 3
    assert calls == [(w["me"].id, (ID, PHONE, NAME))]  # clear terms, longest first, before the identity goes
