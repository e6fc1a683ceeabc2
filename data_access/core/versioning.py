"""Optimistic locking: a form keeps the version it showed; a write refuses when the row moved on."""
from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from data_access.core.errors import ConcurrentEdit


def check_version(session: Session, obj, expected_version: int, what: str) -> None:
    """Reload ``obj`` and refuse (ConcurrentEdit) when its version is no longer the one the user saw."""
    session.refresh(obj)
    if obj.version != expected_version:
        raise ConcurrentEdit(f"{what} changed by someone else")


def bump(session: Session, obj, expected_version: int, what: str, **changes):
    """``UPDATE … SET version = version + 1, changes WHERE id = obj.id AND version = expected``: the
    write itself is the check (no window between reading and writing); ConcurrentEdit when someone
    else changed the row first. ``obj`` is refreshed and returned."""
    model = type(obj)
    res = session.execute(update(model).where(model.id == obj.id, model.version == expected_version)
                          .values(version=expected_version + 1, **changes))
    if res.rowcount != 1:
        raise ConcurrentEdit(f"{what} changed by someone else")
    session.refresh(obj)
    return obj
