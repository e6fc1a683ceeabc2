"""The time limits of ``shared/spec/indicators.md`` "Time-limited work": minutes per tier, stored
as the app_setting ``time_limits`` (admin-editable) over the plans' defaults.

A need runs on the ``need`` tier (48 h, seed 000) unless its category puts it on another tier:
a one-button alarm (``emergency_alarm``, 紧急求助) runs on the ``emergency`` tier (5 min, seed
001 §5.3). A case keeps the limit in force when it was created (its due time is stored)."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session

from data_access.core.models import Setting

DEFAULT_LIMITS_MIN: dict[str, float] = {
    "emergency": 5, "urgent": 15, "general": 120, "need": 48 * 60,
    "hazard_general": 24 * 60, "hazard_major": 48 * 60,
}
LIMIT_SOURCES = {
    "emergency": "seed 001 §5.3", "urgent": "seed 002 §5.2", "general": "seeds 001, 002",
    "need": "seed 000", "hazard_general": "seed 002 §3.1, §3.3", "hazard_major": "seed 002 §3.1, §3.3",
}
DEFAULT_LIMITS: dict[str, timedelta] = {k: timedelta(minutes=v) for k, v in DEFAULT_LIMITS_MIN.items()}
# need category → tier (every other category: "need")
NEED_CATEGORY_TIER = {"emergency_alarm": "emergency"}


def limits(*, session: Session) -> dict[str, timedelta]:
    """The time limits in force: app_setting ``time_limits`` (minutes per tier) over the defaults."""
    merged = dict(DEFAULT_LIMITS_MIN)
    row = session.get(Setting, "time_limits")
    if row is not None:
        try:
            stored = json.loads(row.value)
            merged.update({k: float(v) for k, v in stored.items() if k in merged and float(v) > 0})
        except (TypeError, ValueError, AttributeError):
            pass
    return {k: timedelta(minutes=v) for k, v in merged.items()}


def need_tier(category: str | None) -> str:
    return NEED_CATEGORY_TIER.get(category or "", "need")


def need_limit(category: str | None, lim: dict[str, timedelta] | None = None) -> timedelta:
    """The response limit of a need of ``category`` under the limits ``lim`` (default: the plans')."""
    return (lim or DEFAULT_LIMITS)[need_tier(category)]
