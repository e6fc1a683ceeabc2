"""Encryption at rest for ID numbers and phones, keyed lookup hashes, and masking.

The key comes from APP_SECRET_KEY or from ``APP_DATA_DIR/secret.key`` (created with mode 0600
on first run). Fernet (AES-128-CBC + HMAC) encrypts; HMAC-SHA256 with a derived key gives an
exact-match lookup hash that does not reveal the number.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet

from data_access.core.settings import get_settings, key_file


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[Fernet, bytes]:
    master = hashlib.sha256(("enc:" + secret).encode()).digest()
    mac = hashlib.sha256(("mac:" + secret).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(master)), mac


def _secret() -> str:
    return _secret_for(get_settings())


@lru_cache(maxsize=4)
def _secret_for(settings) -> str:
    """The key for these settings, read once (the key file is not re-read on every call)."""
    return settings.secret_key or key_file("secret.key")


def encrypt(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    return _keys(_secret())[0].encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str | None) -> str | None:
    if token is None:
        return None
    return _keys(_secret())[0].decrypt(token.encode("ascii")).decode("utf-8")


def lookup_hash(value: str | None) -> str | None:
    """Keyed hash for exact lookup (ID numbers are normalised: trimmed, upper case)."""
    if not value:
        return None
    norm = value.strip().upper()
    return hmac.new(_keys(_secret())[1], norm.encode("utf-8"), hashlib.sha256).hexdigest()


def derived_key(purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` (e.g. signing cached results), derived from the app secret."""
    return hashlib.sha256(f"{purpose}:".encode() + _secret().encode()).digest()


def mask_name(name: str | None) -> str:
    """张三丰 → 张**; one character stays one character plus *."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(value: str | None) -> str | None:
    """110101199003071234 → 110***********1234 (first 3 and last 4 kept)."""
    if not value:
        return None
    v = value.strip()
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_phone(value: str | None) -> str | None:
    """13812345678 → 138****5678."""
    if not value:
        return None
    v = value.strip()
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]
