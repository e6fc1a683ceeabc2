"""Milestones (list, update with optimistic locking, audited) and the pilot-vs-rest monthly counts.

Milestones are the dated rows of ``milestone`` (seeded from the plans, edited by coordinators).
``update`` changes status/evidence only if the row is still at the version the editor read
(``version`` column), else :class:`ConcurrentEdit`; every update writes an audit row
``milestone.update`` in the same transaction.

``pilot_monthly_counts`` aggregates the count rollups in the database per month and group:
a grid belongs to the *pilot* group when the district of its community (through the
grid → community assignment valid in the record's month) has the ``pilot`` flag.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy import update as sql_update
from sqlmodel import Session

from data_access.analytics.models import UnitRollup
from data_access.core import audit
from data_access.core.clock import today_local
from data_access.core.errors import ConcurrentEdit, NotFound, ValidationError
from data_access.core.versioning import check_version
from data_access.org.models import OrgUnit
from data_access.programme.models import Milestone

EDITABLE_STATUSES = ("planned", "in_progress", "done")
EVIDENCE_MAX = 2000
PILOT, REST = "pilot", "rest"

# indicator → (numerator metric, denominator metric) compared between pilot and rest
PILOT_INDICATORS = {
    "info_accuracy": ("checks_ok", "checks"),
    "need_resolution": ("needs_resolved", "needs"),
    "satisfaction": ("ratings_pos", "ratings"),
}

_LEVEL_COL = {"city": "city_id", "district": "district_id", "station": "station_id", "community": "community_id"}

__all__ = ["ConcurrentEdit", "MilestoneRow", "list_milestones", "update", "source_plan", "pilot_monthly_counts",
           "scope_groups", "EDITABLE_STATUSES", "PILOT", "REST", "PILOT_INDICATORS"]


@dataclass(frozen=True)
class MilestoneRow:
    id: int
    code: str
    title_zh: str
    title_en: str
    due: date
    owner: str | None
    status: str  # as stored (planned / in_progress / done); "late" is derived by the screens
    evidence: str | None
    source: str | None
    note: str | None
    done_on: date | None
    version: int

    @property
    def plan(self) -> str | None:
        return source_plan(self.source)


def source_plan(source: str | None) -> str | None:
    """The plan a milestone comes from: the first word of its source ("seed-000 §8.1" → "seed-000")."""
    if not source:
        return None
    return source.split()[0]


def _row(m: Milestone) -> MilestoneRow:
    return MilestoneRow(m.id, m.code, m.title_zh, m.title_en, m.due, m.owner, m.status, m.evidence, m.source,
                        m.note, m.done_on, m.version)


def list_milestones(*, session: Session) -> list[MilestoneRow]:
    """Every milestone by due date, then code."""
    rows = session.execute(select(Milestone).order_by(Milestone.due, Milestone.code)).scalars().all()
    return [_row(m) for m in rows]


def update(session: Session, milestone_id: int, expected_version: int, username: str, status: str,
           evidence: str | None, *, today: date | None = None) -> MilestoneRow:
    """Set status (planned / in_progress / done) and evidence if the milestone is still at
    ``expected_version``; raises ValidationError, NotFound or ConcurrentEdit (nothing written).
    ``done_on`` is set to today when the status becomes done and cleared when it leaves done."""
    if status not in EDITABLE_STATUSES:
        raise ValidationError("status", "choice", {"options": ", ".join(EDITABLE_STATUSES)})
    evidence = (evidence or "").strip() or None
    if evidence is not None and len(evidence) > EVIDENCE_MAX:
        raise ValidationError("evidence", "too_long", {"max": EVIDENCE_MAX, "length": len(evidence)})
    m = session.get(Milestone, milestone_id)
    if m is None:
        raise NotFound(f"milestone {milestone_id}")
    check_version(session, m, expected_version, "milestone")
    before = {"status": m.status, "evidence": m.evidence}
    if status == "done":
        done_on = m.done_on if m.status == "done" and m.done_on else (today or today_local())
    else:
        done_on = None
    res = session.execute(sql_update(Milestone)
                          .where(Milestone.id == milestone_id, Milestone.version == expected_version)
                          .values(status=status, evidence=evidence, done_on=done_on, version=expected_version + 1))
    if res.rowcount != 1:
        raise ConcurrentEdit("milestone changed by someone else")
    session.refresh(m)
    audit.write(session, username, "milestone.update", "milestone", m.code,
                {"status": status, "status_before": before["status"], "version": m.version,
                 "evidence_changed": before["evidence"] != evidence})
    return _row(m)


# --- pilot vs rest -------------------------------------------------------------------------------

def scope_groups(*, session: Session, scope_code: str) -> set[str]:
    """Which groups (pilot / rest) have districts inside the unit ``scope_code`` (a grid: its district)."""
    ou = OrgUnit.__table__
    scope = session.execute(select(ou).where(ou.c.code == scope_code)).first()
    if scope is None:
        return set()
    d = ou.alias("d")
    u = ou.alias("u")
    col = "id" if scope.level == "grid" else _LEVEL_COL[scope.level]
    stmt = (select(d.c.pilot).distinct().select_from(u.join(d, d.c.id == u.c.district_id))
            .where(u.c[col] == scope.id, u.c.district_id.is_not(None)))
    return {PILOT if p else REST for (p,) in session.execute(stmt)}


def pilot_monthly_counts(*, session: Session, scope_code: str, m0: int, m1: int, before_month: int,
                         metrics=None) -> list[tuple[int, str, str, int]]:
    """``[(YYYYMM, group, metric, n)]`` summed over the grids inside ``scope_code`` (city, district,
    station or community) for period months ``m0..m1``, from the rollups only, counting records
    whose event month is before ``before_month`` (e.g. the as_of month: complete months only).
    ``group`` is ``"pilot"`` or ``"rest"`` by the pilot flag of the grid's district at that month."""
    metrics = tuple(metrics or sorted({m for pair in PILOT_INDICATORS.values() for m in pair}))
    ou = OrgUnit.__table__
    scope = session.execute(select(ou).where(ou.c.code == scope_code)).first()
    if scope is None or scope.level == "grid":
        return []
    r = UnitRollup.__table__  # per unit, mapped through the grid assignments of each month
    u = ou.alias("u")
    d = ou.alias("d")
    src = r.join(u, u.c.id == r.c.unit_id).join(d, d.c.id == u.c.district_id)
    # the city: its districts' rows; a district, station or community: its own rows
    own = u.c.parent_id == scope.id if scope.level == "city" else u.c.id == scope.id
    stmt = (select(r.c.period_month, d.c.pilot, r.c.metric, func.sum(r.c.n))
            .select_from(src)
            .where(own, r.c.period_month >= m0, r.c.period_month <= m1,
                   r.c.event_month < before_month, r.c.metric.in_(metrics))
            .group_by(r.c.period_month, d.c.pilot, r.c.metric)
            .order_by(r.c.period_month, d.c.pilot, r.c.metric))
    return [(int(m), PILOT if p else REST, metric, int(n)) for m, p, metric, n in session.execute(stmt) if n]
