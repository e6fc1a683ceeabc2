"""Audit log hash chain: intact chains verify, edited or deleted rows are found (SQLite + PostgreSQL)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, text
from sqlmodel import Session

from data_access.__main__ import main
from data_access.core import audit
from data_access.core import db as dbmod
from data_access.core.models import AuditLog


def write_rows(session: Session, n: int = 4) -> list[int]:
    ids = []
    for i in range(n):
        row = audit.write(session, f"user{i}", "need.update", "need", f"N{i:03d}", {"status": "accepted", "i": i},
                          at=datetime(2025, 3, 1, 9, 0, i, 123456))
        ids.append(row.id)
    session.commit()
    return ids


def test_intact_chain_verifies(session):
    ids = write_rows(session)
    r = audit.verify(session)
    assert (r.ok, r.rows, r.bad_id) == (True, 4, None)
    rows = session.execute(select(AuditLog).order_by(AuditLog.id)).scalars().all()
    assert [a.id for a in rows] == ids
    assert rows[0].prev_hash == audit.GENESIS
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 4))
    assert json.loads(rows[2].detail) == {"i": 2, "status": "accepted"}


def test_empty_log_verifies(session):
    r = audit.verify(session)
    assert (r.ok, r.rows) == (True, 0)


def test_edited_detail_is_found(session):
    ids = write_rows(session)
    session.execute(text("UPDATE audit_log SET detail = :d WHERE id = :id"),
                    {"d": json.dumps({"i": 1, "status": "resolved"}), "id": ids[1]})
    session.commit()
    r = audit.verify(session)
    assert (r.ok, r.bad_id, r.reason) == (False, ids[1], "content changed")


def test_edited_username_is_found(session):
    ids = write_rows(session)
    session.execute(text("UPDATE audit_log SET username = 'someone_else' WHERE id = :id"), {"id": ids[3]})
    session.commit()
    r = audit.verify(session)
    assert (r.ok, r.bad_id) == (False, ids[3])


def test_deleted_middle_row_is_found(session):
    ids = write_rows(session)
    session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[2]})
    session.commit()
    r = audit.verify(session)
    # the row after the gap no longer links to its predecessor
    assert (r.ok, r.bad_id) == (False, ids[3])
    assert r.reason.startswith("link broken")


def test_edit_with_recomputed_hash_breaks_the_next_link(session):
    """Re-hashing an edited row does not help: the following row still points at the old hash."""
    ids = write_rows(session)
    row = session.get(AuditLog, ids[1])
    new_detail = json.dumps({"i": 1, "status": "resolved"}, sort_keys=True)
    new_hash = audit._digest(row.prev_hash, audit._canonical(row.at, row.username, row.action, row.entity,
                                                             row.entity_id, new_detail))
    session.execute(text("UPDATE audit_log SET detail = :d, hash = :h WHERE id = :id"),
                    {"d": new_detail, "h": new_hash, "id": ids[1]})
    session.commit()
    session.expire_all()
    r = audit.verify(session)
    assert (r.ok, r.bad_id) == (False, ids[2])
    assert r.reason.startswith("link broken")


def test_cli_verify_audit(use_db, capsys):
    with dbmod.session_scope() as s:
        ids = write_rows(s, 3)
    assert main(["verify-audit"]) == 0
    assert "OK (3 rows)" in capsys.readouterr().out
    with dbmod.session_scope() as s:
        s.execute(text("UPDATE audit_log SET action = 'data.export' WHERE id = :id"), {"id": ids[1]})
    assert main(["verify-audit"]) == 1
    assert f"BROKEN at row id {ids[1]}" in capsys.readouterr().err
