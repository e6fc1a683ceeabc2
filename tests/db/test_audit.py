"""Audit log hash chain: intact chains verify, edited or deleted rows are found (SQLite + PostgreSQL);
the chain is keyed (HMAC, key outside the database) and its head can be checked against an anchor."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from data_access.__main__ import main
from data_access.core import audit
from data_access.core import db as dbmod
from data_access.core.models import AuditLog
from data_access.core.settings import get_settings, reset_settings


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
    assert (r.ok, r.bad_id, r.code) == (False, ids[1], "content")
    assert r.reason.startswith("content changed")


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
    """Re-hashing an edited row (even with the key) does not help: the following row still points at
    the old hash."""
    ids = write_rows(session)
    row = session.get(AuditLog, ids[1])
    new_detail = json.dumps({"i": 1, "status": "resolved"}, sort_keys=True)
    new_hash = audit._mac(row.prev_hash, audit._canonical(row.at, row.username, row.action, row.entity,
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


# --- issue 17: a keyed chain, an anchor outside the database, rows from before the key ----------

def _rehash_all(session: Session, digest, scheme: int) -> None:
    """What an intruder with write access does: recompute every row's link and hash."""
    prev = audit.GENESIS
    for row in session.execute(select(AuditLog).order_by(AuditLog.id)).scalars().all():
        h = digest(prev, audit._canonical(row.at, row.username, row.action, row.entity, row.entity_id, row.detail))
        session.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h, scheme = :s WHERE id = :id"),
                        {"p": prev, "h": h, "s": scheme, "id": row.id})
        prev = h
    session.commit()
    session.expire_all()


def test_rows_are_keyed_so_a_chain_rehashed_without_the_key_is_found(session):
    ids = write_rows(session)
    session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    session.commit()
    _rehash_all(session, audit._digest, audit.SCHEME_KEYED)  # plain sha256 where the key belongs
    r = audit.verify(session)
    assert (r.ok, r.bad_id, r.code) == (False, ids[0], "content")


def test_a_chain_rehashed_as_rows_from_before_the_key_is_found(session):
    """Downgrading the newest rows to the unkeyed scheme (re-hashed consistently) is refused: unkeyed
    rows may only come before every keyed row, and those are vouched for by the keyed row after them."""
    ids = write_rows(session)
    session.execute(text("UPDATE audit_log SET detail = '{}' WHERE id = :id"), {"id": ids[3]})
    session.commit()
    row = session.get(AuditLog, ids[3])
    session.refresh(row)
    h = audit._digest(row.prev_hash, audit._canonical(row.at, row.username, row.action, row.entity, row.entity_id,
                                                      row.detail))
    session.execute(text("UPDATE audit_log SET hash = :h, scheme = 1 WHERE id = :id"), {"h": h, "id": ids[3]})
    session.commit()
    session.expire_all()
    r = audit.verify(session)
    assert (r.ok, r.bad_id, r.code) == (False, ids[3], "scheme")


def test_a_chain_written_under_another_key_does_not_verify(session, monkeypatch):
    write_rows(session)
    monkeypatch.setenv("AUDIT_KEY", "some-other-key")
    reset_settings()
    try:
        r = audit.verify(session)
        assert (r.ok, r.code) == (False, "content")
    finally:
        monkeypatch.delenv("AUDIT_KEY")
        reset_settings()
    assert audit.verify(session).ok


def test_the_key_lives_outside_the_database(session):
    write_rows(session, 1)
    key_path = get_settings().data_dir / "audit.key"
    assert key_path.exists() and oct(key_path.stat().st_mode & 0o777) == "0o600"
    key = key_path.read_text().strip()
    dump = " ".join(str(v) for row in session.execute(text("SELECT * FROM audit_log")) for v in row)
    assert key not in dump


def test_deleting_the_newest_rows_is_found_against_the_anchor(session):
    ids = write_rows(session)
    a = audit.anchor(session)
    assert (a.rows, a.last_id) == (4, ids[3])
    assert audit.verify(session, audit.Anchor.from_json(a.to_json())).ok
    audit.write(session, "later", "need.update", "need", "N9", at=datetime(2025, 3, 2, 9))
    session.commit()
    assert audit.verify(session, a).ok  # rows after the anchor are fine
    session.execute(text("DELETE FROM audit_log WHERE id >= :id"), {"id": ids[2]})
    session.commit()
    assert audit.verify(session).ok  # the shorter chain is consistent in itself …
    r = audit.verify(session, a)  # … but the anchored head is gone
    assert (r.ok, r.bad_id, r.code) == (False, ids[3], "anchor_missing")


def test_a_chain_rewritten_with_the_key_is_found_against_the_anchor(session):
    """Someone who stole the key as well can re-hash an edited chain consistently; the anchor kept
    outside the database still tells."""
    ids = write_rows(session)
    a = audit.anchor(session)
    session.execute(text("UPDATE audit_log SET detail = '{}' WHERE id = :id"), {"id": ids[1]})
    session.commit()
    _rehash_all(session, audit._mac, audit.SCHEME_KEYED)
    assert audit.verify(session).ok
    r = audit.verify(session, a)
    assert (r.ok, r.bad_id, r.code) == (False, ids[3], "anchor_mismatch")


def _legacy_rows(session: Session, n: int) -> list[int]:
    """Rows as the code before issue 17 wrote them: plain sha256, scheme 1."""
    prev, ids = audit.GENESIS, []
    for i in range(n):
        at = datetime(2024, 1, 1, 9, 0, i)
        payload = audit._canonical(at, "old", "login", "app_user", str(i), None)
        row = AuditLog(at=at, username="old", action="login", entity="app_user", entity_id=str(i), detail=None,
                       prev_hash=prev, hash=audit._digest(prev, payload), scheme=audit.SCHEME_PLAIN)
        session.add(row)
        session.flush()
        prev = row.hash
        ids.append(row.id)
    session.commit()
    return ids


def test_rows_from_before_the_key_verify_and_are_reported_apart(session):
    old = _legacy_rows(session, 3)
    new = write_rows(session, 2)
    r = audit.verify(session)
    assert (r.ok, r.rows, r.unkeyed) == (True, 5, 3)
    session.execute(text("UPDATE audit_log SET username = 'x' WHERE id = :id"), {"id": old[1]})
    session.commit()
    r = audit.verify(session)
    assert (r.ok, r.bad_id, r.code) == (False, old[1], "content")
    assert new


def test_keyed_rows_cannot_fork(session):
    """The database itself refuses a second keyed row on the same predecessor."""
    from sqlalchemy.exc import IntegrityError

    write_rows(session, 2)
    head = session.execute(select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).scalars().one()
    session.add(AuditLog(at=datetime(2025, 3, 3), username="x", action="login", prev_hash=head.prev_hash,
                         hash="f" * 64, scheme=audit.SCHEME_KEYED))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_migration_0007_keeps_an_existing_chain_verifiable(engine):
    """A database at 0006 with a chain written the old way upgrades; its rows verify as unkeyed and
    new rows continue the chain keyed."""
    from alembic import command

    cfg = dbmod.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
        prev = audit.GENESIS
        for i in range(3):
            at = datetime(2024, 1, 1, 9, 0, i)
            h = audit._digest(prev, audit._canonical(at, "old", "login", "app_user", str(i), None))
            conn.execute(text("INSERT INTO audit_log (at, username, action, entity, entity_id, detail, prev_hash, "
                              "hash) VALUES (:at, 'old', 'login', 'app_user', :e, NULL, :p, :h)"),
                         {"at": at, "e": str(i), "p": prev, "h": h})
            prev = h
        command.upgrade(cfg, "head")
    with Session(engine) as s:
        r = audit.verify(s)
        assert (r.ok, r.rows, r.unkeyed) == (True, 3, 3)
        audit.write(s, "new", "login", at=datetime(2025, 1, 1))
        s.commit()
        r = audit.verify(s)
        assert (r.ok, r.rows, r.unkeyed) == (True, 4, 3)


def test_cli_audit_anchor_and_verify_against_it(use_db, capsys, tmp_path):
    with dbmod.session_scope() as s:
        ids = write_rows(s, 3)
    out = tmp_path / "anchor.json"
    assert main(["audit-anchor", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["head_hash"]
    capsys.readouterr()
    assert main(["verify-audit", "--anchor", str(out)]) == 0
    assert "head matches the anchor" in capsys.readouterr().out
    with dbmod.session_scope() as s:
        s.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[2]})
    assert main(["verify-audit"]) == 0  # without the anchor the truncation does not show
    assert main(["verify-audit", "--anchor", str(out)]) == 1
    assert f"BROKEN at row id {ids[2]}" in capsys.readouterr().err
