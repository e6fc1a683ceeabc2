"""deploy/docker-compose.yml read as a file (no Docker daemon or image registry here): what the
topology promises — nginx in front of N replicas with the site file `make cluster` uses, health
checks, PostgreSQL on a volume, secrets only from the environment, pools that fit under
max_connections — and what the image leaves out (.dockerignore)."""
from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def _env_default(value: str) -> str:
    """``${NAME:-default}`` → default (the value compose uses when .env does not set it)."""
    m = re.fullmatch(r"\$\{\w+:-([^}]*)\}", str(value))
    assert m, value
    return m.group(1)


def test_services_and_their_order():
    c = _compose()
    assert set(c["services"]) == {"db", "migrate", "app", "nginx"}
    s = c["services"]
    assert s["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert s["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert s["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"
    assert "pgdata:/var/lib/postgresql/data" in s["db"]["volumes"] and "pgdata" in c["volumes"]


def test_health_checks_hit_the_streamlit_and_nginx_health_endpoints():
    s = _compose()["services"]
    assert "/_stcore/health" in " ".join(s["app"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(s["db"]["healthcheck"]["test"])
    nginx_check = " ".join(s["nginx"]["healthcheck"]["test"])
    path = re.search(r"127\.0\.0\.1:\d+(/\S+)", nginx_check).group(1)
    assert f"location = {path} " in (DEPLOY / "nginx" / "gridpolice.conf").read_text()


def test_nginx_uses_the_same_site_file_as_make_cluster_and_every_mount_exists():
    from deploy import cluster

    mounts = _compose()["services"]["nginx"]["volumes"]
    sources = {m.split(":")[0] for m in mounts}
    assert "./nginx/gridpolice.conf" in sources
    assert cluster.NGINX_SITE == DEPLOY / "nginx" / "gridpolice.conf"
    for src in sources:
        assert (DEPLOY / src).is_file(), src
    servers = (DEPLOY / "nginx" / "docker" / "servers.conf").read_text()
    assert re.search(r"^server app:8501\b", servers, re.M)  # the app service: every replica it resolves to


def test_secrets_come_from_the_environment_only():
    c = _compose()
    env = c["services"]["app"]["environment"]
    for key in ("APP_SECRET_KEY", "COOKIE_KEY"):
        assert re.fullmatch(r"\$\{" + key + r":\?[^}]+\}", env[key]), env[key]  # required, never a literal
    assert env["STREAMLIT_SERVER_COOKIE_SECRET"] == "${COOKIE_KEY}"
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
    example = dict(line.split("=", 1) for line in (DEPLOY / "env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    assert example["APP_SECRET_KEY"] == example["COOKIE_KEY"] == example["POSTGRES_PASSWORD"] == ""
    assert "deploy/.env" in (ROOT / ".gitignore").read_text().split()


def test_connection_pools_fit_under_max_connections():
    c = _compose()
    env = c["services"]["app"]["environment"]
    replicas = int(_env_default(c["services"]["app"]["deploy"]["replicas"]))
    per_replica = int(_env_default(env["DB_POOL_SIZE"])) + int(_env_default(env["DB_MAX_OVERFLOW"]))
    cmd = c["services"]["db"]["command"]
    max_conn = int(next(a.split("=", 1)[1] for a in cmd if a.startswith("max_connections=")))
    headroom = 10  # migrate, backup, an operator's psql
    assert replicas * per_replica + headroom <= max_conn
    # and the app reads those two variables
    from data_access.core import db as dbmod

    src = Path(dbmod.__file__).read_text()
    assert "DB_POOL_SIZE" in src and "DB_MAX_OVERFLOW" in src


def _ignored(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.removeprefix("**/")) or
               path.startswith(p.rstrip("/") + "/") for p in patterns)


def test_the_image_leaves_out_data_secrets_and_the_venv():
    patterns = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()
                if ln.strip() and not ln.startswith("#")]
    for path in (".git/config", ".venv/bin/python", "data/bench-cluster-L/pg/primary/PG_VERSION", "app.db",
                 "data/cookie.key", ".streamlit/secrets.toml", "deploy/.env", "tests/conftest.py"):
        assert _ignored(path, patterns), path
    for path in ("app.py", "pages/overview.py", "data_access/core/db.py", "migrations/env.py", "requirements.txt",
                 ".streamlit/config.toml", "deploy/Dockerfile"):
        assert not _ignored(path, patterns), path
