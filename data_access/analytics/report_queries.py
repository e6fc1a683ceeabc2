"""Queries of the monthly report for one org unit and one month (issue 4, screen 5 报表); the
report itself (with its KPI table from ``metrics.service``) is assembled by ``metrics.report``.

Sections queried here (all aggregated in the database, nothing personal):
- Overdue needs at the *reference time* T = min(end of the month, as_of): needs counted by the
  KPIs (not withdrawn / duplicate), created more than the response limit (app_setting
  ``time_limits``: 48 h, a one-button alarm 5 min) before T and not responded to by T. A need belongs to the
  unit through the grid → community assignment valid in T's month (where it is at month end).
  Counts per direct child, and a list (oldest first, capped) with need code, category, grid,
  creation and due time and hours overdue — no household, address, resident or description.
- Milestones owned by the unit, an ancestor of it or a unit under it (or by nobody): those due
  in the month and those *late* at T (due before T's day and not done by then). The status shown
  is the status at T: done when done on/before T, late when past due and not done by T,
  otherwise the stored status (planned / in progress; a milestone finished or flagged after T
  counts as in progress at T).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from data_access.analytics import kpi_queries as q
from data_access.fieldwork.derive import month_end_time, month_of
from data_access.fieldwork.limits import DEFAULT_LIMITS, NEED_CATEGORY_TIER, need_limit
from data_access.fieldwork.models import Need
from data_access.org.models import OrgUnit
from data_access.programme.models import Milestone

N = Need.__table__
OU = OrgUnit.__table__
MS = Milestone.__table__
OVERDUE_LIMIT = 1000  # rows of the overdue list (the counts are always complete)


class UnknownMonth(ValueError):
    """Not a YYYY-MM month."""


@dataclass(frozen=True)
class OverdueCount:
    unit_code: str
    unit_name_zh: str
    unit_name_en: str | None
    n: int


@dataclass(frozen=True)
class OverdueNeed:
    code: str
    category: str
    grid_code: str
    grid_name_zh: str
    grid_name_en: str | None
    created_at: datetime
    due_at: datetime
    hours_overdue: float


@dataclass(frozen=True)
class MilestoneItem:
    code: str
    title_zh: str
    title_en: str
    due: date
    owner: str | None
    status: str  # at the reference time
    evidence: str | None
    due_in_month: bool
    late: bool


# --- months ----------------------------------------------------------------------------------

def month_label(m: int) -> str:
    return f"{m // 100:04d}-{m % 100:02d}"


def parse_month(s: str | None) -> int:
    """'YYYY-MM' → YYYYMM; raises UnknownMonth."""
    try:
        y, m = str(s).split("-")
        if len(y) != 4 or len(m) != 2 or not 1 <= int(m) <= 12:
            raise ValueError
        return int(y) * 100 + int(m)
    except ValueError:
        raise UnknownMonth(f"not a month: {s!r} (use YYYY-MM)") from None


def last_complete_month(today: date) -> int:
    """The month before ``today``'s month (the default month of the report)."""
    first = today.replace(day=1) - timedelta(days=1)
    return first.year * 100 + first.month


def reference_time(month: int, as_of: datetime) -> datetime:
    return min(month_end_time(month), as_of)


# --- sections --------------------------------------------------------------------------------

def overdue_needs(session: Session, unit: q.Unit, ref: datetime, limits: dict[str, timedelta] | None = None,
                  limit: int = OVERDUE_LIMIT) -> tuple[dict, list[OverdueNeed]]:
    """``({child key: n}, rows)`` of the needs overdue at ``ref`` under ``unit`` (see module doc);
    ``limits``: the tiers in force (a need's limit depends on its category)."""
    lim = limits or DEFAULT_LIMITS
    joins, cond, key = q.scope_joins(unit, N.c.grid_id, month_of(ref))
    # past the need tier's limit, or a category on a shorter tier (one-button alarms) past its own
    late = [N.c.created_at < ref - lim["need"]]
    for cat, tier in NEED_CATEGORY_TIER.items():
        late.append(and_(N.c.category == cat, N.c.created_at < ref - lim[tier]))
    where = and_(cond, N.c.counted, or_(*late), or_(N.c.responded_at.is_(None), N.c.responded_at > ref))
    counts = {k: int(n) for k, n in session.execute(
        select(key, func.count()).select_from(q.join_all(N, joins)).where(where).group_by(key))}
    g = OU.alias("g")
    # the overdue set first, then sorted: walking the created_at index in order and filtering
    # passed over a million answered needs at L (OFFSET 0 keeps the planner from merging the two)
    due = (select(N.c.id, N.c.code, N.c.category, N.c.created_at, N.c.grid_id)
           .select_from(q.join_all(N, joins)).where(where).offset(0).subquery("due"))
    stmt = (select(due.c.code, due.c.category, due.c.created_at, g.c.code, g.c.name_zh, g.c.name_en)
            .select_from(due.join(g, g.c.id == due.c.grid_id))
            .order_by(due.c.created_at, due.c.id).limit(limit))
    rows = []
    for code, cat, created, gcode, gzh, gen in session.execute(stmt):
        due = created + need_limit(cat, lim)
        rows.append(OverdueNeed(code, cat, gcode, gzh, gen, created, due,
                                round((ref - due).total_seconds() / 3600.0, 1)))
    return counts, rows


def _status_at(m, ref_day: date) -> tuple[str, bool]:
    done = m.status == "done" and (m.done_on is None or m.done_on <= ref_day)
    if done:
        return "done", False
    if m.due < ref_day:
        return "late", True
    return (m.status if m.status in ("planned", "in_progress") else "in_progress"), False


def milestones(session: Session, unit: q.Unit, month: int, ref: datetime) -> list[MilestoneItem]:
    """Milestones of the unit's line (owner at, above or below it) due in ``month`` or late at ``ref``."""
    m0, m1, ref_day = q.month_start(month), q.month_end(month), ref.date()
    stmt = (select(MS, OU.c.path.label("owner_path"))
            .select_from(MS.outerjoin(OU, OU.c.id == MS.c.owner_unit_id))
            .where(or_(and_(MS.c.due >= m0, MS.c.due <= m1), MS.c.due < ref_day))
            .order_by(MS.c.due, MS.c.code))
    out = []
    for r in session.execute(stmt):
        path = r.owner_path
        if path is not None and not (unit.path.startswith(path) or path.startswith(unit.path)):
            continue
        status, late = _status_at(r, ref_day)
        in_month = m0 <= r.due <= m1
        if not (in_month or late):
            continue
        out.append(MilestoneItem(r.code, r.title_zh, r.title_en, r.due, r.owner, status, r.evidence, in_month, late))
    return out
