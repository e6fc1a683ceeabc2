"""Tables of data_access.core: app settings (key → JSON value), the hash-chained audit log and the
dashboards' results shared between app replicas (``result_cache``).

Every table at once: ``data_access.schema`` (Alembic, tests).
"""
from __future__ import annotations

from pydantic import NaiveDatetime as datetime  # naive local times (Asia/Shanghai)
from sqlalchemy import Column, Index, LargeBinary, Text, text
from sqlmodel import Field, SQLModel


class Setting(SQLModel, table=True):
    __tablename__ = "app_setting"
    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(sa_column=Column(Text))  # JSON
    version: int = 1  # optimistic locking of the admin's edits (programme.config)


# --- audit & rollups -----------------------------------------------------------------------

# Append-only, hash-chained: hash = HMAC(audit key, prev_hash + canonical row). Never updated.
# A keyed row's predecessor is unique: two rows can never chain onto the same one (a fork).
class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ux_audit_log_keyed_prev", "prev_hash", unique=True,
                            sqlite_where=text("scheme >= 2"), postgresql_where=text("scheme >= 2")),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    username: str = Field(max_length=60, index=True)
    action: str = Field(max_length=40, index=True)
    entity: str | None = Field(default=None, max_length=40)
    entity_id: str | None = Field(default=None, max_length=60)
    detail: str | None = Field(default=None, sa_column=Column(Text))  # JSON, never personal data
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
    scheme: int = Field(default=2, sa_column_kwargs={"server_default": "1"})  # 1 sha256, 2 HMAC (audit.py)


# --- results shared between app replicas (data_access.core.result_cache) -----------------------

# A cache, not a record: UNLOGGED on PostgreSQL (no WAL, not on the streaming replica, empty after
# a crash), left out of backups. Aggregates only, never a resident's data.
class ResultCache(SQLModel, table=True):
    __tablename__ = "result_cache"
    key: str = Field(primary_key=True, max_length=64)  # sha256 of the code version, loader and arguments
    computed_at: float = Field(index=True)  # epoch seconds its computation started
    cost: float  # its computation's seconds
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # HMAC (32 bytes) + pickle
