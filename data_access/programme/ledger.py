"""The problem rectification ledger (问题整改台账, seed 004 §9.3; indicators.md "Escalation and
rectification").

An item comes from a spot check, an inspection, the lag list, a hazard, a complaint or a security
incident; it has an owner unit, a due date and the status open → in progress → closed (销号).
Closing needs evidence: an item cannot be closed without it. An item past its due date and not
closed is overdue and listed first. Every write is audited and carries the version the user saw
(a concurrent edit is refused); creating carries an idempotency token (a double click writes once).

Functions take a keyword-only ``session`` and never commit.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlmodel import Session

from data_access.core import audit
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, ValidationError
from data_access.core.text import checked_text
from data_access.core.versioning import bump
from data_access.org.models import OrgUnit
from data_access.org.scope import Actor, actor_of, require_role, scope_clause, scoped_unit
from data_access.programme.models import RECT_SOURCES, RECT_STATUSES, RectificationItem

WRITE_ROLES = ("admin", "city_leader", "district_leader", "coordinator")
READ_ROLES = WRITE_ROLES
TITLE_MAX = 300
TEXT_MAX = 2000
EVIDENCE_MIN = 4  # "已整改" alone is not evidence
REF_MAX = 60


def new_code(at: datetime) -> str:
    return f"R{at:%Y%m%d}-{secrets.token_hex(3).upper()}"


def create_item(*, session: Session, user, source: str, org_unit_id: int, title: str, due: date, now: datetime,
                detail: str | None = None, source_ref: str | None = None,
                client_token: str | None = None, code: str | None = None) -> RectificationItem:
    """Open a ledger item (status open). A second call with the same ``client_token`` returns the first."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "rect.create", WRITE_ROLES)
    if client_token:
        got = session.scalars(select(RectificationItem).where(RectificationItem.client_token == client_token)).first()
        if got is not None:
            return got
    if source not in RECT_SOURCES:
        raise ValidationError("source", "choice", {"options": list(RECT_SOURCES)})
    unit = scoped_unit(session, actor, org_unit_id, "rect.create")
    name = checked_text("title", title, TITLE_MAX, required=True)
    text = checked_text("detail", detail, TEXT_MAX)
    ref = checked_text("source_ref", source_ref, REF_MAX)
    if not isinstance(due, date):
        raise ValidationError("due", "required")
    item = RectificationItem(code=code or new_code(now), client_token=client_token or None, source=source, source_ref=ref,
                             org_unit_id=unit.id, title=name, detail=text, due=due, status="open",
                             created_by=actor.username, created_at=now)
    session.add(item)
    session.flush()
    audit.write(session, actor.username, "rect.create", "rectification_item", item.code,
                {"source": source, "source_ref": ref, "unit": unit.code, "due": due.isoformat()}, at=now)
    return item


def _load(session: Session, actor: Actor, item_id: int, action: str) -> RectificationItem:
    item = session.get(RectificationItem, item_id)
    if item is None:
        raise NotFound(f"rectification item {item_id}")
    scoped_unit(session, actor, item.org_unit_id, action)
    return item


def _bump(session: Session, item: RectificationItem, expected_version: int, **changes) -> RectificationItem:
    return bump(session, item, expected_version, "rectification item", **changes)


def start(*, session: Session, user, item_id: int, expected_version: int, now: datetime) -> RectificationItem:
    """open → in progress."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "rect.start", WRITE_ROLES)
    item = _load(session, actor, item_id, "rect.start")
    if item.version != expected_version:
        raise ConcurrentEdit("rectification item changed by someone else")
    if item.status != "open":
        raise InvalidTransition("start", item.status)
    item = _bump(session, item, expected_version, status="in_progress")
    audit.write(session, actor.username, "rect.start", "rectification_item", item.code, {"from": "open"}, at=now)
    return item


def close(*, session: Session, user, item_id: int, evidence: str | None, expected_version: int, now: datetime,
          closed_on: date | None = None) -> RectificationItem:
    """Close (销号) with evidence — refused without it (ValidationError("evidence", "required") or
    "too_short"); ``closed_on`` defaults to today and may not lie in the future."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "rect.close", WRITE_ROLES)
    item = _load(session, actor, item_id, "rect.close")
    if item.version != expected_version:
        raise ConcurrentEdit("rectification item changed by someone else")
    if item.status == "closed":
        raise InvalidTransition("close", item.status)
    proof = checked_text("evidence", evidence, TEXT_MAX, required=True)
    if len(proof) < EVIDENCE_MIN:
        raise ValidationError("evidence", "too_short", {"min": EVIDENCE_MIN})
    day = closed_on or now.date()
    if day > now.date():
        raise ValidationError("closed_on", "future")
    frm = item.status
    item = _bump(session, item, expected_version, status="closed", evidence=proof, closed_on=day,
                 closed_by=actor.username)
    audit.write(session, actor.username, "rect.close", "rectification_item", item.code,
                {"from": frm, "closed_on": day.isoformat()}, at=now)
    return item


@dataclass(frozen=True)
class ItemView:
    id: int
    code: str
    source: str
    source_ref: str | None
    unit_code: str
    unit_name_zh: str
    unit_name_en: str | None
    title: str
    detail: str | None
    due: date
    status: str
    evidence: str | None
    closed_on: date | None
    created_at: datetime
    version: int
    overdue: bool
    days_over: int  # days past due (0 when not overdue)


def is_overdue(status: str, due: date, today: date) -> bool:
    """Past its due date and not closed."""
    return status != "closed" and due < today


def list_items(*, session: Session, user, today: date, statuses: list[str] | None = None,
               overdue_only: bool = False, source: str | None = None, limit: int = 500) -> list[ItemView]:
    """Ledger items in the user's scope: overdue first (longest overdue first), then open items by
    due date, then closed ones (latest first)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "rect.read", READ_ROLES)
    R = RectificationItem
    overdue = (R.status != "closed") & (R.due < today)
    stmt = (select(R, OrgUnit).join(OrgUnit, OrgUnit.id == R.org_unit_id).where(scope_clause(actor))
            .order_by(case((overdue, 0), (R.status != "closed", 1), else_=2), R.due, R.id).limit(limit))
    if statuses:
        bad = [s for s in statuses if s not in RECT_STATUSES]
        if bad:
            raise ValidationError("status", "choice", {"options": list(RECT_STATUSES)})
        stmt = stmt.where(R.status.in_(statuses))
    if overdue_only:
        stmt = stmt.where(overdue)
    if source:
        stmt = stmt.where(R.source == source)
    out = []
    for r, u in session.execute(stmt).all():
        od = is_overdue(r.status, r.due, today)
        out.append(ItemView(r.id, r.code, r.source, r.source_ref, u.code, u.name_zh, u.name_en, r.title, r.detail,
                            r.due, r.status, r.evidence, r.closed_on, r.created_at, r.version, od,
                            (today - r.due).days if od else 0))
    return out


def ledger_counts(*, session: Session, user, today: date) -> dict[str, int]:
    """{"open", "overdue", "closed"} in the user's scope (counted in the database)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "rect.read", READ_ROLES)
    R = RectificationItem
    row = session.execute(
        select(func.sum(case((R.status != "closed", 1), else_=0)),
               func.sum(case(((R.status != "closed") & (R.due < today), 1), else_=0)),
               func.sum(case((R.status == "closed", 1), else_=0)))
        .select_from(R).join(OrgUnit, OrgUnit.id == R.org_unit_id).where(scope_clause(actor))).one()
    return {"open": int(row[0] or 0), "overdue": int(row[1] or 0), "closed": int(row[2] or 0)}
