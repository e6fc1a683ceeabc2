"""Derive the month-end lag list (seed 004 §7.4; indicators.md "Escalation and rectification").

For a finished month M: every district and station with a target on an indicator lags when
``gap / target > 0.15`` (direction-aware). Computed indicators come from ``metrics.service``
(the month M as the period, at ``now``; the city's call gives the districts, each district's call
its stations) and the rule is ``definitions.lags``; monthly *reported* indicators are checked in
the database (``data_access.programme.lag.reported_candidates``). The month is stored with
``data_access.programme.lag.store_month`` (entries with actions survive a re-derivation).

``python -m metrics derive-lag --month YYYY-MM`` runs it from the command line (e.g. from cron on
the first of each month); leaders can also run it from the 滞后与整改 screen.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from data_access.analytics import kpi_queries as q
from data_access.programme import lag as store

from . import definitions as d
from .service import compute_kpis


def computed_candidates(session: Session, *, month: int, now: datetime) -> list[store.LagRow]:
    """Districts and stations lagging on a computed indicator in ``month`` (values at ``now``)."""
    label = store.month_label(month)
    out: list[store.LagRow] = []
    for city in _cities(session):
        rows = compute_kpis(session, unit_code=city.code, period=label, as_of=now, children=True)
        districts = [k for k in rows if not k.is_self and k.unit_level in store.LEVELS]
        out += _lagging(session, districts)
        for dist in q.children(session, city):
            if dist.level != "district":
                continue
            kids = compute_kpis(session, unit_code=dist.code, period=label, as_of=now, children=True)
            out += _lagging(session, [k for k in kids if not k.is_self and k.unit_level in store.LEVELS])
    return out


def _cities(session: Session) -> list[q.Unit]:
    from sqlalchemy import select

    from data_access.org.models import OrgUnit

    codes = session.execute(select(OrgUnit.code).where(OrgUnit.level == "city").order_by(OrgUnit.code)).scalars()
    return [u for c in codes if (u := q.get_unit(session, c)) is not None]


def _lagging(session: Session, kpis) -> list[store.LagRow]:
    out = []
    for k in kpis:
        if k.indicator == "assessment_score" or k.value is None or k.target is None:
            continue
        if d.lags(k.target, k.value, k.direction):
            unit = q.get_unit(session, k.unit_code)
            out.append(store.LagRow(unit.id, k.indicator, float(k.value), float(k.target),
                                    float(d.gap(k.target, k.value, k.direction)),
                                    float(d.lag_share(k.target, k.value, k.direction))))
    return out


def derive_lag(session: Session, *, user, month: int, now: datetime) -> dict[str, int]:
    """Derive and store the lag list of ``month`` (a finished month); returns the counts stored."""
    rows = computed_candidates(session, month=month, now=now)
    rows += store.reported_candidates(session=session, month=month, as_of=now)
    return store.store_month(session=session, user=user, month=month, rows=rows, now=now)
