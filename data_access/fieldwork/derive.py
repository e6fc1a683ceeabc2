"""Derived columns and record-level rules, computed in one place for every write path
(app services, import, demo generator, rollup rebuild).

The definitions follow ``shared/spec/indicators.md``; each function names the rule it encodes.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from data_access.core.errors import RecordError

NEED_SLA = timedelta(hours=48)  # the longest need limit (the need tier; a one-button alarm: 5 min)
ENTRY_LIMIT = timedelta(hours=24)
APPOINTMENT_LEAD = timedelta(hours=24)
NIGHT_START = time(20, 0)
NIGHT_END = time(7, 0)


EARLIEST_EVENT = date(2000, 1, 1)  # no visit, need, check or complaint of this programme is older
EARLIEST_REGISTRATION = date(1900, 1, 1)  # a household's registration date
CLOCK_SKEW = timedelta(minutes=5)  # a device clock a little ahead is not "the future"


def when_problem(value: date | datetime, now: datetime, earliest: date = EARLIEST_EVENT) -> str | None:
    """The one rule for when something can have happened, for the forms and the import alike:
    "future" (after ``now``, beyond a few minutes of clock skew), "too_early" (before ``earliest``)
    or None."""
    if isinstance(value, datetime):
        if value > now + CLOCK_SKEW:
            return "future"
        day = value.date()
    else:
        if value > now.date():
            return "future"
        day = value
    return "too_early" if day < earliest else None


def month_of(d: date | datetime | None) -> int | None:
    """YYYYMM of a date or datetime."""
    return None if d is None else d.year * 100 + d.month


def week_of(d: date | datetime) -> int:
    """ISO year × 100 + ISO week."""
    y, w, _ = d.isocalendar()
    return y * 100 + w


def is_night(visited_at: datetime, start: time = NIGHT_START, end: time = NIGHT_END) -> bool:
    """Night visit: local start time at or after 20:00 or before 07:00 (window configurable)."""
    t = visited_at.time()
    if start > end:  # window crosses midnight
        return t >= start or t < end
    return start <= t < end


def derive_visit(v, night_start: time = NIGHT_START, night_end: time = NIGHT_END) -> None:
    """Fill month/week/night/compliance columns of a Visit and check its times."""
    if v.entered_at is not None and v.entered_at < v.visited_at:
        raise RecordError("entered_at", "entry time is before the visit time")
    if v.appointment_made_at is not None and v.appointment_made_at > v.visited_at:
        raise RecordError("appointment_made_at", "appointment is after the visit time")
    if v.satisfaction is not None and not 1 <= int(v.satisfaction) <= 5:
        raise RecordError("satisfaction", "must be 1–5")
    v.month = month_of(v.visited_at)
    v.week = week_of(v.visited_at)
    v.is_night = is_night(v.visited_at, night_start, night_end)
    v.night_ok = bool(
        v.is_night
        and v.appointment_made_at is not None
        and v.visited_at - v.appointment_made_at >= APPOINTMENT_LEAD
    )
    # process compliance: ID shown AND body camera on AND entered within 24 h (unknown = no)
    v.compliant = bool(
        v.id_shown
        and v.bodycam_on
        and v.entered_at is not None
        and v.entered_at - v.visited_at <= ENTRY_LIMIT
    )
    v.compliant_month = month_of(v.entered_at) if v.compliant else None


def derive_need(n, limits: dict[str, timedelta] | None = None) -> None:
    """Fill counted/resolution/response-limit columns of a Need and check its times.

    The limit is the need tier's (48 h), or the emergency tier's (5 min) for a one-button alarm
    (``fieldwork.limits.need_limit``); ``limits``: the tiers in force (default: the plans')."""
    from data_access.fieldwork.limits import need_limit
    from data_access.fieldwork.models import NEED_EXCLUDED, NEED_RESOLVED, NEED_STATUSES

    if n.status not in NEED_STATUSES:
        raise RecordError("status", f"unknown status {n.status!r}")
    if n.responded_at is not None and n.responded_at < n.created_at:
        raise RecordError("responded_at", "response is before creation")
    if n.resolved_at is not None and n.resolved_at < n.created_at:
        raise RecordError("resolved_at", "resolution is before creation")
    n.counted = n.status not in NEED_EXCLUDED
    n.created_month = month_of(n.created_at)
    resolved = n.counted and n.status in NEED_RESOLVED and n.resolved_at is not None
    n.resolved_month = month_of(n.resolved_at) if resolved else None
    limit = need_limit(getattr(n, "category", None), limits)
    deadline = n.created_at + limit
    due = n.responded_at if (n.responded_at is not None and n.responded_at < deadline) else deadline
    n.sla_due_at = due
    n.sla_due_month = month_of(due)
    n.sla_ok = n.responded_at is not None and n.responded_at - n.created_at <= limit
    n.sla_ok_month = month_of(n.responded_at) if n.sla_ok else None


def derive_check(c, household_category: str) -> None:
    c.month = month_of(c.checked_on)
    c.is_rental = household_category == "rental"
    if c.fields_checked is not None and c.fields_wrong is not None and c.fields_wrong > c.fields_checked:
        raise RecordError("fields_wrong", "more wrong fields than checked fields")


def derive_household(h) -> None:
    h.registered_month = month_of(h.registered_on) or 0


# --- rollup contributions of single records: (grid_id, period_month, event_month, metric) ----

Contribution = tuple[int, int, int, str]


def visit_contributions(v) -> list[Contribution]:
    out: list[Contribution] = [(v.grid_id, v.month, v.month, "visits")]
    if v.compliant:
        out.append((v.grid_id, v.month, v.compliant_month, "visits_ok"))
    if v.is_night:
        out.append((v.grid_id, v.month, v.month, "night"))
        if v.night_ok:
            out.append((v.grid_id, v.month, v.month, "night_ok"))
    if v.satisfaction is not None:
        out.append((v.grid_id, v.month, v.month, "ratings"))
        if v.satisfaction >= 4:
            out.append((v.grid_id, v.month, v.month, "ratings_pos"))
    return out


def need_contributions(n) -> list[Contribution]:
    if not n.counted:
        return []
    g, p = n.grid_id, n.created_month
    out: list[Contribution] = [(g, p, p, "needs"), (g, p, n.sla_due_month, "needs_sla_due")]
    if n.resolved_month is not None:
        out.append((g, p, n.resolved_month, "needs_resolved"))
    if n.sla_ok:
        out.append((g, p, n.sla_ok_month, "needs_sla_ok"))
    return out


def _case_contributions(grid_id: int, period: int, prefix: str, due: datetime, done: datetime | None) -> list[Contribution]:
    """A time-limited case (indicators.md "Time-limited work"): it counts in the set from
    ``min(due, done)`` on (its limit passed or it was answered), in time from ``done`` when
    ``done ≤ due``."""
    first = done if done is not None and done < due else due
    out: list[Contribution] = [(grid_id, period, month_of(first), f"{prefix}_due")]
    if done is not None and done <= due:
        out.append((grid_id, period, month_of(done), f"{prefix}_ok"))
    return out


def event_contributions(e) -> list[Contribution]:
    """``ev_<tier>_due`` / ``ev_<tier>_ok`` of a grid event (none when withdrawn or a duplicate)."""
    if e.status in ("withdrawn", "duplicate"):
        return []
    return _case_contributions(e.grid_id, e.created_month, f"ev_{e.tier}", e.due_at, e.responded_at)


def hazard_contributions(h) -> list[Contribution]:
    """``hz_<level>_due`` / ``hz_<level>_ok`` of a hazard (none when withdrawn)."""
    if h.status == "withdrawn":
        return []
    return _case_contributions(h.grid_id, h.found_month, f"hz_{h.level}", h.due_at, h.rectified_at)


def check_contributions(c) -> list[Contribution]:
    out: list[Contribution] = [(c.grid_id, c.month, c.month, "checks")]
    if c.accurate:
        out.append((c.grid_id, c.month, c.month, "checks_ok"))
    if c.is_rental:
        out.append((c.grid_id, c.month, c.month, "rental_checks"))
        if c.accurate:
            out.append((c.grid_id, c.month, c.month, "rental_checks_ok"))
    return out


# Households registered before this month are counted in the ``households`` rollup as if registered
# in it: the stock before the programme's baseline year is one row per grid instead of one per grid
# and registration month since 2008 (2M rows at L instead of 0.36M). Stock at an earlier month is
# counted from the household table (kpi_queries.household_stock).
STOCK_FLOOR = 202301


def stock_month(registered_month: int) -> int:
    return max(registered_month, STOCK_FLOOR)


def household_contributions(h) -> list[Contribution]:
    m = stock_month(h.registered_month)
    return [(h.grid_id, m, m, "households")]


def end_of_day(d: date) -> datetime:
    return datetime.combine(d, time.max)


def month_start(m: int) -> date:
    return date(m // 100, m % 100, 1)


def month_end(m: int) -> date:
    y, mo = divmod(m, 100)
    nxt = date(y + (mo == 12), mo % 12 + 1, 1)
    return nxt - timedelta(days=1)


def month_end_time(m: int) -> datetime:
    """The last instant of month ``m`` (YYYYMM)."""
    return end_of_day(month_end(m))
