"""Local time (Asia/Shanghai) as naive datetimes, the way the database stores it."""
from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

from data_access.core.settings import TIMEZONE


def now_local() -> datetime:
    """Current local time; APP_FAKE_NOW (ISO) freezes it for tests and demos."""
    fake = os.environ.get("APP_FAKE_NOW")
    if fake:
        return datetime.fromisoformat(fake)
    return datetime.now(ZoneInfo(TIMEZONE)).replace(tzinfo=None, microsecond=0)


def today_local() -> date:
    return now_local().date()
