"""Append-only, hash-chained audit log, keyed with a secret held outside the database.

Each row's ``hash`` is HMAC-SHA256, under the audit key, over the previous row's hash and the
row's canonical content (``scheme`` 2). Editing or deleting any row breaks the chain from that
row on, and without the key nobody can re-hash a changed chain so that it verifies. Deleting the
newest rows leaves a shorter chain that is still consistent: ``verify`` compares the head with an
anchor exported earlier (``anchor``; ``python -m data_access audit-anchor``), which catches that
and a chain re-hashed by someone who also had the key.

Rows written before migration 0007 keep their plain sha256 hashes (``scheme`` 1, no key): they
verify as before, may only come first, and are reported separately (``VerifyResult.unkeyed``).
The first keyed row links to the last of them, so from then on they are covered by the key too.

Writers are serialised on both engines (``db.write_lock``): two transactions never chain onto
the same predecessor, and a keyed row's predecessor is unique in the database as well.
Details hold ids and reasons, never personal data.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import func
from sqlmodel import Session, select

from data_access.core.clock import now_local
from data_access.core.db import write_lock
from data_access.core.models import AuditLog
from data_access.core.settings import get_settings, key_file

GENESIS = "0" * 64
SCHEME_PLAIN = 1  # sha256(prev + content): rows written before migration 0007
SCHEME_KEYED = 2  # HMAC-SHA256(audit key, prev + content)


def _canonical(at: datetime, username: str, action: str, entity, entity_id, detail) -> str:
    return json.dumps(
        [at.isoformat(timespec="microseconds"), username, action, entity, entity_id, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _digest(prev: str, payload: str) -> str:
    """The unkeyed hash of scheme 1 (kept to verify rows written before the key)."""
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


@lru_cache(maxsize=4)
def _key_for(settings) -> bytes:
    raw = settings.audit_key or key_file("audit.key")
    return hashlib.sha256(f"gridpolice-audit-chain:{raw}".encode()).digest()


def _mac(prev: str, payload: str) -> str:
    return hmac.new(_key_for(get_settings()), (prev + payload).encode("utf-8"), hashlib.sha256).hexdigest()


def _expected(scheme: int, prev: str, payload: str) -> str | None:
    if scheme == SCHEME_KEYED:
        return _mac(prev, payload)
    if scheme == SCHEME_PLAIN:
        return _digest(prev, payload)
    return None


def write(
    session: Session,
    username: str,
    action: str,
    entity: str | None = None,
    entity_id: str | int | None = None,
    detail: dict | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Append one audit row in the caller's transaction (which then holds the chain's lock)."""
    at = at or now_local()
    write_lock(session, "audit_log")  # so two transactions never chain onto the same predecessor
    last = session.exec(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).first()
    prev = last or GENESIS
    detail_s = json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail is not None else None
    eid = None if entity_id is None else str(entity_id)
    row = AuditLog(
        at=at, username=username, action=action, entity=entity, entity_id=eid, detail=detail_s,
        prev_hash=prev, hash=_mac(prev, _canonical(at, username, action, entity, eid, detail_s)),
        scheme=SCHEME_KEYED,
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
    code: str | None = None  # link, content, scheme, anchor_missing, anchor_mismatch
    unkeyed: int = 0  # rows of scheme 1 (before the key), all at the start of the chain
    head_id: int | None = None
    head_hash: str | None = None
    anchor_checked: bool = False


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment, kept outside the database."""
    rows: int
    last_id: int | None
    head_hash: str
    at: str = ""

    def to_json(self) -> str:
        return json.dumps({"kind": "gridpolice-audit-anchor", "version": 1, "rows": self.rows,
                           "last_id": self.last_id, "head_hash": self.head_hash, "at": self.at},
                          ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        d = json.loads(text)
        if d.get("kind") != "gridpolice-audit-anchor":
            raise ValueError("not an audit anchor file")
        return cls(int(d["rows"]), d["last_id"], str(d["head_hash"]), str(d.get("at", "")))


def _fail(n: int, row_id: int | None, code: str, reason: str, unkeyed: int) -> VerifyResult:
    return VerifyResult(False, n, row_id, reason, code, unkeyed)


def verify(session: Session, anchor: Anchor | None = None) -> VerifyResult:
    """Walk the chain in id order; report the first row whose link or hash does not match, and,
    given an ``anchor``, whether the anchored head is still in the chain unchanged."""
    prev = GENESIS
    n = unkeyed = 0
    keyed_seen = False
    head_id = None
    anchor_seen = anchor is None or anchor.last_id is None
    for row in session.exec(select(AuditLog).order_by(AuditLog.id).execution_options(yield_per=2000)):
        n += 1
        if row.prev_hash != prev:
            return _fail(n, row.id, "link", "link broken (a row before it was deleted or changed)", unkeyed)
        if row.scheme == SCHEME_PLAIN and keyed_seen:
            return _fail(n, row.id, "scheme", "unkeyed row after keyed rows (the chain was re-hashed)", unkeyed)
        payload = _canonical(row.at, row.username, row.action, row.entity, row.entity_id, row.detail)
        expect = _expected(row.scheme, prev, payload)
        if expect is None or not hmac.compare_digest(row.hash, expect):
            return _fail(n, row.id, "content", "content changed (or the audit key is not the one it was "
                                               "written with)", unkeyed)
        if row.scheme == SCHEME_KEYED:
            keyed_seen = True
        else:
            unkeyed += 1
        if anchor is not None and row.id == anchor.last_id:
            anchor_seen = True
            if row.hash != anchor.head_hash or n != anchor.rows:
                return _fail(n, row.id, "anchor_mismatch", "differs from the anchor (the chain up to the "
                                                           "anchored row was rewritten)", unkeyed)
        prev = row.hash
        head_id = row.id
    if anchor is not None and not anchor_seen:
        return _fail(n, anchor.last_id, "anchor_missing", "the anchored head row is gone (rows at the end "
                                                          "were deleted)", unkeyed)
    return VerifyResult(True, n, None, None, None, unkeyed, head_id, prev if n else None, anchor is not None)


def anchor(session: Session, at: datetime | None = None) -> Anchor:
    """The current head, to be stored outside the database (verified first: never anchor a broken chain)."""
    r = verify(session)
    if not r.ok:
        raise ValueError(f"audit chain BROKEN at row id {r.bad_id}: {r.reason}")
    return Anchor(r.rows, r.head_id, r.head_hash or GENESIS, (at or now_local()).isoformat(timespec="seconds"))


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
