"""Data entry of reported indicators (数据填报, DHIS2-style aggregate data sets).

A *data set* is one plan ("seed-001" … "seed-004"): its reported indicators. A value is entered
for one indicator × unit (at the indicator's entry level) × period ("2025-03", "2025Q1", "2025").
Rules (``shared/spec/indicators.md`` "Reported indicators"):

- validation before writing: a finite number; percent 0–100, everything else ≥ 0; the admin's
  min–max of the indicator; a *warning* (not an error) for a value outside mean ± 3 sd of the
  unit's last 12 periods (sd at least 5 % of the mean; needs 3 earlier values);
- a period locks ``report_lock_days`` (setting, default 15) after it ends; an admin may reopen one
  unit × period with a reason for ``report_reopen_days``; an import is not subject to the lock;
- corrections keep their history (``reported_value_change``: who, when, old → new, reason) and
  every write is audited; edits carry the version the form showed (optimistic locking);
- where the indicator needs approval, a user whose scope lies strictly above the unit approves
  or returns it with a comment (shown to the enterer); approved values are locked;
- completeness = reports entered / reports expected (units at the entry level in U × periods of
  P ended by as_of); timeliness = reports entered within ``report_timely_days`` of the period
  end / reports expected. Counted in the database.

Services take a keyword-only ``session`` and never commit.
"""
from __future__ import annotations

import math
import re
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy import update as sql_update
from sqlmodel import Session

from data_access.core import audit
from data_access.core.clock import now_local
from data_access.core.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationError
from data_access.core.models import Setting
from data_access.org.models import LEVELS, OrgUnit
from data_access.org.scope import Actor, actor_of, require_role, unit_in_scope
from data_access.programme.models import Indicator, ReportedValue, ReportedValueChange, ReportReopen

ENTRY_ROLES = ("admin", "city_leader", "district_leader", "coordinator")
REVIEW_ROLES = ("admin", "city_leader", "district_leader")
DEFAULTS = {"report_lock_days": 15, "report_timely_days": 10, "report_reopen_days": 7}
NOTE_MAX = 1000
HISTORY_PERIODS = 12
OUTLIER_SD = 3.0
_LEVEL_COL = {"city": "city_id", "district": "district_id", "station": "station_id", "community": "community_id"}
_PERIOD = {"month": re.compile(r"^(\d{4})-(\d{2})$"), "quarter": re.compile(r"^(\d{4})Q([1-4])$"),
           "year": re.compile(r"^(\d{4})$")}


# --- periods ---------------------------------------------------------------------------------

def period_type_of(period: str) -> str | None:
    """"2025-03" → month, "2025Q1" → quarter, "2025" → year; None if malformed."""
    for kind, rx in _PERIOD.items():
        m = rx.match(period or "")
        if m and (kind != "month" or 1 <= int(m.group(2)) <= 12):
            return kind
    return None


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a period; ValidationError("period", "format") when malformed."""
    kind = period_type_of(period)
    if kind is None:
        raise ValidationError("period", "format")
    y = int(period[:4])
    if kind == "year":
        return date(y, 1, 1), date(y, 12, 31)
    if kind == "quarter":
        q = int(period[5])
        m0, m1 = 3 * q - 2, 3 * q
    else:
        m0 = m1 = int(period[5:7])
    return date(y, m0, 1), date(y, m1, monthrange(y, m1)[1])


def period_of(day: date, period_type: str) -> str:
    """The period of ``period_type`` holding ``day``."""
    if period_type == "year":
        return f"{day.year}"
    if period_type == "quarter":
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def previous_period(period: str) -> str:
    start, _ = period_bounds(period)
    return period_of(start - timedelta(days=1), period_type_of(period))


def periods_between(start: date, end: date, period_type: str, ended_by: date | None = None) -> list[str]:
    """Periods lying wholly in [start, end] (and ended by ``ended_by``), oldest first."""
    out = []
    p = period_of(start, period_type)
    while True:
        p0, p1 = period_bounds(p)
        if p1 > end or (ended_by is not None and p1 > ended_by):
            break
        if p0 >= start:
            out.append(p)
        p = period_of(p1 + timedelta(days=1), period_type)
    return out


def ended_by(as_of: datetime) -> date:
    """The last period end that has passed at ``as_of`` (a date-only as_of is the end of that day)."""
    return as_of.date() if as_of.time() == time.max else as_of.date() - timedelta(days=1)


def periods_ending(start: date, end: date, period_type: str, ended: date) -> list[str]:
    """Periods whose last day lies in [start, end] and not after ``ended``, oldest first (a quarter
    ending in March belongs to the month period 'YYYY-03')."""
    out = []
    p = period_of(start, period_type)
    while True:
        p1 = period_bounds(p)[1]
        if p1 > end or p1 > ended:
            break
        if p1 >= start:
            out.append(p)
        p = period_of(p1 + timedelta(days=1), period_type)
    return out


# --- settings, units, locks ----------------------------------------------------------------------

@dataclass(frozen=True)
class ReportSettings:
    lock_days: int
    timely_days: int
    reopen_days: int


def report_settings(*, session: Session) -> ReportSettings:
    import json

    vals = dict(DEFAULTS)
    for key, raw in session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(list(DEFAULTS)))):
        try:
            vals[key] = int(json.loads(raw))
        except (TypeError, ValueError):
            pass
    return ReportSettings(vals["report_lock_days"], vals["report_timely_days"], vals["report_reopen_days"])


def lock_date(period: str, settings: ReportSettings) -> date:
    """Last day on which the period can still be entered or corrected without a reopen."""
    return period_bounds(period)[1] + timedelta(days=settings.lock_days)


def _indicator(session: Session, code: str) -> Indicator:
    ind = session.get(Indicator, code)
    if ind is None or ind.kind != "reported":
        raise NotFound(f"reported indicator {code!r}")
    return ind


def _unit(session: Session, unit: int | str | OrgUnit) -> OrgUnit:
    if isinstance(unit, OrgUnit):
        return unit
    row = (session.get(OrgUnit, unit) if isinstance(unit, int)
           else session.execute(select(OrgUnit).where(OrgUnit.code == unit)).scalar_one_or_none())
    if row is None:
        raise NotFound(f"org unit {unit!r}")
    return row


def _is_pilot(session: Session, unit: OrgUnit) -> bool:
    if unit.district_id is None:
        return False
    district = session.get(OrgUnit, unit.district_id)
    return bool(district and district.pilot)


def reopened_until(*, session: Session, unit_id: int, period: str) -> date | None:
    """The latest reopen date of one unit × period (None: never reopened)."""
    return session.execute(select(func.max(ReportReopen.until)).where(
        ReportReopen.org_unit_id == unit_id, ReportReopen.period == period)).scalar_one_or_none()


def is_locked(*, session: Session, unit_id: int, period: str, today: date,
              settings: ReportSettings | None = None) -> bool:
    settings = settings or report_settings(session=session)
    if today <= lock_date(period, settings):
        return False
    until = reopened_until(session=session, unit_id=unit_id, period=period)
    return until is None or today > until


# --- validation ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class EntryWarning:
    code: str
    params: dict


def parse_value(raw) -> float:
    """A finite number from a number or a string ("12.5", "12,5"); ValidationError otherwise."""
    if isinstance(raw, bool) or raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationError("value", "required")
    try:
        v = float(raw.strip().replace(",", ".")) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise ValidationError("value", "type", {"expected": "number"}) from None
    if not math.isfinite(v):
        raise ValidationError("value", "type", {"expected": "number"})
    return v


def check_range(ind: Indicator, value: float) -> None:
    """Percent 0–100, other units ≥ 0, then the admin's min–max of the indicator."""
    lo, hi = (0.0, 100.0) if ind.unit == "%" else (0.0, None)
    if ind.min_value is not None:
        lo = max(lo, ind.min_value)
    if ind.max_value is not None:
        hi = ind.max_value if hi is None else min(hi, ind.max_value)
    if hi is None and value < lo:
        raise ValidationError("value", "range_min", {"min": lo})
    if value < lo or (hi is not None and value > hi):
        raise ValidationError("value", "range", {"min": lo, "max": hi})


def history(*, session: Session, indicator_code: str, unit_id: int, before: str, n: int = HISTORY_PERIODS
            ) -> list[float]:
    """The unit's values of the ``n`` periods before ``before`` (newest first)."""
    end = period_bounds(before)[0]
    rows = session.execute(select(ReportedValue.value).where(
        ReportedValue.indicator_code == indicator_code, ReportedValue.org_unit_id == unit_id,
        ReportedValue.period_end < end).order_by(ReportedValue.period_end.desc()).limit(n)).scalars().all()
    return [float(v) for v in rows]


def outlier_warning(value: float, previous: list[float]) -> EntryWarning | None:
    """Outside mean ± 3 sd of the earlier values (population sd, at least 5 % of |mean|; ≥ 3 values)."""
    if len(previous) < 3:
        return None
    mean = sum(previous) / len(previous)
    sd = math.sqrt(sum((x - mean) ** 2 for x in previous) / len(previous))
    sd = max(sd, 0.05 * abs(mean), 1e-9)
    low, high = mean - OUTLIER_SD * sd, mean + OUTLIER_SD * sd
    if low <= value <= high:
        return None
    return EntryWarning("outlier", {"low": round(low, 2), "high": round(high, 2), "n": len(previous)})


def validate(*, session: Session, indicator_code: str, unit_id: int, period: str, raw_value) -> tuple[float, list[EntryWarning]]:
    """The parsed value and its warnings; ValidationError for a value that cannot be saved."""
    ind = _indicator(session, indicator_code)
    if period_type_of(period) != ind.period_type:
        raise ValidationError("period", "format")
    value = parse_value(raw_value)
    check_range(ind, value)
    w = outlier_warning(value, history(session=session, indicator_code=indicator_code, unit_id=unit_id, before=period))
    return value, [w] if w else []


# --- entry, correction, import ---------------------------------------------------------------------

@dataclass(frozen=True)
class ValueRow:
    id: int
    indicator_code: str
    unit_id: int
    period: str
    value: float
    note: str | None
    status: str
    origin: str
    entered_by: str | None
    entered_at: datetime | None
    reviewed_by: str | None
    review_comment: str | None
    version: int


def _row(v: ReportedValue) -> ValueRow:
    return ValueRow(v.id, v.indicator_code, v.org_unit_id, v.period, v.value, v.note, v.status, v.origin,
                    v.entered_by, v.entered_at, v.reviewed_by, v.review_comment, v.version)


def _clean(text: str | None, field: str, required: bool = False) -> str | None:
    text = (text or "").strip() or None
    if text is None and required:
        raise ValidationError(field, "required")
    if text is not None and len(text) > NOTE_MAX:
        raise ValidationError(field, "too_long", {"max": NOTE_MAX, "length": len(text)})
    return text


def _change(session: Session, v: ReportedValue, username: str, action: str, at: datetime, old: float | None,
            new: float | None, reason: str | None) -> None:
    session.add(ReportedValueChange(reported_value_id=v.id, at=at, username=username, action=action,
                                    old_value=old, new_value=new, reason=reason))


def can_enter(session: Session, actor: Actor, ind: Indicator, unit: OrgUnit) -> None:
    """Role, scope, entry level and the pilot rule for entering ``ind`` for ``unit``."""
    require_role(actor, "reported.enter", ENTRY_ROLES)
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("reported.enter", "scope")
    if unit.level != (ind.entry_level or "district"):
        raise ValidationError("unit", "level_for_indicator", {"level": ind.entry_level})
    if ind.pilot_only and not _is_pilot(session, unit):
        raise ValidationError("unit", "pilot_only")


def _find(session: Session, code: str, unit_id: int, period: str) -> ReportedValue | None:
    return session.execute(select(ReportedValue).where(
        ReportedValue.indicator_code == code, ReportedValue.org_unit_id == unit_id,
        ReportedValue.period == period)).scalar_one_or_none()


def enter(*, session: Session, user, indicator_code: str, unit: int | str, period: str, value, note: str | None = None,
          expected_version: int | None = None, reason: str | None = None, now: datetime | None = None) -> ValueRow:
    """Enter (``expected_version`` None) or correct (the version the form showed, with a reason) one value.

    Refuses (nothing written): ValidationError (value, range, period not ended / locked, approved,
    reason missing), PermissionDenied (role / scope), ConcurrentEdit (someone saved first). Entering
    the same value twice (a double click) returns the stored row and writes nothing."""
    now = now or now_local()
    actor = actor_of(session=session, user=user)
    ind = _indicator(session, indicator_code)
    u = _unit(session, unit)
    can_enter(session, actor, ind, u)
    parsed, _warnings = validate(session=session, indicator_code=indicator_code, unit_id=u.id, period=period,
                                 raw_value=value)
    note = _clean(note, "note")
    p_end = period_bounds(period)[1]
    if p_end >= now.date():
        raise ValidationError("period", "not_ended")
    settings = report_settings(session=session)
    if is_locked(session=session, unit_id=u.id, period=period, today=now.date(), settings=settings):
        raise ValidationError("period", "period_locked", {"date": lock_date(period, settings).isoformat()})
    existing = _find(session, indicator_code, u.id, period)
    if existing is None:
        if expected_version is not None:
            raise ConcurrentEdit("reported value removed")
        v = ReportedValue(indicator_code=indicator_code, org_unit_id=u.id, period=period, period_end=p_end,
                          value=parsed, note=note, status="entered", origin="entry", entered_by=actor.username,
                          entered_at=now, updated_by=actor.username, updated_at=now, version=1)
        session.add(v)
        session.flush()
        _change(session, v, actor.username, "enter", now, None, parsed, None)
        audit.write(session, actor.username, "reported.enter", "reported_value", v.id,
                    {"indicator": indicator_code, "unit": u.code, "period": period, "value": parsed}, at=now)
        return _row(v)
    if expected_version is None:
        if existing.value == parsed and existing.note == note and existing.entered_by == actor.username:
            return _row(existing)  # the same form submitted twice
        raise ConcurrentEdit("reported value entered by someone else")
    if existing.status == "approved":
        raise ValidationError("value", "approved_locked")
    reason = _clean(reason, "reason", required=True)
    old = existing.value
    res = session.execute(sql_update(ReportedValue).where(
        ReportedValue.id == existing.id, ReportedValue.version == expected_version).values(
        value=parsed, note=note, status="entered", updated_by=actor.username, updated_at=now,
        version=expected_version + 1))
    if res.rowcount != 1:
        raise ConcurrentEdit("reported value changed by someone else")
    session.refresh(existing)
    _change(session, existing, actor.username, "correct", now, old, parsed, reason)
    audit.write(session, actor.username, "reported.correct", "reported_value", existing.id,
                {"indicator": indicator_code, "unit": u.code, "period": period, "old": old, "new": parsed,
                 "reason": reason, "version": existing.version}, at=now)
    return _row(existing)


@dataclass(frozen=True)
class ImportRow:
    indicator_code: str
    unit_code: str
    period: str
    value: float
    note: str | None = None
    entered_at: datetime | None = None


def import_values(*, session: Session, username: str, rows: Iterable[ImportRow], now: datetime | None = None,
                  source: str = "reported_values.csv") -> int:
    """Historical values (not subject to the lock; the caller validated the rows): insert or
    overwrite, each change in the history, one audit row for the import. Returns rows written."""
    now = now or now_local()
    units = dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())
    n = 0
    for r in rows:
        unit_id = units[r.unit_code]
        at = r.entered_at or now
        v = _find(session, r.indicator_code, unit_id, r.period)
        if v is None:
            v = ReportedValue(indicator_code=r.indicator_code, org_unit_id=unit_id, period=r.period,
                              period_end=period_bounds(r.period)[1], value=r.value, note=r.note, status="entered",
                              origin="import", entered_by=username, entered_at=at, updated_by=username,
                              updated_at=now, version=1)
            session.add(v)
            session.flush()
            _change(session, v, username, "import", now, None, r.value, source)
        elif (v.value, v.note) != (r.value, r.note):
            old = v.value
            v.value, v.note, v.updated_by, v.updated_at, v.version = r.value, r.note, username, now, v.version + 1
            session.flush()
            _change(session, v, username, "import", now, old, r.value, source)
        else:
            continue
        n += 1
    audit.write(session, username, "reported.import", "reported_value", None, {"rows": n, "source": source}, at=now)
    return n


def reopen(*, session: Session, user, unit: int | str, period: str, reason: str, now: datetime | None = None
           ) -> ReportReopen:
    """Admin only: one unit × period can be entered again for ``report_reopen_days`` days."""
    now = now or now_local()
    actor = actor_of(session=session, user=user)
    require_role(actor, "reported.reopen", ("admin",))
    u = _unit(session, unit)
    if not unit_in_scope(actor, u):
        raise PermissionDenied("reported.reopen", "scope")
    period_bounds(period)
    reason = _clean(reason, "reason", required=True)
    settings = report_settings(session=session)
    row = ReportReopen(org_unit_id=u.id, period=period, reason=reason, reopened_by=actor.username,
                       reopened_at=now, until=now.date() + timedelta(days=settings.reopen_days))
    session.add(row)
    session.flush()
    audit.write(session, actor.username, "reported.reopen", "org_unit", u.code,
                {"period": period, "reason": reason, "until": row.until.isoformat()}, at=now)
    return row


# --- approval ------------------------------------------------------------------------------------

def _above(actor: Actor, unit: OrgUnit) -> bool:
    """The actor's scope lies strictly above the unit (an admin also reviews the city's own values)."""
    if unit.path == actor.scope_path:
        return actor.role == "admin" and unit.parent_id is None
    return unit.path.startswith(actor.scope_path)


def review(*, session: Session, user, value_id: int, expected_version: int, approve: bool,
           comment: str | None = None, now: datetime | None = None) -> ValueRow:
    """Approve, or return with a comment, a value awaiting approval (status ``entered``)."""
    now = now or now_local()
    actor = actor_of(session=session, user=user)
    action = "reported.approve" if approve else "reported.return"
    require_role(actor, action, REVIEW_ROLES)
    v = session.get(ReportedValue, value_id)
    if v is None:
        raise NotFound(f"reported value {value_id}")
    u = session.get(OrgUnit, v.org_unit_id)
    if not _above(actor, u):
        raise PermissionDenied(action, "scope")
    ind = session.get(Indicator, v.indicator_code)
    if not ind.needs_approval:
        raise ValidationError("value", "no_approval")
    if v.version != expected_version:
        raise ConcurrentEdit("reported value changed by someone else")
    if v.status != "entered":
        raise ValidationError("value", "invalid_transition", {"action": action, "status": v.status})
    comment = _clean(comment, "comment", required=not approve)
    res = session.execute(sql_update(ReportedValue).where(
        ReportedValue.id == v.id, ReportedValue.version == expected_version).values(
        status="approved" if approve else "returned", reviewed_by=actor.username, reviewed_at=now,
        review_comment=comment, version=expected_version + 1))
    if res.rowcount != 1:
        raise ConcurrentEdit("reported value changed by someone else")
    session.refresh(v)
    _change(session, v, actor.username, "approve" if approve else "return", now, v.value, v.value, comment)
    audit.write(session, actor.username, action, "reported_value", v.id,
                {"indicator": v.indicator_code, "unit": u.code, "period": v.period, "version": v.version,
                 "comment": comment}, at=now)
    return _row(v)


def changes(*, session: Session, value_id: int) -> list[ReportedValueChange]:
    """The history of one value, oldest first."""
    return list(session.execute(select(ReportedValueChange).where(
        ReportedValueChange.reported_value_id == value_id).order_by(ReportedValueChange.id)).scalars())


# --- data sets, forms, queries ----------------------------------------------------------------------

def data_set(*, session: Session, plan: str) -> list[Indicator]:
    """The reported indicators of one plan ("seed-001"), in display order."""
    return list(session.execute(select(Indicator).where(
        Indicator.kind == "reported", Indicator.source_plan.like(plan + " %")).order_by(
        Indicator.sort, Indicator.code)).scalars())


def values(*, session: Session, indicator_codes: Iterable[str], unit_ids: Iterable[int], periods: Iterable[str]
           ) -> dict[tuple[str, int, str], ValueRow]:
    """Stored values keyed (indicator, unit id, period)."""
    codes, ids, pers = list(indicator_codes), list(unit_ids), list(periods)
    if not codes or not ids or not pers:
        return {}
    rows = session.execute(select(ReportedValue).where(
        ReportedValue.indicator_code.in_(codes), ReportedValue.org_unit_id.in_(ids),
        ReportedValue.period.in_(pers))).scalars()
    return {(v.indicator_code, v.org_unit_id, v.period): _row(v) for v in rows}


def pending_review(*, session: Session, user, plan: str | None = None) -> list[ValueRow]:
    """Values awaiting approval that this user may review."""
    actor = actor_of(session=session, user=user)
    if actor.role not in REVIEW_ROLES:
        return []
    stmt = (select(ReportedValue, OrgUnit).join(OrgUnit, OrgUnit.id == ReportedValue.org_unit_id)
            .join(Indicator, Indicator.code == ReportedValue.indicator_code)
            .where(ReportedValue.status == "entered", Indicator.needs_approval,
                   OrgUnit.path.startswith(actor.scope_path)))
    if plan:
        stmt = stmt.where(Indicator.source_plan.like(plan + " %"))
    out = [(_row(v), u) for v, u in session.execute(stmt.order_by(ReportedValue.period_end, ReportedValue.id))]
    return [v for v, u in out if _above(actor, u)]


def entry_units(*, session: Session, root: OrgUnit, level: str, pilot_only: bool = False) -> list[OrgUnit]:
    """Units at ``level`` at or under ``root`` (pilot districts only when asked), by code."""
    if LEVELS.index(root.level) > LEVELS.index(level):
        return []
    if root.level == level:
        cond = OrgUnit.id == root.id
    else:
        cond = and_(OrgUnit.level == level, getattr(OrgUnit, _LEVEL_COL[root.level]) == root.id)
    units = list(session.execute(select(OrgUnit).where(cond).order_by(OrgUnit.code)).scalars())
    if pilot_only:
        pilots = set(session.execute(select(OrgUnit.id).where(OrgUnit.level == "district", OrgUnit.pilot)).scalars())
        units = [u for u in units if u.district_id in pilots]
    return units


@dataclass(frozen=True)
class Counts:
    expected: int
    entered: int
    timely: int

    @property
    def completeness(self) -> float | None:
        return None if not self.expected else round(100.0 * self.entered / self.expected, 1)

    @property
    def timeliness(self) -> float | None:
        return None if not self.expected else round(100.0 * self.timely / self.expected, 1)


def report_counts(*, session: Session, indicators: Iterable[Indicator], root: OrgUnit, start: date, end: date,
                  as_of: datetime, settings: ReportSettings | None = None) -> dict[str, Counts]:
    """Completeness inputs per indicator for unit ``root`` and period [start, end] at ``as_of``:
    expected = entry units in root × periods of [start, end] ended by as_of; entered = values stored
    for them with entered_at ≤ as_of; timely = those entered within ``timely_days`` of the period end."""
    settings = settings or report_settings(session=session)
    out: dict[str, Counts] = {}
    for ind in indicators:
        units = entry_units(session=session, root=root, level=ind.entry_level or "district", pilot_only=ind.pilot_only)
        periods = periods_between(start, end, ind.period_type, ended_by=ended_by(as_of))
        if not units or not periods:
            out[ind.code] = Counts(0, 0, 0)
            continue
        deadline = [and_(ReportedValue.period == p,
                         ReportedValue.entered_at < datetime.combine(
                             period_bounds(p)[1] + timedelta(days=settings.timely_days + 1), datetime.min.time()))
                    for p in periods]
        rv = ReportedValue
        entered, timely = session.execute(select(
            func.count(rv.id), func.count(rv.id).filter(or_(*deadline))).where(
            rv.indicator_code == ind.code, rv.org_unit_id.in_([u.id for u in units]), rv.period.in_(periods),
            rv.entered_at <= as_of)).one()
        out[ind.code] = Counts(len(units) * len(periods), int(entered), int(timely or 0))
    return out


@dataclass(frozen=True)
class Missing:
    unit_id: int
    unit_code: str
    indicator_code: str
    period: str
    due: date  # the timeliness deadline
    lock: date
    overdue: bool


def missing_reports(*, session: Session, user, plan: str, root: int | str | None = None,
                    today: date | None = None, since: date | None = None) -> list[Missing]:
    """Periods not entered per unit of the user's scope (or ``root``) for one data set, overdue
    (past the timeliness deadline) first, then oldest first. ``since`` defaults to the first phase."""
    today = today or now_local().date()
    actor = actor_of(session=session, user=user)
    r = _unit(session, root if root is not None else actor.scope_id)
    if not unit_in_scope(actor, r):
        raise PermissionDenied("reported.missing", "scope")
    settings = report_settings(session=session)
    since = since or date(2024, 1, 1)
    out: list[Missing] = []
    for ind in data_set(session=session, plan=plan):
        units = entry_units(session=session, root=r, level=ind.entry_level or "district", pilot_only=ind.pilot_only)
        periods = periods_between(since, today, ind.period_type, ended_by=today - timedelta(days=1))
        have = set(values(session=session, indicator_codes=[ind.code], unit_ids=[u.id for u in units],
                          periods=periods))
        for u in units:
            for p in periods:
                if (ind.code, u.id, p) in have:
                    continue
                due = period_bounds(p)[1] + timedelta(days=settings.timely_days)
                out.append(Missing(u.id, u.code, ind.code, p, due, lock_date(p, settings), today > due))
    out.sort(key=lambda m: (not m.overdue, m.due, m.unit_code, m.indicator_code))
    return out


# --- aggregates for the dashboards (counted in the database) -----------------------------------------

def _timely_clause(periods: Iterable[str], timely_days: int):
    rv = ReportedValue
    return or_(*[and_(rv.period == p, rv.entered_at < datetime.combine(
        period_bounds(p)[1] + timedelta(days=timely_days + 1), time.min)) for p in periods])


def unit_aggregates(*, session: Session, root: OrgUnit, child_level: str | None, codes: Iterable[str],
                    periods: Iterable[str], as_of: datetime, timely_days: int
                    ) -> dict[tuple[str, str, int | None], tuple[int, float, int]]:
    """``{(indicator, period, key): (k, sum of values, timely k)}`` of the values entered by
    ``as_of`` (returned ones excluded) at or under ``root``: key None = the whole root; with
    ``child_level``, also each child of root at that level (key = the child's id)."""
    codes, periods = list(codes), list(periods)
    if not codes or not periods:
        return {}
    rv = ReportedValue
    timely = func.count(rv.id).filter(_timely_clause(periods, timely_days))
    root_col = OrgUnit.id if root.level == "grid" else getattr(OrgUnit, _LEVEL_COL[root.level])
    where = (rv.indicator_code.in_(codes), rv.period.in_(periods), rv.entered_at <= as_of, rv.status != "returned",
             root_col == root.id)
    src = select().select_from(rv).join(OrgUnit, OrgUnit.id == rv.org_unit_id)
    out: dict = {}
    for code, period, k, total, t in session.execute(
            src.add_columns(rv.indicator_code, rv.period, func.count(rv.id), func.sum(rv.value), timely)
            .where(*where).group_by(rv.indicator_code, rv.period)):
        out[(code, period, None)] = (int(k), float(total), int(t or 0))
    if child_level is not None:
        col = OrgUnit.id if child_level == "grid" else getattr(OrgUnit, _LEVEL_COL[child_level])
        for code, period, key, k, total, t in session.execute(
                src.add_columns(rv.indicator_code, rv.period, col, func.count(rv.id), func.sum(rv.value), timely)
                .where(*where, col.is_not(None)).group_by(rv.indicator_code, rv.period, col)):
            out[(code, period, int(key))] = (int(k), float(total), int(t or 0))
    return out


def entry_unit_counts(*, session: Session, root: OrgUnit, child_level: str | None
                      ) -> dict[tuple[str, bool, int | None], int]:
    """``{(level, pilot_only, key): units}``: how many city/district units (pilot-district ones
    for pilot_only) lie at or under root (key None) and under each child of root (key = child id)."""
    d = OrgUnit.__table__.alias("d")
    root_col = OrgUnit.id if root.level == "grid" else getattr(OrgUnit, _LEVEL_COL[root.level])
    child_col = (None if child_level is None else
                 OrgUnit.id if child_level == "grid" else getattr(OrgUnit, _LEVEL_COL[child_level]))
    cols = [OrgUnit.level, func.coalesce(d.c.pilot, False)] + ([child_col] if child_col is not None else [])
    stmt = (select(*cols, func.count(OrgUnit.id)).select_from(OrgUnit)
            .outerjoin(d, d.c.id == OrgUnit.district_id)
            .where(root_col == root.id, OrgUnit.level.in_(("city", "district"))).group_by(*cols))
    out: dict = {}
    for row in session.execute(stmt):
        level, pilot, n = row[0], bool(row[1]), int(row[-1])
        keys = [None] + ([int(row[2])] if child_col is not None and row[2] is not None else [])
        for key in keys:
            for only in (False, True):
                if only and not pilot:
                    continue
                out[(level, only, key)] = out.get((level, only, key), 0) + n
    return out


def reported_indicators(*, session: Session) -> list[Indicator]:
    """Every reported indicator of the registry, in display order."""
    return list(session.execute(select(Indicator).where(Indicator.kind == "reported")
                                .order_by(Indicator.sort, Indicator.code)).scalars())


def org_unit(*, session: Session, unit_id: int) -> OrgUnit:
    return _unit(session, unit_id)


def pilot_only_targets(*, session: Session, phase_code: str) -> set[tuple[str, str]]:
    """``{(indicator, phase)}`` whose targets apply to units of pilot districts only."""
    from data_access.programme.models import Target

    return {(i, phase_code) for i in session.execute(select(Target.indicator_code).where(
        Target.phase_code == phase_code, Target.pilot_only)).scalars()}


def pilot_unit_ids(*, session: Session, ids: Iterable[int]) -> set[int]:
    """Those of ``ids`` that lie in a pilot district."""
    d = OrgUnit.__table__.alias("d")
    return set(session.execute(select(OrgUnit.id).join(d, d.c.id == OrgUnit.district_id).where(
        OrgUnit.id.in_(list(ids)), d.c.pilot)).scalars())


# --- the data-entry form -------------------------------------------------------------------------------

@dataclass(frozen=True)
class FormRow:
    code: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    note_zh: str | None
    note_en: str | None
    needs_approval: bool
    target: float | None
    last_period: str
    last_value: float | None
    current: ValueRow | None
    locked: bool
    lock_date: date


def _target(session: Session, code: str, unit: OrgUnit, day: date) -> float | None:
    """The target of the phase holding ``day``: the unit's own, the nearest ancestor's, else the city
    default; a pilot-only target only for units of pilot districts."""
    from data_access.programme.models import Phase, Target

    phase = session.execute(select(Phase.code).where(Phase.start <= day, Phase.end >= day)).scalar_one_or_none()
    if phase is None:
        return None
    rows = {uid: (t, pilot) for uid, t, pilot in session.execute(select(
        Target.org_unit_id, Target.target, Target.pilot_only).where(
        Target.indicator_code == code, Target.phase_code == phase))}
    ids = [int(x) for x in unit.path.strip("/").split("/") if x]
    for uid in [*reversed(ids), None]:
        if uid in rows:
            t, pilot = rows[uid]
            return None if pilot and not _is_pilot(session, unit) else float(t)
    return None


def entry_form(*, session: Session, user, plan: str, unit: int | str, period: str, today: date | None = None
               ) -> list[FormRow]:
    """The indicators of data set ``plan`` that ``unit`` enters for ``period`` (its type), with last
    period's value, the target, the stored value and whether the unit × period is locked."""
    today = today or now_local().date()
    actor = actor_of(session=session, user=user)
    require_role(actor, "reported.enter", ENTRY_ROLES)
    u = _unit(session, unit)
    if not unit_in_scope(actor, u):
        raise PermissionDenied("reported.enter", "scope")
    kind = period_type_of(period)
    pilot = _is_pilot(session, u)
    inds = [i for i in data_set(session=session, plan=plan)
            if i.period_type == kind and (i.entry_level or "district") == u.level and (pilot or not i.pilot_only)]
    prev = previous_period(period)
    stored = values(session=session, indicator_codes=[i.code for i in inds], unit_ids=[u.id], periods=[period, prev])
    settings = report_settings(session=session)
    locked = is_locked(session=session, unit_id=u.id, period=period, today=today, settings=settings)
    p_end = period_bounds(period)[1]
    out = []
    for i in inds:
        last = stored.get((i.code, u.id, prev))
        out.append(FormRow(i.code, i.name_zh, i.name_en, i.unit, i.direction, i.note_zh, i.note_en,
                           bool(i.needs_approval), _target(session, i.code, u, p_end), prev,
                           None if last is None else last.value, stored.get((i.code, u.id, period)), locked,
                           lock_date(period, settings)))
    return out
