"""Append-only, hash-chained audit log.

Each row's hash is sha256 over the previous row's hash and the row's canonical content, so
editing or deleting any row breaks the chain from that row on (``verify``). Details hold
ids and reasons, never personal data.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, text
from sqlmodel import Session, select

from data_access.core.clock import now_local
from data_access.core.models import AuditLog

GENESIS = "0" * 64


def _canonical(at: datetime, username: str, action: str, entity, entity_id, detail) -> str:
    return json.dumps(
        [at.isoformat(timespec="microseconds"), username, action, entity, entity_id, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _digest(prev: str, payload: str) -> str:
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


def write(
    session: Session,
    username: str,
    action: str,
    entity: str | None = None,
    entity_id: str | int | None = None,
    detail: dict | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Append one audit row in the caller's transaction."""
    at = at or now_local()
    if session.bind.dialect.name == "postgresql":
        # serialise writers so two transactions never chain onto the same predecessor
        session.execute(text("SELECT pg_advisory_xact_lock(727274)"))
    last = session.exec(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).first()
    prev = last or GENESIS
    detail_s = json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail is not None else None
    eid = None if entity_id is None else str(entity_id)
    row = AuditLog(
        at=at, username=username, action=action, entity=entity, entity_id=eid, detail=detail_s,
        prev_hash=prev, hash=_digest(prev, _canonical(at, username, action, entity, eid, detail_s)),
    )
    session.add(row)
    session.flush()
    return row


@dataclass
class VerifyResult:
    ok: bool
    rows: int
    bad_id: int | None = None
    reason: str | None = None


def verify(session: Session) -> VerifyResult:
    """Walk the chain in id order; report the first row whose link or hash does not match."""
    prev = GENESIS
    n = 0
    for row in session.exec(select(AuditLog).order_by(AuditLog.id)):
        n += 1
        if row.prev_hash != prev:
            return VerifyResult(False, n, row.id, "link broken (a row before it was deleted or changed)")
        expect = _digest(prev, _canonical(row.at, row.username, row.action, row.entity, row.entity_id, row.detail))
        if row.hash != expect:
            return VerifyResult(False, n, row.id, "content changed")
        prev = row.hash
    return VerifyResult(True, n)


# --- reading the log (the admin's audit screen) ------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    """Rows by ``username``, any of ``actions``, with ``start <= at < end`` (None: no bound)."""
    username: str | None = None
    actions: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None


def _filtered(stmt, f: AuditFilter):
    if f.username is not None:
        stmt = stmt.where(AuditLog.username == f.username)
    if f.actions:
        stmt = stmt.where(AuditLog.action.in_(f.actions))
    if f.start is not None:
        stmt = stmt.where(AuditLog.at >= f.start)
    if f.end is not None:
        stmt = stmt.where(AuditLog.at < f.end)
    return stmt


def count(session: Session, f: AuditFilter) -> int:
    """Number of rows matching ``f`` (counted in the database)."""
    return session.exec(_filtered(select(func.count()).select_from(AuditLog), f)).one()


def search(session: Session, f: AuditFilter, *, offset: int = 0, limit: int = 50) -> list[AuditLog]:
    """One page of matching rows, newest first (paged in the database)."""
    stmt = _filtered(select(AuditLog), f).order_by(AuditLog.id.desc()).offset(max(0, offset)).limit(limit)
    return list(session.exec(stmt))


def distinct(session: Session, column: str) -> list[str]:
    """The distinct values of ``column`` ("username" or "action"), sorted."""
    col = {"username": AuditLog.username, "action": AuditLog.action}[column]
    return sorted(v for v in session.exec(select(col).distinct()) if v is not None)
