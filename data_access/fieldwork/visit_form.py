"""The visit e-form: items defined as data (``form_item``), validation, submission and drafts.

``validate_visit`` is pure (no database): it returns every ValidationError found. The rules
(issue 5, seed 000 §3.1/§3.4/§6.3):

* ``visited_at`` required, not in the future, not older than ``max_backdate`` (30 days);
  entered more than 24 h after the visit → a late-entry reason is required;
* a night visit (20:00–07:00, app_setting night_window) needs an appointment made ≥ 24 h
  before, otherwise a justification of ≥ 10 characters (the visit is then recorded as a
  night visit without booking — it counts against night-visit compliance);
* an appointment cannot be made after the visit or in the future;
* process checks (ID shown, body camera on) must be answered yes or no;
* satisfaction, when given, is an integer 1–5;
* every required active form item is answered; answers fit the item's kind; unknown items
  are refused;
* text: NFC-normalised, control / private-use / unassigned / bidi-override characters
  refused, length limits per field;
* at most ``max_needs`` needs, each with a category.

``submit_visit`` writes the visit, its answers, its needs (and household corrections) in the
caller's transaction; a second submit with the same client token returns the first visit
and writes nothing. Drafts live in ``visit_draft`` keyed by (officer, draft key).
"""
from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta

from sqlmodel import Session, select

from data_access.core import audit
from data_access.core.db import write_lock
from data_access.core.errors import FormInvalid, PermissionDenied, ValidationError
from data_access.core.text import check_reason, checked_text, clean_text
from data_access.core.versioning import check_version
from data_access.fieldwork import records
from data_access.fieldwork.derive import APPOINTMENT_LEAD, ENTRY_LIMIT, NIGHT_END, NIGHT_START, is_night
from data_access.fieldwork.models import (
    CATEGORIES,
    FORM_KINDS,
    FORM_SECTIONS,
    Appointment,
    FormItem,
    Need,
    NeedCategory,
    Visit,
    VisitDraft,
)
from data_access.fieldwork.records import household_in_scope
from data_access.org.scope import actor_of, require_role

VISIT_ROLES = ("officer",)
FORM_ADMIN_ROLES = ("admin",)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
DRAFT_MAX_CHARS = 64_000
NUMBER_MAX = 1e12
# bidi embedding/override/isolate controls (Trojan-source style text) are refused outright


@dataclass(frozen=True)
class FormSettings:
    night_start: time = NIGHT_START
    night_end: time = NIGHT_END
    appointment_lead: timedelta = APPOINTMENT_LEAD
    late_entry_after: timedelta = ENTRY_LIMIT
    max_backdate: timedelta = timedelta(days=30)
    justification_min: int = 10
    reason_max: int = 500  # justification, late-entry reason (Visit columns are 500)
    text_max: int = 500  # default for text items (VisitAnswer.value holds 1000)
    answer_max: int = 1000
    need_category_max: int = 40
    need_description_max: int = 1000
    max_needs: int = 20
    address_max: int = 200
    duration_min: int = 1  # visit duration bounds in minutes (None = not recorded is allowed)
    duration_max: int = 480


def load_settings(*, session: Session) -> FormSettings:
    """Form settings with the night window from app_setting ``night_window``."""
    start, end = records.night_window(session)
    return FormSettings(night_start=start, night_end=end)


# --- input -----------------------------------------------------------------------------------

@dataclass
class NeedInput:
    category: str | None = None
    description: str | None = None


@dataclass
class VisitInput:
    """What the officer typed. Times may be datetimes or ISO strings (drafts round-trip as JSON)."""
    household_id: int | None = None
    visited_at: datetime | str | None = None
    id_shown: bool | None = None
    bodycam_on: bool | None = None
    satisfaction: int | str | None = None
    appointment_made_at: datetime | str | None = None
    appointment_id: int | None = None
    justification: str | None = None
    late_entry_reason: str | None = None
    answers: dict = field(default_factory=dict)
    needs: list = field(default_factory=list)  # NeedInput or dicts
    client_token: str | None = None
    household_changes: dict = field(default_factory=dict)  # {"address", "category"} corrections
    household_version: int | None = None
    duration_min: int | str | None = None  # minutes spent (seed 002 §3.2: ≥ 3 h per day in the grid)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("visited_at", "appointment_made_at"):
            if isinstance(d[k], datetime):
                d[k] = d[k].isoformat(timespec="seconds")
        d["needs"] = [asdict(n) if isinstance(n, NeedInput) else dict(n) for n in self.needs]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> VisitInput:
        known = {f for f in cls.__dataclass_fields__}
        v = cls(**{k: val for k, val in (d or {}).items() if k in known})
        for k in ("visited_at", "appointment_made_at"):
            val = getattr(v, k)
            if isinstance(val, str) and val.strip():
                try:
                    setattr(v, k, datetime.fromisoformat(val.strip()))
                except ValueError:
                    pass  # left as typed; validation reports "format"
        v.answers = dict(v.answers) if isinstance(v.answers, dict) else v.answers
        v.needs = [n if isinstance(n, NeedInput) else NeedInput(**{k: n.get(k) for k in ("category", "description")})
                   for n in (v.needs or []) if isinstance(n, NeedInput | dict)]
        return v


@dataclass(frozen=True)
class CleanVisit:
    household_id: int
    visited_at: datetime
    id_shown: bool
    bodycam_on: bool
    satisfaction: int | None
    appointment_made_at: datetime | None
    justification: str | None
    late_entry_reason: str | None
    answers: dict[str, str]  # item code → stored string
    needs: list[tuple[str, str | None]]
    client_token: str
    is_night: bool
    night_ok: bool
    household_changes: dict
    duration_min: int | None = None


# --- text ------------------------------------------------------------------------------------

def _time(fieldname: str, value, errors: list) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            errors.append(ValidationError(fieldname, "timezone"))
            return None
        return value
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            errors.append(ValidationError(fieldname, "format"))
            return None
        if dt.tzinfo is not None:
            errors.append(ValidationError(fieldname, "timezone"))
            return None
        return dt
    errors.append(ValidationError(fieldname, "format"))
    return None


def _bool(fieldname: str, value, errors: list, required: bool) -> bool | None:
    if value is None or value == "":
        if required:
            errors.append(ValidationError(fieldname, "required"))
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "0", "true", "false"):
        return value.strip().lower() in ("1", "true")
    errors.append(ValidationError(fieldname, "type", {"expected": "bool"}))
    return None


# --- form items ------------------------------------------------------------------------------

def item_options(item: FormItem):
    if not item.options:
        return None
    try:
        return json.loads(item.options)
    except ValueError:
        return None


def load_form(*, session: Session, include_inactive: bool = False) -> list[FormItem]:
    """Form items in display order (section info → hazard → need, then ``sort``)."""
    q = select(FormItem)
    if not include_inactive:
        q = q.where(FormItem.active.is_(True))
    rows = list(session.exec(q).all())
    return sorted(rows, key=lambda i: (FORM_SECTIONS.index(i.section) if i.section in FORM_SECTIONS else 9,
                                       i.sort, i.code))


def _clean_answer(item: FormItem, value, s: FormSettings) -> tuple[str | None, ValidationError | None]:
    f = f"answers.{item.code}"
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None, (ValidationError(f, "required") if item.required else None)
    opts = item_options(item)
    if item.kind == "bool":
        errs: list = []
        b = _bool(f, value, errs, item.required)
        return (None, errs[0]) if errs else ("1" if b else "0", None)
    if item.kind == "choice":
        codes = [o["code"] if isinstance(o, dict) else str(o) for o in (opts or [])]
        if not isinstance(value, str) or value not in codes:
            return None, ValidationError(f, "choice", {"options": codes})
        return value, None
    if item.kind == "number":
        num = value
        if isinstance(value, str):
            try:
                num = float(value.strip())
            except ValueError:
                return None, ValidationError(f, "type", {"expected": "number"})
        if isinstance(num, bool) or not isinstance(num, int | float):
            return None, ValidationError(f, "type", {"expected": "number"})
        if isinstance(num, int):
            if abs(num) > NUMBER_MAX:
                return None, ValidationError(f, "range", {"min": -NUMBER_MAX, "max": NUMBER_MAX})
            num = float(num)
        if not math.isfinite(num) or abs(num) > NUMBER_MAX:
            return None, ValidationError(f, "type" if not math.isfinite(num) else "range", {"expected": "number"})
        lo = (opts or {}).get("min") if isinstance(opts, dict) else None
        hi = (opts or {}).get("max") if isinstance(opts, dict) else None
        if (lo is not None and num < lo) or (hi is not None and num > hi):
            return None, ValidationError(f, "range", {"min": lo, "max": hi})
        return (str(int(num)) if float(num).is_integer() else repr(float(num))), None
    # text
    max_len = s.text_max
    if isinstance(opts, dict) and opts.get("max_length"):
        max_len = min(int(opts["max_length"]), s.answer_max)
    v, err = clean_text(f, value, max_len)
    if err is None and not v and item.required:
        err = ValidationError(f, "required")
    return v, err


def decode_answer(item: FormItem, stored: str | None):
    """The stored string back as a Python value (bool / float / str)."""
    if stored is None:
        return None
    if item.kind == "bool":
        return stored == "1"
    if item.kind == "number":
        f = float(stored)
        return int(f) if f.is_integer() else f
    return stored


# --- validation ------------------------------------------------------------------------------

def clean_visit(data: VisitInput | dict, *, now: datetime, items: list[FormItem],
                settings: FormSettings | None = None) -> tuple[CleanVisit | None, list[ValidationError]]:
    """Validate and normalise ``data``; returns (clean visit or None, every error found)."""
    s = settings or FormSettings()
    d = data if isinstance(data, VisitInput) else VisitInput.from_dict(data)
    errors: list[ValidationError] = []

    hid = d.household_id
    if hid is None or isinstance(hid, bool) or not isinstance(hid, int):
        errors.append(ValidationError("household_id", "required"))
    token = d.client_token
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        errors.append(ValidationError("client_token", "format"))

    visited = _time("visited_at", d.visited_at, errors)
    appt = _time("appointment_made_at", d.appointment_made_at, errors)
    if visited is None and not any(e.field == "visited_at" for e in errors):
        errors.append(ValidationError("visited_at", "required"))
    justification, e = clean_text("justification", d.justification, s.reason_max)
    if e:
        errors.append(e)
    late_reason, e = clean_text("late_entry_reason", d.late_entry_reason, s.reason_max)
    if e:
        errors.append(e)

    night = night_ok = False
    if visited is not None:
        if visited > now:
            errors.append(ValidationError("visited_at", "future"))
        elif now - visited > s.max_backdate:
            errors.append(ValidationError("visited_at", "too_old", {"days": s.max_backdate.days}))
        elif now - visited > s.late_entry_after and not late_reason:
            errors.append(ValidationError("late_entry_reason", "required_late",
                                          {"hours": int(s.late_entry_after.total_seconds() // 3600)}))
        if appt is not None:
            if appt > visited:
                errors.append(ValidationError("appointment_made_at", "after_visit"))
            elif appt > now:
                errors.append(ValidationError("appointment_made_at", "future"))
        night = is_night(visited, s.night_start, s.night_end)
        night_ok = night and appt is not None and appt <= visited and visited - appt >= s.appointment_lead
        if night and not night_ok:
            lead_h = int(s.appointment_lead.total_seconds() // 3600)
            if not justification:
                errors.append(ValidationError("appointment_made_at", "night_needs_appointment",
                                              {"lead_hours": lead_h, "justification_min": s.justification_min,
                                               "window": f"{s.night_start:%H:%M}-{s.night_end:%H:%M}"}))
            elif len(justification) < s.justification_min:
                errors.append(ValidationError("justification", "too_short", {"min": s.justification_min}))

    id_shown = _bool("id_shown", d.id_shown, errors, True)
    bodycam = _bool("bodycam_on", d.bodycam_on, errors, True)

    sat = d.satisfaction
    if sat is not None and sat != "":
        if isinstance(sat, str):
            try:
                sat = int(sat.strip())
            except ValueError:
                pass
        if isinstance(sat, bool) or not isinstance(sat, int) or not 1 <= sat <= 5:
            errors.append(ValidationError("satisfaction", "range", {"min": 1, "max": 5}))
            sat = None
    else:
        sat = None

    dur = d.duration_min
    if dur is not None and dur != "":
        if isinstance(dur, str):
            try:
                dur = int(dur.strip())
            except ValueError:
                pass
        if isinstance(dur, float) and dur.is_integer():
            dur = int(dur)
        if isinstance(dur, bool) or not isinstance(dur, int) or not s.duration_min <= dur <= s.duration_max:
            errors.append(ValidationError("duration_min", "range", {"min": s.duration_min, "max": s.duration_max}))
            dur = None
    else:
        dur = None

    answers: dict[str, str] = {}
    raw = d.answers if isinstance(d.answers, dict) else {}
    if not isinstance(d.answers, dict):
        errors.append(ValidationError("answers", "type"))
    by_code = {i.code: i for i in items if i.active}
    for code in raw:
        if code not in by_code:
            errors.append(ValidationError(f"answers.{code}"[:80], "unknown_item"))
    for item in by_code.values():
        v, err = _clean_answer(item, raw.get(item.code), s)
        if err is not None:
            errors.append(err)
        elif v is not None:
            answers[item.code] = v

    needs: list[tuple[str, str | None]] = []
    raw_needs = d.needs if isinstance(d.needs, list) else []
    if not isinstance(d.needs, list):
        errors.append(ValidationError("needs", "type"))
    if len(raw_needs) > s.max_needs:
        errors.append(ValidationError("needs", "too_many", {"max": s.max_needs}))
    for i, n in enumerate(raw_needs[: s.max_needs]):
        n = n if isinstance(n, NeedInput) else NeedInput(**{k: n.get(k) for k in ("category", "description")})
        cat, e1 = clean_text(f"needs[{i}].category", n.category, s.need_category_max)
        desc, e2 = clean_text(f"needs[{i}].description", n.description, s.need_description_max)
        if e1:
            errors.append(e1)
        elif not cat:
            errors.append(ValidationError(f"needs[{i}].category", "required"))
        if e2:
            errors.append(e2)
        if not e1 and not e2 and cat:
            needs.append((cat, desc or None))

    changes: dict = {}
    for k, v in (d.household_changes or {}).items():
        if k == "address":
            a, e = clean_text("household.address", v, s.address_max)
            if e:
                errors.append(e)
            elif not a:
                errors.append(ValidationError("household.address", "required"))
            else:
                changes["address"] = a
        elif k == "category":
            if v not in CATEGORIES:
                errors.append(ValidationError("household.category", "choice", {"options": list(CATEGORIES)}))
            else:
                changes["category"] = v
        else:
            errors.append(ValidationError(f"household.{k}"[:80], "not_editable"))
    if changes and d.household_version is None:
        errors.append(ValidationError("household_version", "required"))

    if errors:
        return None, errors
    return CleanVisit(hid, visited, id_shown, bodycam, sat, appt, justification, late_reason, answers, needs,
                      token, night, night_ok, changes, dur), []


def validate_visit(data: VisitInput | dict, *, now: datetime, items: list[FormItem],
                   settings: FormSettings | None = None) -> list[ValidationError]:
    """Every rule the visit breaks (empty list = acceptable). Writes nothing."""
    return clean_visit(data, now=now, items=items, settings=settings)[1]


# --- submission ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubmitResult:
    visit: Visit
    created: bool  # False: the token was used before, nothing was written
    needs: list[Need]


def new_token() -> str:
    """A client token for a new form (the page keeps it across reruns and drafts)."""
    return secrets.token_urlsafe(18)


def _token_lock(session: Session, token: str) -> None:
    # Two transactions submitting the same token (two tabs of one draft) queue here, so the
    # second one sees the first one's visit instead of failing on the unique index.
    write_lock(session, f"visit-token:{token}")


def _existing(session: Session, token) -> SubmitResult | None:
    if not isinstance(token, str):
        return None
    v = session.exec(select(Visit).where(Visit.client_token == token)).first()
    if v is None:
        return None
    ns = list(session.exec(select(Need).where(Need.visit_id == v.id).order_by(Need.id)).all())
    return SubmitResult(v, False, ns)


def submit_visit(*, session: Session, user, data: VisitInput | dict, now: datetime,
                 settings: FormSettings | None = None, draft_key: str | None = None) -> SubmitResult:
    """Validate and write a visit with its answers, needs and household corrections.

    Raises FormInvalid (with every error; nothing written), PermissionDenied, NotFound or
    ConcurrentEdit (household corrections on a stale version). The caller commits.
    """
    from data_access.fieldwork import needs as needs_mod

    actor = actor_of(session=session, user=user)
    require_role(actor, "visit.submit", VISIT_ROLES)
    d = data if isinstance(data, VisitInput) else VisitInput.from_dict(data)
    if isinstance(d.client_token, str):
        _token_lock(session, d.client_token)
    prior = _existing(session, d.client_token)
    if prior is not None:
        if prior.visit.officer_id != actor.id:
            raise PermissionDenied("visit.submit", "token")
        return prior

    appt_row = None
    if d.appointment_id is not None:
        appt_row = session.get(Appointment, d.appointment_id)
        if appt_row is None or appt_row.household_id != d.household_id or appt_row.status != "planned":
            raise FormInvalid([ValidationError("appointment_id", "invalid")])
        if d.appointment_made_at in (None, ""):
            d.appointment_made_at = appt_row.made_at
    s = settings or load_settings(session=session)
    clean, errors = clean_visit(d, now=now, items=load_form(session=session), settings=s)
    if errors:
        raise FormInvalid(errors)
    h, _grid = household_in_scope(session=session, actor=actor, household_id=clean.household_id,
                                  action="visit.submit")

    visit = Visit(code=needs_mod.new_code(now, "V"), client_token=clean.client_token, household_id=h.id,
                  grid_id=h.grid_id, officer_id=actor.id, visited_at=clean.visited_at, id_shown=clean.id_shown,
                  bodycam_on=clean.bodycam_on, entered_at=now, appointment_made_at=clean.appointment_made_at,
                  satisfaction=clean.satisfaction, justification=clean.justification,
                  late_entry_reason=clean.late_entry_reason, duration_min=clean.duration_min)
    visit, created = records.add_visit(session=session, visit=visit, answers=clean.answers)
    if not created:  # SQLite: a concurrent submit won the race
        return _existing(session, clean.client_token)

    created_needs = [
        needs_mod.create_need(session=session, user=actor, household_id=h.id, category=cat, description=desc,
                              visit_id=visit.id, created_at=clean.visited_at, now=now)
        for cat, desc in clean.needs
    ]
    if clean.household_changes:
        records.update_household(session=session, household_id=h.id, expected_version=d.household_version,
                                 username=actor.username, **clean.household_changes)
    if appt_row is not None:
        appt_row.status = "done"
        appt_row.visit_id = visit.id
        session.add(appt_row)
    if draft_key:
        discard_draft(session=session, user=actor, draft_key=draft_key)
    audit.write(session, actor.username, "visit.submit", "visit", visit.code,
                {"household_id": h.id, "needs": len(created_needs), "night": clean.is_night,
                 "night_ok": clean.night_ok, "late": clean.late_entry_reason is not None,
                 "corrections": sorted(clean.household_changes)}, at=now)
    return SubmitResult(visit, True, created_needs)


# --- drafts ----------------------------------------------------------------------------------

def _draft_key(key: str) -> str:
    if not isinstance(key, str) or not TOKEN_RE.match(key):
        raise ValidationError("draft_key", "format")
    return key


def _json_default(o):
    if isinstance(o, datetime):
        return o.isoformat(timespec="seconds")
    raise TypeError(type(o).__name__)


def save_draft(*, session: Session, user, draft_key: str, payload: VisitInput | dict, now: datetime) -> VisitDraft:
    """Store (or replace) the officer's draft ``draft_key``; last save wins."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "visit.draft", VISIT_ROLES)
    key = _draft_key(draft_key)
    body = payload.to_dict() if isinstance(payload, VisitInput) else dict(payload)
    try:
        s = json.dumps(body, ensure_ascii=False, default=_json_default, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValidationError("payload", "type") from exc
    if len(s) > DRAFT_MAX_CHARS:
        raise ValidationError("payload", "too_large", {"max": DRAFT_MAX_CHARS})
    hid = body.get("household_id")
    hid = hid if isinstance(hid, int) and not isinstance(hid, bool) else None
    if hid is not None:
        household_in_scope(session=session, actor=actor, household_id=hid, action="visit.draft")
    row = session.exec(select(VisitDraft).where(VisitDraft.officer_id == actor.id,
                                                VisitDraft.draft_key == key)).first()
    if row is None:
        row = VisitDraft(officer_id=actor.id, draft_key=key, household_id=hid, payload=s, updated_at=now)
    else:
        row.payload, row.household_id, row.updated_at = s, hid, now
    session.add(row)
    session.flush()
    return row


def load_draft(*, session: Session, user, draft_key: str) -> dict | None:
    """The officer's draft as a dict (feed to ``VisitInput.from_dict``), or None."""
    actor = actor_of(session=session, user=user)
    row = session.exec(select(VisitDraft).where(VisitDraft.officer_id == actor.id,
                                                VisitDraft.draft_key == _draft_key(draft_key))).first()
    return None if row is None else json.loads(row.payload)


@dataclass(frozen=True)
class DraftInfo:
    draft_key: str
    household_id: int | None
    updated_at: datetime


def list_drafts(*, session: Session, user) -> list[DraftInfo]:
    """The officer's open drafts, newest first."""
    actor = actor_of(session=session, user=user)
    rows = session.exec(select(VisitDraft.draft_key, VisitDraft.household_id, VisitDraft.updated_at)
                        .where(VisitDraft.officer_id == actor.id).order_by(VisitDraft.updated_at.desc())).all()
    return [DraftInfo(k, h, u) for k, h, u in rows]


def discard_draft(*, session: Session, user, draft_key: str) -> bool:
    actor = actor_of(session=session, user=user)
    row = session.exec(select(VisitDraft).where(VisitDraft.officer_id == actor.id,
                                                VisitDraft.draft_key == _draft_key(draft_key))).first()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


# --- form administration ---------------------------------------------------------------------

def save_form_item(*, session: Session, user, code: str, section: str, label_zh: str, label_en: str, kind: str,
                   now: datetime, options=None, required: bool = False, active: bool = True,
                   sort: int = 100, reason: str | None = None) -> FormItem:
    """Admin adds or changes a form item (the code of an item is its key and never changes)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "form.edit", FORM_ADMIN_ROLES)
    errs: list[ValidationError] = []
    if not isinstance(code, str) or not re.match(r"^[a-z][a-z0-9_]{1,39}$", code):
        errs.append(ValidationError("code", "format"))
    if section not in FORM_SECTIONS:
        errs.append(ValidationError("section", "choice", {"options": list(FORM_SECTIONS)}))
    if kind not in FORM_KINDS:
        errs.append(ValidationError("kind", "choice", {"options": list(FORM_KINDS)}))
    zh, e1 = clean_text("label_zh", label_zh, 200)
    en, e2 = clean_text("label_en", label_en, 200)
    errs += [e for e in (e1, e2) if e]
    if not e1 and not zh:
        errs.append(ValidationError("label_zh", "required"))
    if not e2 and not en:
        errs.append(ValidationError("label_en", "required"))
    if kind == "choice" and not (isinstance(options, list) and options):
        errs.append(ValidationError("options", "required"))
    if errs:
        raise FormInvalid(errs)
    row = session.exec(select(FormItem).where(FormItem.code == code)).first() or FormItem(code=code)
    row.section, row.label_zh, row.label_en, row.kind = section, zh, en, kind
    row.options = json.dumps(options, ensure_ascii=False) if options is not None else None
    row.required, row.active, row.sort = bool(required), bool(active), int(sort)
    if row.id is not None:
        row.version = (row.version or 1) + 1
    session.add(row)
    session.flush()
    audit.write(session, actor.username, "form.item_save", "form_item", code,
                {"section": section, "kind": kind, "required": bool(required), "active": bool(active)}
                | ({"reason": reason} if reason else {}), at=now)
    return row


# --- the admin's form screen (issue 13): add, retire / reinstate, reorder; reasons, versions ----

def add_form_item(*, session: Session, user, code: str, section: str, label_zh: str, label_en: str, kind: str,
                  now: datetime, reason: str, options=None, required: bool = False) -> FormItem:
    """A new item at the end of its section; a code already used (even by a retired item) is refused."""
    why = check_reason(reason)
    if isinstance(code, str) and session.exec(select(FormItem.id).where(FormItem.code == code)).first() is not None:
        raise ValidationError("code", "unit_taken", {"value": code})
    last = max((i.sort for i in session.exec(select(FormItem).where(FormItem.section == section)).all()), default=0)
    return save_form_item(session=session, user=user, code=code, section=section, label_zh=label_zh,
                          label_en=label_en, kind=kind, now=now, options=options, required=required, active=True,
                          sort=last + 10, reason=why)


def _item_for_edit(session: Session, user, code: str, expected_version: int):
    actor = actor_of(session=session, user=user)
    require_role(actor, "form.edit", FORM_ADMIN_ROLES)
    row = session.exec(select(FormItem).where(FormItem.code == code)).first()
    if row is None:
        raise ValidationError("code", "unknown_item")
    check_version(session, row, expected_version, f"form item {code}")
    return actor, row


def set_item_active(*, session: Session, user, code: str, active: bool, expected_version: int, reason: str,
                    now: datetime) -> FormItem:
    """Retire (``active=False``) or reinstate an item. A retired item leaves the form; the answers
    already given to it stay in ``visit_answer`` untouched."""
    why = check_reason(reason)
    actor, row = _item_for_edit(session, user, code, expected_version)
    if bool(row.active) == bool(active):
        raise ValidationError("active", "unchanged")
    row.active, row.version = bool(active), row.version + 1
    session.add(row)
    session.flush()
    audit.write(session, actor.username, "form.item_retire" if not active else "form.item_reinstate", "form_item",
                code, {"reason": why}, at=now)
    return row


def _move(session: Session, rows: list, row, step: int) -> list[str]:
    """Move ``row`` ``step`` places among ``rows`` (an ordered list it is in), renumber them 10, 20, …
    and bump its version; returns the codes in their new order."""
    pos = next((n for n, r in enumerate(rows) if r.code == row.code), None)
    if pos is None or not 0 <= pos + step < len(rows):
        raise ValidationError("step", "range", {"min": 1, "max": len(rows)})
    rows[pos], rows[pos + step] = rows[pos + step], rows[pos]
    for n, r in enumerate(rows, start=1):
        if r.sort != n * 10:
            r.sort = n * 10
            session.add(r)
    row.version += 1
    session.add(row)
    session.flush()
    return [r.code for r in rows]


def move_item(*, session: Session, user, code: str, step: int, expected_version: int, reason: str,
              now: datetime) -> list[str]:
    """Move an item ``step`` places (−1 up, +1 down) among the active items of its section; the
    section is renumbered 10, 20, … Returns the section's codes in their new order."""
    why = check_reason(reason)
    if step not in (-1, 1):
        raise ValidationError("step", "choice", {"options": [-1, 1]})
    actor, row = _item_for_edit(session, user, code, expected_version)
    order = _move(session, [i for i in load_form(session=session) if i.section == row.section], row, step)
    audit.write(session, actor.username, "form.item_move", "form_item", code,
                {"section": row.section, "order": order, "reason": why}, at=now)
    return order


# --- need categories (the admin's list; a need's category is stored as its code) ---------------------

NEED_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def need_categories(*, session: Session, include_inactive: bool = False) -> list[NeedCategory]:
    """The categories the form offers, in the admin's order (with the retired ones if asked)."""
    q = select(NeedCategory)
    if not include_inactive:
        q = q.where(NeedCategory.active.is_(True))
    return list(session.exec(q.order_by(NeedCategory.sort, NeedCategory.code)).all())


def add_need_category(*, session: Session, user, code: str, name_zh: str, name_en: str, reason: str,
                      now: datetime) -> NeedCategory:
    """A new category at the end of the list; a code already used (even by a retired one) is refused."""
    why = check_reason(reason)
    actor = actor_of(session=session, user=user)
    require_role(actor, "form.edit", FORM_ADMIN_ROLES)
    code = code.strip() if isinstance(code, str) else code
    if not isinstance(code, str) or not NEED_CODE_RE.match(code):
        raise ValidationError("code", "format")
    if session.get(NeedCategory, code) is not None:
        raise ValidationError("code", "unit_taken", {"value": code})
    zh = checked_text("name_zh", name_zh, 80, required=True)
    en = checked_text("name_en", name_en, 120, required=True)
    last = max((c.sort for c in need_categories(session=session, include_inactive=True)), default=0)
    row = NeedCategory(code=code, name_zh=zh, name_en=en, sort=last + 10, active=True, version=1)
    session.add(row)
    session.flush()
    audit.write(session, actor.username, "need_category.add", "need_category", code,
                {"name_zh": zh, "name_en": en, "reason": why}, at=now)
    return row


def _category_for_edit(session: Session, user, code: str, expected_version: int):
    actor = actor_of(session=session, user=user)
    require_role(actor, "form.edit", FORM_ADMIN_ROLES)
    row = session.get(NeedCategory, code)
    if row is None:
        raise ValidationError("code", "unknown_item")
    check_version(session, row, expected_version, f"need category {code}")
    return actor, row


def set_need_category_active(*, session: Session, user, code: str, active: bool, expected_version: int,
                             reason: str, now: datetime) -> NeedCategory:
    """Retire or reinstate a category: a retired one leaves the form; needs that have it keep it."""
    why = check_reason(reason)
    actor, row = _category_for_edit(session, user, code, expected_version)
    if bool(row.active) == bool(active):
        raise ValidationError("active", "unchanged")
    row.active, row.version = bool(active), row.version + 1
    session.add(row)
    session.flush()
    audit.write(session, actor.username, "need_category.retire" if not active else "need_category.reinstate",
                "need_category", code, {"reason": why}, at=now)
    return row


def move_need_category(*, session: Session, user, code: str, step: int, expected_version: int, reason: str,
                       now: datetime) -> list[str]:
    """Move a category ``step`` places (−1 up, +1 down) among the active ones (renumbered 10, 20, …)."""
    why = check_reason(reason)
    if step not in (-1, 1):
        raise ValidationError("step", "choice", {"options": [-1, 1]})
    actor, row = _category_for_edit(session, user, code, expected_version)
    order = _move(session, need_categories(session=session), row, step)
    audit.write(session, actor.username, "need_category.move", "need_category", code,
                {"order": order, "reason": why}, at=now)
    return order
