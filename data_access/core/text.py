"""Free-text fields: one rule for every form and service (NFC, no control/bidi/private characters, length)."""
from __future__ import annotations

import unicodedata

from data_access.core.errors import ValidationError

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_ALLOWED_CC = {"\n", "\t"}


def clean_text(fieldname: str, value, max_len: int) -> tuple[str | None, ValidationError | None]:
    """NFC-normalise and strip ``value``; refuse non-strings, control, surrogate, private-use,
    unassigned and bidi-override characters, and text longer than ``max_len`` characters."""
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, ValidationError(fieldname, "type", {"expected": "text"})
    v = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    # printable text holds none of the refused categories (control, format, surrogate, private,
    # unassigned): only text that is not needs the character-by-character check
    for ch in ("" if v.isprintable() else v):
        cat = unicodedata.category(ch)
        if (cat == "Cc" and ch not in _ALLOWED_CC) or cat in ("Cs", "Co", "Cn") or ch in _BIDI:
            return None, ValidationError(fieldname, "bad_character", {"codepoint": f"U+{ord(ch):04X}"})
    if len(v) > max_len:
        return None, ValidationError(fieldname, "too_long", {"max": max_len, "length": len(v)})
    return v, None


def checked_text(fieldname: str, value, max_len: int, required: bool = False) -> str | None:
    """``clean_text`` for one field of a service call: raise its error (or "required"), else the text or None."""
    v, err = clean_text(fieldname, value, max_len)
    if err is not None:
        raise err
    if required and not v:
        raise ValidationError(fieldname, "required")
    return v or None


REASON_MAX = 500


def check_reason(reason) -> str:
    """The reason an admin gives for a configuration change: required, clean text, ≤ REASON_MAX characters."""
    return checked_text("reason", reason, REASON_MAX, required=True)
