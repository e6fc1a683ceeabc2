"""Named errors of the data layer: record rules, lookups, optimistic locking and the workflow
services (needs, accounts, residents, visit form, worklist).

They carry *codes*, not UI strings: the UI maps ``(field, code, params)`` to a Chinese or
English message from its catalogue (e.g. ``ui.i18n``: ``err.<code>``), so one error reads
well in both languages and tests can compare codes.
"""
from __future__ import annotations

# The database's own failures (an outage, a restart, a read-only or full disk), under the data
# layer's name: pages catch this one type without importing SQLAlchemy (ui.errors.db_problem tells
# the kinds apart).
from sqlalchemy.exc import DBAPIError as DatabaseError  # noqa: F401


class RecordError(ValueError):
    """A record breaks a rule (message names the field and the reason)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(LookupError):
    """The record asked for does not exist (or is outside the caller's reach)."""


class ConcurrentEdit(RuntimeError):
    """The record was changed by someone else since it was read (optimistic locking)."""


class ValidationError(RecordError):
    """One field breaks one rule: ``field`` (e.g. "visited_at", "answers.hz_fire"), ``code``
    (e.g. "future", "required", "too_long") and ``params`` for the message (e.g. {"max": 500})."""

    def __init__(self, field: str, code: str, params: dict | None = None):
        super().__init__(field, code)
        self.code = code
        self.params = dict(params or {})

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "params": self.params}

    def __eq__(self, other) -> bool:
        return isinstance(other, ValidationError) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash((self.field, self.code))

    def __repr__(self) -> str:
        return f"ValidationError({self.field!r}, {self.code!r}, {self.params!r})"


class FormInvalid(ValueError):
    """A whole form was refused; ``errors`` lists every ValidationError found (nothing written)."""

    def __init__(self, errors: list[ValidationError]):
        super().__init__("; ".join(f"{e.field}: {e.code}" for e in errors))
        self.errors = list(errors)


class PermissionDenied(PermissionError):
    """The user's role or scope does not allow this. ``code``: e.g. "role", "scope", "inactive"."""

    def __init__(self, action: str, code: str = "role", params: dict | None = None):
        super().__init__(f"{action}: {code}")
        self.action = action
        self.code = code
        self.params = dict(params or {})


class InvalidTransition(ValueError):
    """A need (or complaint) cannot take this step from its current status."""

    def __init__(self, action: str, status: str):
        super().__init__(f"{action} not allowed from status {status!r}")
        self.action = action
        self.status = status
        self.code = "invalid_transition"
        self.params = {"action": action, "status": status}


# Every code the workflow services raise, with the params it carries, so the UI catalogue can
# cover them all (a test can check ``set(ERROR_CODES) <= catalogue keys``). Password-policy
# codes (too_short/too_long/needs_letter/needs_digit) come from ``accounts.password_problems``.
ERROR_CODES: dict[str, tuple[str, ...]] = {
    # generic field rules
    "required": (), "format": (), "type": ("expected",), "choice": ("options",), "range": ("min", "max"),
    "too_long": ("max", "length"), "too_short": ("min",), "too_many": ("max",), "too_large": ("max",),
    "bad_character": ("codepoint",), "timezone": (), "unknown": ("value",), "invalid": (),
    "future": (), "not_future": (),
    # visit form
    "too_old": ("days",), "required_late": ("hours",), "after_visit": (),
    "night_needs_appointment": ("lead_hours", "justification_min", "window"), "unknown_item": (),
    "not_editable": (),
    # needs, complaints, appointments, risk levels
    "invalid_transition": ("action", "status"), "before_created": (), "before_received": (),
    "out_of_scope": (), "not_planned": ("status",), "unchanged": (),
    # grid events and hazards
    "no_hazard": (),
    # staff roster, office hours (issue 14, staffing)
    "officer_only": (), "not_certified": (), "lead_taken": (), "lead_needs_certified_officer": (),
    "before_start": (), "same_day": (),
    # accounts
    "wrong": (), "same_as_old": (), "taken": (), "self": (), "last_admin": (), "level_for_role": ("role", "levels"),
    "needs_letter": (), "needs_digit": (), "bad_credentials": (), "inactive": (),
    "locked": ("until", "minutes", "threshold", "window_minutes"),
    # reported values (data entry)
    "range_min": ("min",), "not_ended": (), "period_locked": ("date",), "approved_locked": (), "level_for_indicator": ("level",),
    "pilot_only": (), "no_approval": (),
    # the admin's configuration (programme.config, org.units, org.boundaries)
    "overlap": ("other",), "sum": ("sum", "expected"), "duplicate": ("value",),
    # assisted persons (assistance.services)
    "not_officer": (), "already_registered": (), "duplicate_record": (), "not_yet": (), "before_registration": (),
    "unknown_phase": ("value", "row", "col"), "unknown_unit": ("value", "row", "col"),
    "not_number": ("value", "row", "col"), "level_for_parent": ("level",), "unit_taken": ("value",), "after_current": ("month",),
    # PermissionDenied codes
    "role": ("role",), "scope": (), "token": (),
}
