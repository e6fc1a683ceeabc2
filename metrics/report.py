"""The monthly report for one org unit and one month (screen 报表): the KPI table of every
registry indicator for the month — computed (``metrics.service.compute_kpis``) and reported
(``metrics.reported.compute_reported``: the latest period of its type ending in the month) — for
the unit and each direct child (the children's rows make the gap table), plus the overdue needs and milestones that
``data_access.analytics.report_queries`` selects at the reference time
T = min(end of the month, as_of).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from data_access.analytics import kpi_queries as q
from data_access.analytics.report_queries import (
    MilestoneItem,
    OverdueCount,
    OverdueNeed,
    milestones,
    month_label,
    overdue_needs,
    reference_time,
)
from data_access.fieldwork.needs import need_limits as _need_limits
from data_access.fieldwork.needs import sla_hours as _sla_hours
from metrics.reported import compute_all
from metrics.service import to_as_of


@dataclass(frozen=True)
class ReportData:
    unit: q.Unit
    month: int  # YYYYMM
    as_of: datetime
    ref: datetime  # min(end of month, as_of): the time the overdue needs and milestones are judged at
    kpis: tuple  # metrics.service.Kpi rows: the unit first, then each direct child (computed, then reported)
    children: tuple[q.Unit, ...]
    overdue_total: int
    overdue_by_child: tuple[OverdueCount, ...]
    overdue: tuple[OverdueNeed, ...]  # at most OVERDUE_LIMIT rows, most overdue first
    milestones: tuple[MilestoneItem, ...]
    sla_hours: float

    @property
    def period(self) -> str:
        return month_label(self.month)

    @property
    def overdue_truncated(self) -> bool:
        return self.overdue_total > len(self.overdue)


def monthly_report(session: Session, *, unit_code: str, month: int, as_of: date | datetime,
                   parallel: bool = False) -> ReportData:
    """Everything the monthly report shows for ``unit_code`` and ``month`` (YYYYMM) at ``as_of``
    (``parallel``: as ``compute_all``'s, for the screen's read-only loader).

    Raises ``metrics.service.UnknownUnit`` for an unknown unit.
    """
    as_of = to_as_of(as_of)
    kpis = compute_all(session, unit_code=unit_code, period=month_label(month), as_of=as_of, children=True,
                       parallel=parallel)
    unit = q.get_unit(session, unit_code)
    kids = q.children(session, unit)
    ref = reference_time(month, as_of)
    sla = _sla_hours(session=session)
    if q.month_start(month) > as_of.date():  # the month has not begun: nothing can be overdue or due yet
        counts, rows, ms = {}, [], []
    else:
        counts, rows = overdue_needs(session, unit, ref, _need_limits(session=session))
        ms = milestones(session, unit, month, ref)
    by_child = tuple(OverdueCount(c.code, c.name_zh, c.name_en, counts.get(c.id, 0)) for c in kids)
    return ReportData(unit=unit, month=month, as_of=as_of, ref=ref, kpis=tuple(kpis), children=tuple(kids),
                      overdue_total=sum(counts.values()), overdue_by_child=by_child, overdue=tuple(rows),
                      milestones=tuple(ms), sla_hours=sla)
