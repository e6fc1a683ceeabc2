"""Optimistic locking: a form keeps the version it showed; a write refuses when the row moved on."""
from __future__ import annotations

from sqlmodel import Session

from data_access.core.errors import ConcurrentEdit


def check_version(session: Session, obj, expected_version: int, what: str) -> None:
    """Reload ``obj`` and refuse (ConcurrentEdit) when its version is no longer the one the user saw."""
    session.refresh(obj)
    if obj.version != expected_version:
        raise ConcurrentEdit(f"{what} changed by someone else")
