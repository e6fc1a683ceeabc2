"""A login cookie issued before the user's last sign-out no longer signs anyone in (the browser
deletes its cookie after sign-out, but a reload can come first). Times worked out by hand."""
from __future__ import annotations

from datetime import datetime, timezone

from data_access.org.users import cookie_issued_utc, session_ended


def cookie_revoked(exp_date: float, expiry_days: float, signed_out: datetime | None) -> bool:
    """What ui.auth.session_ended decides for a session signed in by a cookie: it began when the
    cookie was issued, and ended if the user's sessions were ended at or after that."""
    return session_ended(cookie_issued_utc(exp_date, expiry_days), signed_out)


def epoch(*args) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


def test_cookie_from_before_the_sign_out_is_revoked():
    # issued 2026-11-25 08:00 UTC for half a day: expires 20:00 UTC
    exp = epoch(2026, 11, 25, 20, 0)
    assert cookie_revoked(exp, 0.5, datetime(2026, 11, 25, 9, 30)) is True   # signed out after issue
    assert cookie_revoked(exp, 0.5, datetime(2026, 11, 25, 8, 0)) is True    # the same second
    assert cookie_revoked(exp, 0.5, datetime(2026, 11, 25, 7, 59)) is False  # signed out before: new cookie
    assert cookie_revoked(exp, 0.5, None) is False                           # never signed out


def test_issue_time_is_expiry_minus_lifetime():
    exp = epoch(2026, 1, 2, 0, 0)  # a 1-day cookie issued 2026-01-01 00:00 UTC
    assert cookie_revoked(exp, 1.0, datetime(2025, 12, 31, 23, 59, 59)) is False
    assert cookie_revoked(exp, 1.0, datetime(2026, 1, 1, 0, 0, 1)) is True
