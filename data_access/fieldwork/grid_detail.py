"""Detail of one grid for the map screen: households by category and risk level, the last
visits (date, officer, compliance flags), open and overdue needs, the grid's officers.

Everything is counted in the database (GROUP BY); lists are short (``limit``). No residents'
personal data leaves this module: no names, addresses, ID or phone numbers — visits and needs
are identified by their record codes only. ``as_of`` bounds every query: records after it do
not exist yet (the same convention as the KPI service).

A need is *open* while it is unresolved (open, accepted, in progress); it is *overdue* when it
is still ``open`` without a response and its 48 h response deadline (``needs.sla_hours``) has
passed at ``as_of`` (the same rule as the needs tracker's "overdue" filter).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, select

from data_access.fieldwork.limits import need_limit
from data_access.fieldwork.models import CATEGORIES, RISK_LEVELS, Household, Need, Visit
from data_access.fieldwork.needs import need_limits, sla_hours
from data_access.org.models import OrgUnit, User

UNRESOLVED = ("open", "accepted", "in_progress")


@dataclass(frozen=True)
class VisitRow:
    code: str
    visited_at: datetime
    officer: str  # display name
    compliant: bool  # entered within 24 h with ID shown and camera on (derive.py)
    id_shown: bool | None
    bodycam_on: bool | None
    is_night: bool
    night_ok: bool
    satisfaction: int | None


@dataclass(frozen=True)
class NeedRow:
    code: str
    category: str
    status: str
    created_at: datetime
    due_at: datetime
    overdue: bool


@dataclass(frozen=True)
class GridDetail:
    grid_id: int
    code: str
    name_zh: str
    name_en: str | None
    officers: tuple[str, ...]
    households: dict  # (category, risk_level) → count
    households_total: int
    visits: tuple[VisitRow, ...]  # most recent first
    open_needs: int
    overdue_needs: int
    needs: tuple[NeedRow, ...]  # unresolved needs, most urgent (oldest) first
    sla_hours: float

    def by_category(self) -> dict[str, int]:
        return {c: sum(n for (cat, _r), n in self.households.items() if cat == c) for c in self.categories()}

    def by_risk(self) -> dict[str, int]:
        return {r: sum(n for (_c, risk), n in self.households.items() if risk == r) for r in self.risks()}

    def categories(self) -> list[str]:
        seen = {c for c, _ in self.households}
        return [c for c in CATEGORIES if c in seen] + sorted(seen - set(CATEGORIES))

    def risks(self) -> list[str]:
        seen = {r for _, r in self.households}
        return [r for r in RISK_LEVELS if r in seen] + sorted(seen - set(RISK_LEVELS))


def grid_officers(*, session: Session, grid_id: int) -> tuple[str, ...]:
    """Display names of the active officers whose scope is the grid (sorted)."""
    rows = session.exec(select(User.display_name).where(User.role == "officer", User.active.is_(True),
                                                        User.scope_id == grid_id)
                        .order_by(User.display_name)).all()
    return tuple(rows)


def household_counts(*, session: Session, grid_id: int, as_of: datetime) -> dict[tuple[str, str], int]:
    """``{(category, risk_level): households}`` currently in the grid, registered by ``as_of``
    (unknown registration date: always registered)."""
    stmt = (select(Household.category, Household.risk_level, func.count())
            .where(Household.grid_id == grid_id,
                   or_(Household.registered_on.is_(None), Household.registered_on <= as_of.date()))
            .group_by(Household.category, Household.risk_level))
    return {(c, r): int(n) for c, r, n in session.exec(stmt).all()}


def last_visits(*, session: Session, grid_id: int, as_of: datetime, limit: int = 10) -> list[VisitRow]:
    stmt = (select(Visit.code, Visit.visited_at, User.display_name, Visit.compliant, Visit.id_shown,
                   Visit.bodycam_on, Visit.is_night, Visit.night_ok, Visit.satisfaction)
            .join(User, User.id == Visit.officer_id)
            .where(Visit.grid_id == grid_id, Visit.visited_at <= as_of)
            .order_by(Visit.visited_at.desc(), Visit.id.desc())
            .limit(limit))
    return [VisitRow(c, at, name, bool(ok), ids, cam, bool(night), bool(nok), sat)
            for c, at, name, ok, ids, cam, night, nok, sat in session.exec(stmt).all()]


def need_counts(*, session: Session, grid_id: int, as_of: datetime) -> tuple[int, int]:
    """``(unresolved, overdue)`` needs of the grid at ``as_of``."""
    base = (Need.grid_id == grid_id, Need.status.in_(UNRESOLVED), Need.created_at <= as_of)
    unresolved = session.exec(select(func.count()).select_from(Need).where(*base)).one()
    overdue = session.exec(select(func.count()).select_from(Need).where(
        *base, Need.status == "open", Need.responded_at.is_(None), Need.sla_due_at < as_of)).one()
    return int(unresolved), int(overdue)


def open_needs(*, session: Session, grid_id: int, as_of: datetime, limits: dict[str, timedelta] | None = None,
               limit: int = 20) -> list[NeedRow]:
    stmt = (select(Need.code, Need.category, Need.status, Need.created_at, Need.responded_at)
            .where(Need.grid_id == grid_id, Need.status.in_(UNRESOLVED), Need.created_at <= as_of)
            .order_by(Need.created_at, Need.id).limit(limit))
    out = []
    for code, cat, status, created, responded in session.exec(stmt).all():
        due = created + need_limit(cat, limits)
        out.append(NeedRow(code, cat, status, created, due,
                           status == "open" and responded is None and due < as_of))
    return out


def grid_detail(*, session: Session, grid_id: int, as_of: datetime, visits: int = 10,
                needs: int = 20) -> GridDetail | None:
    """Everything the map's detail panel shows for grid ``grid_id`` at ``as_of`` (None: not a grid).

    The caller checks the grid lies inside the user's scope before calling."""
    g = session.get(OrgUnit, grid_id)
    if g is None or g.level != "grid":
        return None
    hours = sla_hours(session=session)
    hh = household_counts(session=session, grid_id=grid_id, as_of=as_of)
    n_open, n_over = need_counts(session=session, grid_id=grid_id, as_of=as_of)
    return GridDetail(
        grid_id=g.id, code=g.code, name_zh=g.name_zh, name_en=g.name_en,
        officers=grid_officers(session=session, grid_id=grid_id), households=hh,
        households_total=sum(hh.values()),
        visits=tuple(last_visits(session=session, grid_id=grid_id, as_of=as_of, limit=visits)),
        open_needs=n_open, overdue_needs=n_over,
        needs=tuple(open_needs(session=session, grid_id=grid_id, as_of=as_of,
                                limits=need_limits(session=session), limit=needs)),
        sla_hours=hours)
