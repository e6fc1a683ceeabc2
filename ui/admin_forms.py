"""Small helpers shared by the account screens (用户管理, 我的账号): the password policy checked
before a write, error texts with the field name, one-shot success messages, fresh form widgets."""
from __future__ import annotations

from datetime import datetime

import streamlit as st

from data_access.core.errors import ValidationError
from data_access.org import accounts

from . import flash as flashes
from . import format as fmt
from .errors import message
from .i18n import CATALOGUE, lang, t


def when(at: datetime | None) -> str:
    """A timestamp to the minute ("2026-03-15 10:05"); "—" for none."""
    return fmt.NONE if at is None else at.strftime("%Y-%m-%d %H:%M")


def table_height(rows: int, max_rows: int = 10) -> int:
    return 38 + 35 * max(1, min(rows, max_rows))


def _readable(err: ValidationError) -> ValidationError:
    """Role and level codes in an error's params as words of the current language."""
    if err.code == "level_for_role":
        params = dict(err.params)
        params["role"] = t("role." + str(params.get("role")))
        params["levels"] = [t("level." + str(lv)) for lv in params.get("levels", ())]
        return ValidationError(err.field, err.code, params)
    return err


def error_text(err: Exception) -> str:
    """``ui.errors.message`` prefixed by the field's label when the error names a known field."""
    if isinstance(err, ValidationError):
        err = _readable(err)
        key = f"admin.field.{err.field}"
        if key in CATALOGUE:
            return t("error.field_prefix", field=t(key), message=message(err))
    return message(err)


def policy_text() -> str:
    return t("admin.password_policy", min=accounts.PASSWORD_MIN, max_bytes=accounts.PASSWORD_MAX_BYTES)


def password_errors(field: str, pw: str, again: str) -> list[str]:
    """Messages for a new password typed twice (empty: acceptable), before anything is written."""
    params = {"min": accounts.PASSWORD_MIN, "max": accounts.PASSWORD_MAX_BYTES,
              "length": len((pw or "").encode("utf-8"))}
    out = [error_text(ValidationError(field, code, params)) for code in accounts.password_problems(pw)]
    if pw != again:
        out.append(t("admin.password_mismatch"))
    return out


def user_errors(username: str, display_name: str) -> list[str]:
    """The new-user rules of data_access.org.accounts, checked before the write."""
    out = []
    name = (username or "").strip().lower()
    if not name:
        out.append(error_text(ValidationError("username", "required")))
    elif not accounts.USERNAME_RE.match(name):
        out.append(error_text(ValidationError("username", "format")))
    display = (display_name or "").strip()
    if not display:
        out.append(error_text(ValidationError("display_name", "required")))
    elif len(display) > 80:
        out.append(error_text(ValidationError("display_name", "too_long", {"max": 80, "length": len(display)})))
    return out


def flash(prefix: str, text: str) -> None:
    """Keep a success message for the next run (the page reruns after a write)."""
    flashes.keep(prefix, "success", text)


def show_flash(prefix: str) -> None:
    flashes.show(prefix)


def nonce(name: str) -> int:
    """A counter in the widget keys of a form: bumping it gives empty widgets on the next run (and a
    second click on the old button, e.g. a double click, no longer matches any button)."""
    return int(st.session_state.get(f"{name}_nonce", 0))


def bump(name: str) -> None:
    st.session_state[f"{name}_nonce"] = nonce(name) + 1


def colon() -> str:
    return "：" if lang() == "zh" else ": "
