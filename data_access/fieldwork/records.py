"""Write services: every change to field records goes through here, so derived columns,
rollups and the audit log are updated in the caller's transaction.

Functions take a keyword-only ``session`` and never commit; the caller's
``session_scope`` commits or rolls back everything together.
"""
from __future__ import annotations

import json
from datetime import date, time

from sqlalchemy import update
from sqlmodel import Session, select

from data_access.analytics import rollups, snapshots
from data_access.core import audit
from data_access.core.errors import ConcurrentEdit, NotFound, PermissionDenied
from data_access.core.models import Setting
from data_access.core.versioning import check_version
from data_access.fieldwork.derive import (
    NIGHT_END,
    NIGHT_START,
    check_contributions,
    derive_check,
    derive_household,
    derive_need,
    derive_visit,
    household_contributions,
    month_of,
    need_contributions,
    visit_contributions,
)
from data_access.fieldwork.limits import limits as time_limits
from data_access.fieldwork.models import Household, Need, SpotCheck, Visit, VisitAnswer
from data_access.org.models import OrgUnit
from data_access.org.scope import Actor, unit_in_scope

# --- households ----------------------------------------------------------------------------

def household_in_scope(*, session: Session, actor: Actor, household_id: int, action: str
                       ) -> tuple[Household, OrgUnit]:
    """The household and its grid, or NotFound / PermissionDenied("scope")."""
    h = session.get(Household, household_id)
    if h is None:
        raise NotFound(f"household {household_id}")
    grid = session.get(OrgUnit, h.grid_id)
    if grid is None or not unit_in_scope(actor, grid):
        raise PermissionDenied(action, "scope")
    return h, grid


def add_household(*, session: Session, household: Household) -> Household:
    derive_household(household)
    session.add(household)
    session.flush()
    rollups.apply(session, add=household_contributions(household))
    if household.risk_level != "none":
        snapshots.touch(session, [household.grid_id], household.registered_month)
    return household


def update_household(*, session: Session, household_id: int, expected_version: int, username: str,
                     **changes) -> Household:
    """Change household fields with optimistic locking; keeps the household rollup in step."""
    h = session.get(Household, household_id)
    if h is None:
        raise NotFound(f"household {household_id}")
    before = household_contributions(h)
    old_grid = h.grid_id
    values = dict(changes)
    if "registered_on" in values:
        values["registered_month"] = month_of(values["registered_on"]) or 0
    res = session.execute(update(Household).where(
        Household.id == household_id, Household.version == expected_version
    ).values(**values, version=expected_version + 1))
    if res.rowcount != 1:
        raise ConcurrentEdit("household changed by someone else")
    session.refresh(h)
    rollups.apply(session, add=household_contributions(h), remove=before)
    if {"risk_level", "registered_on", "grid_id"} & set(changes):
        snapshots.touch(session, [old_grid, h.grid_id])
    audit.write(session, username, "household.update", "household", h.code, {"fields": sorted(changes)})
    return h


# --- visits --------------------------------------------------------------------------------

def night_window(session: Session) -> tuple[time, time]:
    """(start, end) of the night window from app_setting ``night_window`` (default 20:00–07:00)."""
    row = session.get(Setting, "night_window")
    if row is not None:
        try:
            w = json.loads(row.value)
            return time.fromisoformat(w["start"]), time.fromisoformat(w["end"])
        except (ValueError, KeyError, TypeError):
            pass
    return NIGHT_START, NIGHT_END


def add_visit(*, session: Session, visit: Visit, answers: dict[str, str] | None = None) -> tuple[Visit, bool]:
    """Insert a visit; a visit with an already used ``client_token`` returns the existing one.

    Returns (visit, created). ``visit.grid_id`` defaults to the household's current grid.
    """
    existing = session.exec(select(Visit).where(Visit.client_token == visit.client_token)).first()
    if existing is not None:
        return existing, False
    if visit.grid_id is None:
        h = session.get(Household, visit.household_id)
        if h is None:
            raise NotFound(f"household {visit.household_id}")
        visit.grid_id = h.grid_id
    derive_visit(visit, *night_window(session))
    before = rollups.distinct_snapshot(session, visit.household_id, visit.officer_id, visit.visited_at)
    session.add(visit)
    session.flush()
    for code, value in (answers or {}).items():
        session.add(VisitAnswer(visit_id=visit.id, item_code=code, value=value))
    rollups.apply(session, add=visit_contributions(visit))
    after = rollups.distinct_snapshot(session, visit.household_id, visit.officer_id, visit.visited_at)
    rollups.apply_distinct(session, before, after)
    rollups.presence(session, grid_id=visit.grid_id, officer_id=visit.officer_id, day=visit.visited_at,
                     minutes=visit.duration_min)
    session.execute(update(Household).where(
        Household.id == visit.household_id,
        (Household.last_visit_at.is_(None)) | (Household.last_visit_at < visit.visited_at),
    ).values(last_visit_at=visit.visited_at))
    hh = session.get(Household, visit.household_id)
    snapshots.touch(session, [hh.grid_id if hh else visit.grid_id], visit.month)
    return visit, True


# --- needs ---------------------------------------------------------------------------------

def add_need(*, session: Session, need: Need) -> Need:
    if need.grid_id is None:
        h = session.get(Household, need.household_id)
        if h is None:
            raise NotFound(f"household {need.household_id}")
        need.grid_id = h.grid_id
    derive_need(need, time_limits(session=session))
    session.add(need)
    session.flush()
    rollups.apply(session, add=need_contributions(need))
    return need


def update_need(*, session: Session, need_id: int, expected_version: int, username: str, **changes) -> Need:
    """Apply ``changes`` if the need is still at ``expected_version``; else ConcurrentEdit."""
    n = session.get(Need, need_id)
    if n is None:
        raise NotFound(f"need {need_id}")
    check_version(session, n, expected_version, "need")
    before = need_contributions(n)
    probe = Need(**{**n.model_dump(), **changes})
    derive_need(probe, time_limits(session=session))
    derived = {k: getattr(probe, k) for k in ("counted", "created_month", "resolved_month", "sla_due_at",
                                               "sla_due_month", "sla_ok", "sla_ok_month")}
    res = session.execute(update(Need).where(Need.id == need_id, Need.version == expected_version)
                          .values(**changes, **derived, version=expected_version + 1))
    if res.rowcount != 1:
        raise ConcurrentEdit("need changed by someone else")
    session.refresh(n)
    rollups.apply(session, add=need_contributions(n), remove=before)
    audit.write(session, username, "need.update", "need", n.code,
                {k: (v.isoformat() if isinstance(v, date) else v) for k, v in changes.items()
                 if k in ("status", "responded_at", "resolved_at", "assignee_id")})
    return n


# --- spot checks ---------------------------------------------------------------------------

def add_check(*, session: Session, check: SpotCheck, household_category: str | None = None) -> SpotCheck:
    h = session.get(Household, check.household_id)
    if h is None:
        raise NotFound(f"household {check.household_id}")
    if check.grid_id is None:
        check.grid_id = h.grid_id
    derive_check(check, household_category or h.category)
    session.add(check)
    session.flush()
    rollups.apply(session, add=check_contributions(check))
    return check
