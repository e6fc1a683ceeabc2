"""Password hashing (bcrypt). Import, demo and the login all use these two functions."""
from __future__ import annotations

import bcrypt

ROUNDS = 12


def hash_password(plain: str, rounds: int = ROUNDS) -> str:
    if not plain:
        raise ValueError("empty password")
    return bcrypt.hashpw(plain.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(plain: str, hashed: str | None) -> bool:
    if not plain or not hashed:
        return False
    try:
        return bcrypt.checkpw(plain.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False
