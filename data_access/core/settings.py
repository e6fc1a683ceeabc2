"""One settings object for the app, the CLI, Alembic and the tests.

Values come from the environment (and, for the Streamlit app, from
``st.secrets`` copied into the environment by ``ui.auth`` before first use).
Nothing here imports Streamlit.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    database_read_url: str | None  # DATABASE_READ_URL: a streaming replica for the dashboards' reads
    secret_key: str | None  # APP_SECRET_KEY; if None a key file in data_dir is used
    cookie_key: str | None  # COOKIE_KEY for the login cookie; if None a key file is used
    audit_key: str | None = None  # AUDIT_KEY keying the audit chain; if None the key file audit.key

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _default_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'app.db').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = Path(os.environ.get("APP_DATA_DIR", "./data")).resolve()
    url = os.environ.get("DATABASE_URL") or _default_url(data_dir)
    return Settings(
        data_dir=data_dir,
        database_url=url,
        database_read_url=os.environ.get("DATABASE_READ_URL") or None,
        secret_key=os.environ.get("APP_SECRET_KEY") or None,
        cookie_key=os.environ.get("COOKIE_KEY") or None,
        audit_key=os.environ.get("AUDIT_KEY") or None,
    )


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()


def key_file(name: str, nbytes: int = 32) -> str:
    """Return the hex key stored in ``data_dir/name``, creating it (mode 0600) on first use."""
    s = get_settings()
    s.data_dir.mkdir(parents=True, exist_ok=True)
    path = s.data_dir / name
    if not path.exists():
        value = secrets.token_hex(nbytes)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
    return path.read_text().strip()
