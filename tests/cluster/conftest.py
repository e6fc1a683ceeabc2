"""The `make cluster` topology on free ports in a temp folder: PostgreSQL primary + streaming replica
holding the tiny city (tests/app/tiny_city.py), three app replicas, nginx in front."""
from __future__ import annotations

import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for sub in ("tests/e2e", "tests/app"):
    if str(ROOT / sub) not in sys.path:
        sys.path.insert(0, str(ROOT / sub))


def _free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.fixture(scope="module")
def cluster():
    from tiny_city import TODAY, build_city

    from deploy.cluster import Cluster

    base = Path(tempfile.mkdtemp(prefix="gp-cluster-"))
    os.chmod(base, 0o755)
    pg, rep, http, *apps = _free_ports(6)
    c = Cluster(base=base, pg_port=pg, replica_port=rep, app_ports=tuple(apps), http_port=http, scale="S",
                extra_env={"APP_FAKE_NOW": TODAY, "COOKIE_KEY": "cluster-cookie-key", "APP_SECRET_KEY": "cluster-key"})
    try:
        c.start_postgres()
        from data_access.core import db as dbmod

        eng = dbmod.make_engine(c.url())
        dbmod.migrate(eng)
        eng.dispose()
        build_city(c.url())  # the database is not empty: `seed` leaves the tiny city as it is
        c.start()
        yield c
    finally:
        c.stop()
        import shutil

        if not os.environ.get("KEEP_CLUSTER"):
            shutil.rmtree(base, ignore_errors=True)
