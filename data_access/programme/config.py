"""The admin's programme configuration (issue 13): targets per indicator × phase × unit (with the
inherited value where a unit has none), phase dates, assessment weights, and the app settings
with their source plan and section.

Every write: keyword-only ``session``, never commits, asks for a reason, checks the version the
admin saw (``ConcurrentEdit``), validates everything before writing anything (``ValidationError`` /
``FormInvalid`` with codes the UI translates) and writes one audit row per changed record.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from data_access.core import audit
from data_access.core.errors import ConcurrentEdit, FormInvalid, NotFound, ValidationError
from data_access.core.models import Setting
from data_access.core.text import check_reason
from data_access.org.models import OrgUnit
from data_access.programme.models import Indicator, Phase, Target
from data_access.programme.reference import SETTINGS as DEFAULT_SETTINGS

NAME_MAX = 40


def _number(value, field: str) -> float:
    if isinstance(value, bool):
        raise ValidationError(field, "type", {"expected": "number"})
    try:
        v = float(str(value).strip().replace(",", "").rstrip("%")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ValidationError(field, "type", {"expected": "number"}) from None
    if not math.isfinite(v):
        raise ValidationError(field, "type", {"expected": "number"})
    return v


# --- settings ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SettingSpec:
    key: str
    kind: str  # map (numbers per field) | number | integer | window | choices (a subset of fields)
    unit: str  # min | h | days | points | months | count
    source: str  # plan and section the value comes from
    fields: tuple[str, ...] = ()
    lo: float = 0
    hi: float = 1e9
    field_sources: tuple[tuple[str, str], ...] = ()
    integer: bool = False


# indicators.md "Time-limited work" and the seeds; lockout is this system's rule (README, security).
SETTING_SPECS: dict[str, SettingSpec] = {s.key: s for s in (
    # one setting for every tier: events, hazards and needs (fieldwork.limits; a one-button alarm
    # runs on the emergency tier)
    SettingSpec("time_limits", "map", "min", "indicators.md §Time-limited work",
                ("emergency", "urgent", "general", "need", "hazard_general", "hazard_major"), 1, 60 * 24 * 30,
                (("emergency", "seed-001 §5.3"), ("urgent", "seed-002 §5.2"), ("general", "seed-001, seed-002"),
                 ("need", "seed-000 §3.3, §5.3"), ("hazard_general", "seed-002 §3.1, §3.3"),
                 ("hazard_major", "seed-002 §3.1, §3.3"))),
    SettingSpec("special_intervals_days", "map", "days", "seed-000 §3.2", ("red", "yellow", "blue"), 1, 366,
                integer=True),
    SettingSpec("night_window", "window", "", "seed-000 §4.4, §5.3", ("start", "end")),
    SettingSpec("report_lock_days", "integer", "days", "indicators.md §Reported indicators", (), 0, 366),
    SettingSpec("report_timely_days", "integer", "days", "indicators.md §Reported indicators", (), 0, 366),
    SettingSpec("report_reopen_days", "integer", "days", "indicators.md §Reported indicators", (), 1, 366),
    SettingSpec("status_at_risk_points", "number", "points", "indicators.md §Status", (), 0, 100),
    SettingSpec("trend_months", "integer", "months", "indicators.md §Status", (), 1, 36),
    SettingSpec("veto_kinds", "choices", "", "seed-000 §9.2; indicators.md §Assessment score",
                ("privacy_breach", "enforcement_conflict", "complaints")),
    SettingSpec("lockout", "map", "", "README §Demo logins",
                ("threshold", "window_minutes", "lock_minutes"), 1, 24 * 60, integer=True),
)}
SETTING_DEFAULTS: dict[str, object] = {
    **DEFAULT_SETTINGS,
    "time_limits": {"emergency": 5, "urgent": 15, "general": 120, "need": 48 * 60, "hazard_general": 24 * 60,
                    "hazard_major": 48 * 60},
    "lockout": {"threshold": 5, "window_minutes": 15, "lock_minutes": 15},  # data_access.org.accounts defaults
    "veto_kinds": ["privacy_breach", "enforcement_conflict", "complaints"],  # every confirmed event vetoes
}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class SettingRow:
    key: str
    value: object  # the value in force (stored over the default)
    default: object
    stored: bool  # a row exists in app_setting
    version: int  # 0 = no row yet
    spec: SettingSpec


def settings_rows(*, session: Session) -> list[SettingRow]:
    """Every editable setting with the value in force, its default, version and source."""
    stored = {s.key: s for s in session.exec(select(Setting).where(Setting.key.in_(list(SETTING_SPECS)))).all()}
    out = []
    for key, spec in SETTING_SPECS.items():
        default = SETTING_DEFAULTS.get(key)
        row = stored.get(key)
        value = default
        if row is not None:
            try:
                loaded = json.loads(row.value)
                value = {**default, **loaded} if isinstance(default, dict) and isinstance(loaded, dict) else loaded
            except (TypeError, ValueError):
                pass
        out.append(SettingRow(key, value, default, row is not None, row.version if row is not None else 0, spec))
    return out


def check_setting(key: str, value) -> object:
    """The value normalised for storage, or ValidationError (field ``key`` or ``key.field``)."""
    spec = SETTING_SPECS.get(key)
    if spec is None:
        raise ValidationError("key", "unknown", {"value": key})

    def num(v, field: str, integer: bool) -> float | int:
        x = _number(v, field)
        if integer and x != int(x):
            raise ValidationError(field, "type", {"expected": "integer"})
        if not spec.lo <= x <= spec.hi:
            raise ValidationError(field, "range", {"min": spec.lo, "max": spec.hi})
        return int(x) if integer or x == int(x) else x

    if spec.kind == "map":
        if not isinstance(value, dict):
            raise ValidationError(key, "type", {"expected": "object"})
        unknown = set(value) - set(spec.fields)
        if unknown:
            raise ValidationError(key, "unknown", {"value": sorted(unknown)[0]})
        return {f: num(value[f], f"{key}.{f}", spec.integer) for f in spec.fields if f in value}
    if spec.kind == "choices":  # a subset of the fields (e.g. the veto event kinds that veto)
        if not isinstance(value, list | tuple) or any(v not in spec.fields for v in value):
            raise ValidationError(key, "choice", {"options": list(spec.fields)})
        return [f for f in spec.fields if f in value]
    if spec.kind == "window":
        if not isinstance(value, dict):
            raise ValidationError(key, "type", {"expected": "object"})
        out = {}
        for f in spec.fields:
            v = str(value.get(f, "")).strip()
            if not _HHMM.match(v):
                raise ValidationError(f"{key}.{f}", "format")
            out[f] = v
        if out["start"] == out["end"]:
            raise ValidationError(f"{key}.end", "invalid")
        return out
    return num(value, key, spec.kind == "integer")


def save_setting(*, session: Session, username: str, key: str, value, expected_version: int, reason: str) -> Setting:
    """Store ``key`` = ``value`` (validated) when its version is still ``expected_version`` (0: no row yet)."""
    clean = check_setting(key, value)
    why = check_reason(reason)
    row = session.get(Setting, key)
    if row is None:
        if expected_version != 0:
            raise ConcurrentEdit(f"setting {key} changed by someone else")
        before = None
        row = Setting(key=key, value=json.dumps(clean, ensure_ascii=False), version=1)
    else:
        session.refresh(row)
        if row.version != expected_version:
            raise ConcurrentEdit(f"setting {key} changed by someone else")
        before = json.loads(row.value) if row.value else None
        row.value = json.dumps(clean, ensure_ascii=False)
        row.version += 1
    session.add(row)
    session.flush()
    audit.write(session, username, "setting.update", "app_setting", key,
                {"old": before, "new": clean, "reason": why, "version": row.version})
    return row


# --- phases ------------------------------------------------------------------------------------

def phase_version(*, session: Session, code: str) -> int:
    p = session.get(Phase, code)
    if p is None:
        raise NotFound(f"phase {code!r}")
    return p.version


def save_phase(*, session: Session, username: str, code: str, start: date, end: date, expected_version: int,
               reason: str, name_zh: str | None = None, name_en: str | None = None) -> Phase:
    """Change one phase's dates (and names); phases may not overlap and a phase ends after it starts."""
    p = session.get(Phase, code)
    if p is None:
        raise NotFound(f"phase {code!r}")
    if start > end:
        raise ValidationError("end", "invalid")
    for field, v in (("name_zh", name_zh), ("name_en", name_en)):
        if v is not None and not v.strip():
            raise ValidationError(field, "required")
        if v is not None and len(v.strip()) > NAME_MAX:
            raise ValidationError(field, "too_long", {"max": NAME_MAX, "length": len(v.strip())})
    for other in session.exec(select(Phase).where(Phase.code != code)).all():
        if start <= other.end and other.start <= end:
            raise ValidationError("start", "overlap", {"other": other.code})
    why = check_reason(reason)
    session.refresh(p)
    if p.version != expected_version:
        raise ConcurrentEdit(f"phase {code} changed by someone else")
    old = {"start": p.start.isoformat(), "end": p.end.isoformat()}
    p.start, p.end = start, end
    if name_zh is not None:
        p.name_zh = name_zh.strip()
    if name_en is not None:
        p.name_en = name_en.strip()
    p.version += 1
    session.add(p)
    session.flush()
    audit.write(session, username, "phase.update", "phase", code,
                {"old": old, "new": {"start": start.isoformat(), "end": end.isoformat()}, "reason": why})
    return p


# --- assessment weights --------------------------------------------------------------------------

# The plans' minimum weights for their blocks (warnings, not refusals): the sum of the weights of the
# indicators from that plan. Seed 002's block is the grid indicators of officer assessment (visit
# coverage, dispute/need resolution, satisfaction: seed 000's and seed 002's indicators).
@dataclass(frozen=True)
class WeightMinimum:
    block: str  # seed-001 | seed-002 | seed-004
    plans: tuple[str, ...]  # indicators whose source_plan starts with one of these count
    minimum: float
    source: str


WEIGHT_MINIMA = (
    WeightMinimum("seed-001", ("seed-001",), 20.0, "seed-001 §3.4, §8.2"),
    WeightMinimum("seed-002", ("seed-000", "seed-002"), 50.0, "seed-002 §5.2"),
    WeightMinimum("seed-004", ("seed-004",), 15.0, "seed-004 §9.1"),
)


@dataclass(frozen=True)
class WeightWarning:
    block: str
    total: float
    minimum: float
    source: str


def weights(*, session: Session) -> tuple[dict[str, float], int]:
    """(weights in force, version of the row; 0 = none stored)."""
    row = session.get(Setting, "score_weights")
    if row is not None:
        try:
            return {k: float(v) for k, v in json.loads(row.value).items()}, row.version
        except (TypeError, ValueError, AttributeError):
            return {k: float(v) for k, v in DEFAULT_SETTINGS["score_weights"].items()}, row.version
    return {k: float(v) for k, v in DEFAULT_SETTINGS["score_weights"].items()}, 0


def weight_warnings(*, session: Session, weights: dict[str, float]) -> list[WeightWarning]:
    """The plans' minimum weights the configuration falls below."""
    plans = {c: (p or "") for c, p in session.execute(select(Indicator.code, Indicator.source_plan))}
    out = []
    for m in WEIGHT_MINIMA:
        total = sum(w for k, w in weights.items() if plans.get(k, "").startswith(m.plans))
        if total < m.minimum - 1e-9:
            out.append(WeightWarning(m.block, round(total, 2), m.minimum, m.source))
    return out


def check_weights(*, session: Session, weights: dict[str, object], allowed: set[str] | None = None) -> dict[str, float]:
    """Validated weights (0–100 each, summing to 100, indicators known; zero weights dropped)."""
    known = {c for (c,) in session.execute(select(Indicator.code).where(Indicator.kind == "computed"))}
    if allowed is not None:
        known &= set(allowed)
    errors, clean = [], {}
    for k, v in weights.items():
        if k not in known:
            errors.append(ValidationError(f"weights.{k}", "unknown", {"value": k}))
            continue
        try:
            x = _number(v, f"weights.{k}")
        except ValidationError as e:
            errors.append(e)
            continue
        if not 0 <= x <= 100:
            errors.append(ValidationError(f"weights.{k}", "range", {"min": 0, "max": 100}))
        elif x > 0:
            clean[k] = x
    if not errors:
        total = round(sum(clean.values()), 6)
        if abs(total - 100) > 1e-6:
            errors.append(ValidationError("weights", "sum", {"sum": total, "expected": 100}))
    if errors:
        raise FormInvalid(errors)
    return clean


def save_weights(*, session: Session, username: str, weights: dict[str, object], expected_version: int, reason: str,
                 allowed: set[str] | None = None) -> list[WeightWarning]:
    """Store the assessment weights (app_setting ``score_weights``); returns the plans' warnings."""
    clean = check_weights(session=session, weights=weights, allowed=allowed)
    why = check_reason(reason)
    row = session.get(Setting, "score_weights")
    if row is None:
        if expected_version != 0:
            raise ConcurrentEdit("score_weights changed by someone else")
        before, row = None, Setting(key="score_weights", value="{}", version=0)
    else:
        session.refresh(row)
        if row.version != expected_version:
            raise ConcurrentEdit("score_weights changed by someone else")
        before = json.loads(row.value)
    row.value = json.dumps(clean, ensure_ascii=False)
    row.version += 1
    session.add(row)
    session.flush()
    warns = weight_warnings(session=session, weights=clean)
    audit.write(session, username, "weights.update", "app_setting", "score_weights",
                {"old": before, "new": clean, "reason": why, "warnings": [w.block for w in warns]})
    return warns


# --- targets -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TargetCell:
    unit_id: int | None  # None = the city default row
    unit_code: str | None
    level: str | None
    own: float | None  # the unit's own target
    baseline: float | None  # the unit's own baseline
    version: int  # 0 = no own row
    effective: float | None  # own, else nearest ancestor's, else city default
    source_unit_id: int | None  # where ``effective`` comes from (None with a value: city default)
    inherited: bool


def _ancestors(u: OrgUnit) -> list[int]:
    return [int(x) for x in u.path.strip("/").split("/") if x]


def target_rows(*, session: Session, indicator: str, phase: str, units: list[OrgUnit] | None = None
                ) -> list[TargetCell]:
    """The city default first, then one cell per unit (``units`` or every unit): own value and the one in force."""
    rows = {t.org_unit_id: t for t in session.exec(select(Target).where(
        Target.indicator_code == indicator, Target.phase_code == phase)).all()}
    if units is None:
        units = list(session.exec(select(OrgUnit).order_by(OrgUnit.path)).all())
    default = rows.get(None)
    out = [TargetCell(None, None, None, default.target if default else None, default.baseline if default else None,
                      default.version if default else 0, default.target if default else None, None, False)]
    for u in units:
        own = rows.get(u.id)
        if own is not None:
            out.append(TargetCell(u.id, u.code, u.level, own.target, own.baseline, own.version, own.target, u.id, False))
            continue
        src = next((a for a in reversed(_ancestors(u)) if a in rows), None)
        eff = rows[src].target if src is not None else (default.target if default else None)
        out.append(TargetCell(u.id, u.code, u.level, None, None, 0, eff, src, eff is not None))
    return out


@dataclass(frozen=True)
class TargetChange:
    indicator: str
    phase: str
    unit_id: int | None  # None = city default
    target: float | None  # None = remove the unit's own target (it inherits again)
    expected_version: int  # version shown (0 = no own row)
    baseline: float | None = None
    keep_baseline: bool = True  # leave the stored baseline as it is


def target_bounds(unit: str, min_value: float | None = None, max_value: float | None = None) -> tuple[float, float]:
    """The range a target may take: −100…100 for "%" (change targets are negative), 0…100 for a score,
    ≥ 0 otherwise, narrowed by the indicator's admin-set plausible range."""
    lo, hi = {"%": (-100.0, 100.0), "score": (0.0, 100.0)}.get(unit, (0.0, 1e9))
    if min_value is not None:
        lo = max(lo, float(min_value))
    if max_value is not None:
        hi = min(hi, float(max_value))
    return lo, hi


def _target_bounds(ind: Indicator) -> tuple[float, float]:
    return target_bounds(ind.unit, ind.min_value, ind.max_value)


def check_targets(*, session: Session, changes: list[TargetChange]) -> list[TargetChange]:
    """Every change checked (indicator, phase, unit, value in the indicator's range); FormInvalid lists all."""
    inds = {i.code: i for i in session.exec(select(Indicator)).all()}
    phases = {p for (p,) in session.execute(select(Phase.code))}
    unit_ids = {c.unit_id for c in changes if c.unit_id is not None}
    known_units = {u for (u,) in session.execute(select(OrgUnit.id).where(OrgUnit.id.in_(unit_ids)))} if unit_ids else set()
    errors: list[ValidationError] = []
    seen = set()
    for n, c in enumerate(changes):
        f = f"targets.{n}"
        if c.indicator not in inds:
            errors.append(ValidationError(f"{f}.indicator", "unknown", {"value": c.indicator}))
            continue
        if c.phase not in phases:
            errors.append(ValidationError(f"{f}.phase", "unknown", {"value": c.phase}))
            continue
        if c.unit_id is not None and c.unit_id not in known_units:
            errors.append(ValidationError(f"{f}.unit", "unknown", {"value": c.unit_id}))
            continue
        key = (c.indicator, c.phase, c.unit_id)
        if key in seen:
            errors.append(ValidationError(f"{f}.unit", "duplicate", {"value": c.unit_id}))
        seen.add(key)
        lo, hi = _target_bounds(inds[c.indicator])
        for name, v in (("target", c.target), ("baseline", None if c.keep_baseline else c.baseline)):
            if v is None:
                continue
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                errors.append(ValidationError(f"{f}.{name}", "type", {"expected": "number"}))
            elif name == "target" and not lo <= v <= hi:
                errors.append(ValidationError(f"{f}.{name}", "range", {"min": lo, "max": hi}))
        if c.target is None and c.unit_id is None:
            errors.append(ValidationError(f"{f}.target", "required"))
    if errors:
        raise FormInvalid(errors)
    return changes


def apply_targets(*, session: Session, username: str, changes: list[TargetChange], reason: str) -> int:
    """Write every change or none: validated first, each row's version checked, one audit row each.

    Returns the number of rows changed (a change to the value already stored is skipped)."""
    check_targets(session=session, changes=changes)
    why = check_reason(reason)
    n = 0
    for c in changes:
        row = session.exec(select(Target).where(
            Target.indicator_code == c.indicator, Target.phase_code == c.phase,
            Target.org_unit_id.is_(None) if c.unit_id is None else Target.org_unit_id == c.unit_id)).first()
        if row is not None:
            session.refresh(row)
        if (row.version if row is not None else 0) != c.expected_version:
            raise ConcurrentEdit(f"target {c.indicator}/{c.phase}/{c.unit_id} changed by someone else")
        old = None if row is None else {"target": row.target, "baseline": row.baseline}
        if c.target is None:
            if row is None:
                continue
            session.delete(row)
            action, new = "target.clear", None
        else:
            baseline = (row.baseline if row is not None else None) if c.keep_baseline else c.baseline
            if row is not None and row.target == c.target and row.baseline == baseline:
                continue
            if row is None:
                row = Target(indicator_code=c.indicator, phase_code=c.phase, org_unit_id=c.unit_id,
                             target=c.target, baseline=baseline, version=1)
            else:
                row.target, row.baseline, row.version = c.target, baseline, row.version + 1
            session.add(row)
            action, new = "target.set", {"target": c.target, "baseline": baseline}
        session.flush()
        audit.write(session, username, action, "target", f"{c.indicator}/{c.phase}/{c.unit_id or 'city'}",
                    {"old": old, "new": new, "reason": why})
        n += 1
    return n


# --- bulk paste from Excel ------------------------------------------------------------------------

@dataclass(frozen=True)
class PastedCell:
    row: int  # 1-based line of the pasted text
    unit_id: int | None
    phase: str
    target: float | None  # None: "-" clears the unit's own target


def parse_paste(text: str, *, units: dict[str, int | None], phases: dict[str, str]) -> list[PastedCell]:
    """A table copied from Excel (tab-separated): a header row ``unit<TAB>phase…`` then one row per unit.

    ``units`` maps every accepted unit label (code, Chinese or English name, "city default") to its id
    (None = city default); ``phases`` maps phase labels (code or names) to phase codes. An empty cell
    leaves the target as it is; "-" removes the unit's own target. FormInvalid lists every bad cell.
    """
    lines = [ln for ln in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n") if ln.strip()]
    if len(lines) < 2:
        raise FormInvalid([ValidationError("paste", "required")])
    sep = "\t" if "\t" in lines[0] else ","
    header = [h.strip() for h in lines[0].split(sep)]
    errors: list[ValidationError] = []
    cols: list[str | None] = [None]
    for j, h in enumerate(header[1:], start=2):
        code = phases.get(h) or phases.get(h.lower())
        if code is None and h:
            errors.append(ValidationError(f"paste.1.{j}", "unknown_phase", {"value": h, "row": 1, "col": j}))
        cols.append(code)
    out: list[PastedCell] = []
    for i, line in enumerate(lines[1:], start=2):
        cells = [c.strip() for c in line.split(sep)]
        label = cells[0]
        if label not in units and label.lower() not in units:
            errors.append(ValidationError(f"paste.{i}.1", "unknown_unit", {"value": label, "row": i, "col": 1}))
            continue
        uid = units[label] if label in units else units[label.lower()]
        for j, raw in enumerate(cells[1:], start=2):
            if not raw or j > len(cols) or cols[j - 1] is None:
                continue
            if raw in ("-", "—"):
                out.append(PastedCell(i, uid, cols[j - 1], None))
                continue
            try:
                out.append(PastedCell(i, uid, cols[j - 1], _number(raw, "value")))
            except ValidationError:
                errors.append(ValidationError(f"paste.{i}.{j}", "not_number", {"value": raw, "row": i, "col": j}))
    if errors:
        raise FormInvalid(errors)
    return out


def pasted_changes(*, session: Session, indicator: str, cells: list[PastedCell]) -> list[TargetChange]:
    """The pasted cells as changes against the versions stored now (cells equal to the stored value dropped)."""
    rows = {(t.phase_code, t.org_unit_id): t for t in session.exec(
        select(Target).where(Target.indicator_code == indicator)).all()}
    out = []
    for c in cells:
        row = rows.get((c.phase, c.unit_id))
        if row is None and c.target is None:
            continue
        if row is not None and c.target is not None and row.target == c.target:
            continue
        out.append(TargetChange(indicator, c.phase, c.unit_id, c.target, row.version if row is not None else 0))
    return out
