"""Backup and restore of the whole database: ``python -m data_access backup DIR`` / ``restore DIR``.

* SQLite: the online backup API (a consistent copy while the app keeps writing) → ``DIR/app.db``;
  restore copies it back through the same API into the live database, in one step.
* PostgreSQL: ``pg_dump --format=custom`` → ``DIR/app.dump``; restore runs ``pg_restore --clean
  --if-exists --single-transaction`` so a failed restore leaves the database as it was.

``DIR/manifest.json`` records the engine, the schema revision and a fingerprint of the encryption
key (never the key): resident ID numbers and phones are encrypted with APP_SECRET_KEY (or the key
file in APP_DATA_DIR), and a database restored under another key cannot decrypt them. Restore
refuses a backup taken under another key unless ``force``. Back the key up separately.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from data_access.core.settings import get_settings, key_file

MANIFEST = "manifest.json"
SQLITE_FILE = "app.db"
PG_FILE = "app.dump"


class BackupError(RuntimeError):
    """A backup or restore that could not be done (message says why; nothing was changed)."""


def key_fingerprint() -> str:
    """Short SHA-256 of the resident-data key in use (identifies it without revealing it)."""
    key = get_settings().secret_key or key_file("secret.key")
    return hashlib.sha256(f"gridpolice-key-fingerprint:{key}".encode()).hexdigest()[:16]


def _revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as c:
            return c.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        return None


def _pg_tool(name: str) -> str:
    cands = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = cands[0] if cands else shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found (apt-get install postgresql-client)")
    return found


def _libpq_url(engine: Engine) -> str:
    """The SQLAlchemy URL as a libpq connection URI (no driver suffix), password included."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(engine: Engine) -> Path:
    db = make_url(str(engine.url)).database
    if not db or db == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(db)


def backup(engine: Engine, directory: str | Path) -> dict:
    """Write a consistent copy of the database into ``directory`` (created; must be empty)."""
    d = Path(directory)
    if d.exists() and any(d.iterdir()):
        raise BackupError(f"{d} is not empty")
    d.mkdir(parents=True, exist_ok=True)
    backend = engine.url.get_backend_name()
    if backend == "sqlite":
        src = sqlite3.connect(_sqlite_path(engine), timeout=30)
        dst = sqlite3.connect(d / SQLITE_FILE)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
        data_file = SQLITE_FILE
    elif backend == "postgresql":
        # result_cache: the replicas' shared results, a cache (its table is kept, its rows are not)
        r = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                            "--exclude-table-data=result_cache", "--file", str(d / PG_FILE), "--dbname", _libpq_url(engine)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise BackupError(f"pg_dump failed: {r.stderr.strip()}")
        data_file = PG_FILE
    else:
        raise BackupError(f"unsupported database: {backend}")
    manifest = {"engine": backend, "file": data_file, "revision": _revision(engine),
                "taken_at_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "key_fingerprint": key_fingerprint(),
                "bytes": (d / data_file).stat().st_size}
    (d / MANIFEST).write_text(json.dumps(manifest, indent=2))
    os.chmod(d / data_file, 0o600)
    return manifest


def read_manifest(directory: str | Path) -> dict:
    path = Path(directory) / MANIFEST
    if not path.exists():
        raise BackupError(f"{path} not found: not a backup folder")
    return json.loads(path.read_text())


def restore(engine: Engine, directory: str | Path, *, force: bool = False) -> dict:
    """Replace the database's contents with the backup in ``directory`` (same engine kind)."""
    d = Path(directory)
    manifest = read_manifest(d)
    backend = engine.url.get_backend_name()
    if manifest.get("engine") != backend:
        raise BackupError(f"backup is of {manifest.get('engine')}, the database is {backend}")
    if manifest.get("key_fingerprint") != key_fingerprint() and not force:
        raise BackupError("the backup was taken under another APP_SECRET_KEY: its resident data could not be "
                          "decrypted with the current key (set the old key, or pass --force)")
    data = d / manifest["file"]
    if not data.exists():
        raise BackupError(f"{data} not found")
    engine.dispose()  # no pooled connection of ours holds the old contents or locks
    if backend == "sqlite":
        src = sqlite3.connect(f"file:{data}?mode=ro", uri=True)
        dst = sqlite3.connect(_sqlite_path(engine), timeout=30)
        try:
            src.backup(dst)  # one step: readers see the old or the new database, never a mix
        finally:
            dst.close()
            src.close()
    else:
        r = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction",
                            "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", _libpq_url(engine),
                            str(data)], capture_output=True, text=True)
        if r.returncode != 0:
            raise BackupError(f"pg_restore failed (nothing changed): {r.stderr.strip()}")
    engine.dispose()
    return manifest


def cli_backup(directory: str) -> int:
    from data_access.core.db import get_engine

    try:
        m = backup(get_engine(), directory)
    except BackupError as exc:
        print(f"backup failed: {exc}", flush=True)
        return 1
    print(f"backup written to {directory} ({m['engine']}, revision {m['revision']}, {m['bytes']} bytes). "
          "Keep APP_SECRET_KEY (or data/secret.key) safe as well: the backup cannot be read without it.")
    return 0


def cli_restore(directory: str, force: bool = False) -> int:
    from data_access.core.db import get_engine, migrate

    try:
        m = restore(get_engine(), directory, force=force)
    except BackupError as exc:
        print(f"restore failed: {exc}", flush=True)
        return 1
    migrate()  # a backup of an older revision is brought up to this code's schema
    print(f"restored {directory} (taken {m['taken_at_utc']}, revision {m['revision']})")
    return 0
