"""Residents' data rights (seed 003 §6.3 "数据查询与删除"): an admin finds a resident by ID number
(keyed-hash lookup, audited), records the request (see / delete), exports what is held about the
person as a file, and erases or anonymises it on request — name, ID number and phone removed,
the same strings scrubbed from free text kept about the household — while aggregate counts and
visit records stay (without the person). The request, the decision and its date are kept; they
name the resident by id only.

Erasure is a list of per-table erasers (``ERASERS``: name → "module:function"), run in order in
the caller's transaction; another domain that keeps data about residents adds one line (or calls
``register_eraser``) with a function ``(session, resident, terms) -> rows changed``, where
``terms`` are the person's name, ID number and phone in clear. Exporters work the same way
(``EXPORTERS``: ``(session, resident) -> JSON-able``). Audit rows hold ids and counts only, never
the person's data. Functions take a keyword-only ``session`` and never commit.
"""
from __future__ import annotations

import importlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from data_access.core import audit, crypto
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, ValidationError
from data_access.core.text import checked_text
from data_access.core.versioning import bump
from data_access.fieldwork import residents as res
from data_access.fieldwork.models import (
    RIGHTS_KINDS,
    Appointment,
    DataRightsRequest,
    GridEvent,
    GridEventStep,
    Hazard,
    Household,
    Need,
    NeedEvent,
    PrivacyComplaint,
    Resident,
    RiskChange,
    Visit,
    VisitAnswer,
    VisitDraft,
)
from data_access.org.models import OrgUnit, User
from data_access.org.scope import actor_of, require_role

ROLES = ("admin",)
ERASED_NAME = "（已删除）"
SCRUB = "***"
CHANNELS = ("counter", "letter", "hotline", "online")
NOTE_MAX = 1000

Eraser = Callable[[Session, Resident, tuple[str, ...]], int]
Exporter = Callable[[Session, Resident], object]

# name → "module:function"; run in this order (free text first, while the terms are known)
ERASERS: dict[str, str] = {
    "household_text": "data_access.fieldwork.data_rights:scrub_household_text",
    "resident": "data_access.fieldwork.data_rights:erase_resident_identity",
}
EXPORTERS: dict[str, str] = {
    "resident": "data_access.fieldwork.data_rights:export_resident",
    "household": "data_access.fieldwork.data_rights:export_household",
}


def register_eraser(name: str, target: str, *, before: str | None = "resident") -> None:
    """Add a domain's eraser ("module:function"), by default before the identity eraser (which
    removes the terms the others search for)."""
    items = [(k, v) for k, v in ERASERS.items() if k != name]
    pos = next((i for i, (k, _) in enumerate(items) if k == before), len(items))
    items.insert(pos, (name, target))
    ERASERS.clear()
    ERASERS.update(items)


def register_exporter(name: str, target: str) -> None:
    EXPORTERS[name] = target


def _resolve(target: str):
    module, _, fn = target.partition(":")
    return getattr(importlib.import_module(module), fn)


# --- finding the person ----------------------------------------------------------------------

def find_by_id_number(*, session: Session, user, id_number: str, now: datetime) -> list[res.ResidentView]:
    """Residents with exactly this ID number (keyed-hash lookup; masked views). Admins only; audited
    as "resident.search_id" with the hits' ids (never the number)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "rights.search", ROLES)
    return res.search_by_id_number(session=session, user=actor, id_number=id_number, now=now, reason="data_rights")


# --- requests --------------------------------------------------------------------------------

def new_code(at: datetime) -> str:
    return f"DR{at:%Y%m%d}-{secrets.token_hex(3).upper()}"


def open_request(*, session: Session, user, resident_id: int, kind: str, received_on: date, now: datetime,
                 channel: str = "counter", note: str | None = None, code: str | None = None) -> DataRightsRequest:
    """Record a resident's request to see (access) or delete (erasure) their data."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "rights.request", ROLES)
    if kind not in RIGHTS_KINDS:
        raise ValidationError("kind", "choice", {"options": list(RIGHTS_KINDS)})
    if channel not in CHANNELS:
        raise ValidationError("channel", "choice", {"options": list(CHANNELS)})
    r = session.get(Resident, resident_id)
    if r is None:
        raise NotFound(f"resident {resident_id}")
    if not isinstance(received_on, date):
        raise ValidationError("received_on", "required")
    if received_on > now.date():
        raise ValidationError("received_on", "future")
    text = checked_text("note", note, NOTE_MAX)
    req = DataRightsRequest(code=code or new_code(now), resident_id=r.id, kind=kind, received_on=received_on,
                            channel=channel, note=text, status="open", created_by=actor.username, created_at=now)
    session.add(req)
    session.flush()
    audit.write(session, actor.username, "rights.request", "data_rights_request", req.code,
                {"resident_id": r.id, "kind": kind}, at=now)
    return req


def _load(session: Session, user, request_id: int, action: str):
    actor = actor_of(session=session, user=user)
    require_role(actor, action, ROLES)
    req = session.get(DataRightsRequest, request_id)
    if req is None:
        raise NotFound(f"data rights request {request_id}")
    return actor, req


def _bump(session: Session, req: DataRightsRequest, expected_version: int, **changes) -> DataRightsRequest:
    return bump(session, req, expected_version, "data rights request", **changes)


# --- export ----------------------------------------------------------------------------------

def _ts(v) -> str | None:
    return None if v is None else v.isoformat(timespec="minutes") if isinstance(v, datetime) else v.isoformat()


def export_resident(session: Session, r: Resident) -> dict:
    return {"name": r.name, "id_number": crypto.decrypt(r.id_number_enc), "phone": crypto.decrypt(r.phone_enc)}


def export_household(session: Session, r: Resident) -> dict:
    h = session.get(Household, r.household_id)
    grid = session.get(OrgUnit, h.grid_id)
    officers = dict(session.execute(select(User.id, User.display_name)).all())
    visits = session.scalars(select(Visit).where(Visit.household_id == h.id).order_by(Visit.visited_at)).all()
    answers: dict[int, list] = {}
    if visits:
        for a in session.scalars(select(VisitAnswer).where(VisitAnswer.visit_id.in_([v.id for v in visits]))):
            answers.setdefault(a.visit_id, []).append({"item": a.item_code, "value": a.value})
    needs = session.scalars(select(Need).where(Need.household_id == h.id).order_by(Need.created_at)).all()
    events = session.scalars(select(GridEvent).where(GridEvent.household_id == h.id)).all()
    hazards = session.scalars(select(Hazard).where(Hazard.household_id == h.id)).all()
    risks = session.scalars(select(RiskChange).where(RiskChange.household_id == h.id)
                            .order_by(RiskChange.changed_at)).all()
    complaints = session.scalars(select(PrivacyComplaint).where(PrivacyComplaint.household_id == h.id)).all()
    return {
        "household": {"code": h.code, "address": h.address, "grid": grid.code if grid else None,
                      "category": h.category, "risk_level": h.risk_level, "registered_on": _ts(h.registered_on)},
        "risk_changes": [{"at": _ts(x.changed_at), "from": x.old_level, "to": x.new_level, "reason": x.reason}
                         for x in risks],
        "visits": [{"code": v.code, "visited_at": _ts(v.visited_at), "officer": officers.get(v.officer_id),
                    "id_shown": v.id_shown, "bodycam_on": v.bodycam_on, "satisfaction": v.satisfaction,
                    "answers": answers.get(v.id, [])} for v in visits],
        "needs": [{"code": n.code, "category": n.category, "description": n.description, "status": n.status,
                   "created_at": _ts(n.created_at), "resolved_at": _ts(n.resolved_at)} for n in needs],
        "grid_events": [{"code": e.code, "category": e.category, "description": e.description, "status": e.status,
                         "created_at": _ts(e.created_at)} for e in events],
        "hazards": [{"code": z.code, "level": z.level, "description": z.description, "status": z.status,
                     "found_at": _ts(z.found_at)} for z in hazards],
        "privacy_complaints": [{"code": c.code, "summary": c.summary, "status": c.status,
                                "received_at": _ts(c.received_at)} for c in complaints],
    }


def export_data(*, session: Session, user, request_id: int, now: datetime) -> dict:
    """Everything held about the request's resident (every exporter's part), as a JSON-able dict.
    Audited as "rights.export" (request and resident ids only). An access request is then done."""
    actor, req = _load(session, user, request_id, "rights.export")
    r = session.get(Resident, req.resident_id)
    data = {"request": req.code, "kind": req.kind, "received_on": _ts(req.received_on),
            "exported_at": _ts(now), "exported_by": actor.username}
    for name, target in EXPORTERS.items():
        data[name] = _resolve(target)(session, r)
    if req.kind == "access" and req.status == "open":
        _bump(session, req, req.version, status="done", decided_on=now.date(), decided_by=actor.username,
              decision_note="exported")
    audit.write(session, actor.username, "rights.export", "data_rights_request", req.code,
                {"resident_id": r.id, "parts": list(EXPORTERS)}, at=now)
    return data


# --- erasure ---------------------------------------------------------------------------------

def _scrub(text: str | None, terms: tuple[str, ...]) -> str | None:
    if not text:
        return text
    out = text
    for term in terms:
        out = out.replace(term, SCRUB)
    return out


def _scrub_rows(session: Session, rows, columns: tuple[str, ...], terms: tuple[str, ...]) -> int:
    n = 0
    for row in rows:
        changed = False
        for col in columns:
            old = getattr(row, col)
            new = _scrub(old, terms)
            if new != old:
                setattr(row, col, new)
                changed = True
        n += changed
    return n


def scrub_household_text(session: Session, r: Resident, terms: tuple[str, ...]) -> int:
    """Replace the person's name, ID number and phone by *** in the free text kept about their
    household: visit answers and notes, needs and their history, grid events and their steps,
    hazards, privacy complaints, risk-change reasons, appointment notes and visit drafts."""
    if not terms:
        return 0
    hid = r.household_id
    visits = session.scalars(select(Visit).where(Visit.household_id == hid)).all()
    vids = [v.id for v in visits]
    needs = session.scalars(select(Need).where(Need.household_id == hid)).all()
    events = session.scalars(select(GridEvent).where(GridEvent.household_id == hid)).all()
    n = _scrub_rows(session, visits, ("justification", "late_entry_reason"), terms)
    if vids:
        n += _scrub_rows(session, session.scalars(select(VisitAnswer).where(VisitAnswer.visit_id.in_(vids))).all(),
                         ("value",), terms)
    n += _scrub_rows(session, needs, ("description", "note"), terms)
    if needs:
        n += _scrub_rows(session, session.scalars(select(NeedEvent).where(
            NeedEvent.need_id.in_([x.id for x in needs]))).all(), ("note",), terms)
    n += _scrub_rows(session, events, ("description", "feedback"), terms)
    if events:
        n += _scrub_rows(session, session.scalars(select(GridEventStep).where(
            GridEventStep.event_id.in_([e.id for e in events]))).all(), ("note",), terms)
    n += _scrub_rows(session, session.scalars(select(Hazard).where(Hazard.household_id == hid)).all(),
                     ("description", "evidence"), terms)
    n += _scrub_rows(session, session.scalars(select(PrivacyComplaint).where(PrivacyComplaint.household_id == hid))
                     .all(), ("summary", "result"), terms)
    n += _scrub_rows(session, session.scalars(select(RiskChange).where(RiskChange.household_id == hid)).all(),
                     ("reason",), terms)
    n += _scrub_rows(session, session.scalars(select(Appointment).where(Appointment.household_id == hid)).all(),
                     ("note",), terms)
    n += _scrub_rows(session, session.scalars(select(VisitDraft).where(VisitDraft.household_id == hid)).all(),
                     ("payload",), terms)  # a visit being typed (JSON text)
    session.flush()
    return n


def erase_resident_identity(session: Session, r: Resident, terms: tuple[str, ...]) -> int:
    """The resident row stays (the household's counts do not change) without the person: name
    replaced, ID number (ciphertext, keyed hash, masked form) and phone removed."""
    r.name = ERASED_NAME
    r.id_number_enc = r.id_number_hash = r.id_number_masked = None
    r.phone_enc = r.phone_masked = None
    session.add(r)
    session.flush()
    return 1


def terms_of(r: Resident) -> tuple[str, ...]:
    """The strings to remove: name, ID number and phone in clear (those present, longest first)."""
    vals = {r.name if r.name != ERASED_NAME else None, crypto.decrypt(r.id_number_enc), crypto.decrypt(r.phone_enc)}
    return tuple(sorted((v for v in vals if v), key=len, reverse=True))


def erase(*, session: Session, user, request_id: int, expected_version: int, now: datetime,
          decision_note: str | None = None) -> dict[str, int]:
    """Grant an erasure request: run every eraser on the request's resident, mark the request done
    with the decision and its date. Audited as "rights.erase" with the rows changed per eraser."""
    actor, req = _load(session, user, request_id, "rights.erase")
    if req.version != expected_version:
        raise ConcurrentEdit("data rights request changed by someone else")
    if req.kind != "erasure" or req.status != "open":
        raise InvalidTransition("erase", req.status if req.kind == "erasure" else req.kind)
    note = checked_text("decision_note", decision_note, NOTE_MAX)
    r = session.get(Resident, req.resident_id)
    terms = terms_of(r)
    counts = {name: int(_resolve(target)(session, r, terms)) for name, target in list(ERASERS.items())}
    _bump(session, req, expected_version, status="done", decided_on=now.date(), decided_by=actor.username,
          decision_note=note or "erased", erased_at=now)
    audit.write(session, actor.username, "rights.erase", "data_rights_request", req.code,
                {"resident_id": r.id, "rows": counts}, at=now)
    return counts


def refuse(*, session: Session, user, request_id: int, expected_version: int, now: datetime,
           decision_note: str) -> DataRightsRequest:
    """Refuse a request, with the reason (e.g. data held under a legal duty)."""
    actor, req = _load(session, user, request_id, "rights.refuse")
    if req.version != expected_version:
        raise ConcurrentEdit("data rights request changed by someone else")
    if req.status != "open":
        raise InvalidTransition("refuse", req.status)
    note = checked_text("decision_note", decision_note, NOTE_MAX, required=True)
    req = _bump(session, req, expected_version, status="refused", decided_on=now.date(), decided_by=actor.username,
                decision_note=note)
    audit.write(session, actor.username, "rights.refuse", "data_rights_request", req.code,
                {"resident_id": req.resident_id}, at=now)
    return req


@dataclass(frozen=True)
class RequestView:
    id: int
    code: str
    resident_id: int
    resident: str  # masked name (or the erased marker)
    household_code: str
    kind: str
    received_on: date
    channel: str
    status: str
    decision_note: str | None
    decided_on: date | None
    decided_by: str | None
    version: int


def list_requests(*, session: Session, user, open_only: bool = False) -> list[RequestView]:
    """Every data-rights request, open first, newest first (admins)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "rights.read", ROLES)
    D = DataRightsRequest
    stmt = (select(D, Resident, Household).join(Resident, Resident.id == D.resident_id)
            .join(Household, Household.id == Resident.household_id)
            .order_by(D.status != "open", D.received_on.desc(), D.id.desc()))
    if open_only:
        stmt = stmt.where(D.status == "open")
    return [RequestView(d.id, d.code, r.id, r.name if r.name == ERASED_NAME else crypto.mask_name(r.name), h.code,
                        d.kind, d.received_on, d.channel, d.status, d.decision_note, d.decided_on, d.decided_by,
                        d.version) for d, r, h in session.execute(stmt).all()]
