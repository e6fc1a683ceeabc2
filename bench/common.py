"""One throwaway PostgreSQL cluster and one demo city per benchmark process.

``make bench`` runs every benchmark in one process; the first that calls ``demo_db()`` starts the
cluster (tests/pg.py) and generates the demo city at BENCH_SCALE (default L) as of BENCH_AS_OF,
the others reuse it (generating L once takes long enough). The cluster stops at exit.

BENCH_DATABASE_URL points the benchmarks at a database that already holds a demo city (generated
with ``python -m data_access demo --scale L --as-of BENCH_AS_OF``): no cluster is started and
nothing is generated, so the benchmarks can be rerun after a change without regenerating L.
The database is migrated first; its scale is read from the number of grids.
"""
from __future__ import annotations

import atexit
import os
import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Engine

TABLES = ("org_unit", "household", "visit", "need", "spot_check", "rollup")


@dataclass
class DemoDb:
    scale: str
    as_of: date
    url: str
    generate_s: float

    @property
    def engine(self) -> Engine:
        from data_access.core import db as dbmod

        return dbmod.get_engine(self.url)

    def counts(self, tables=TABLES) -> dict[str, int]:
        with self.engine.connect() as c:
            return {t: c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables}

    def code(self, sql: str, **params) -> str:
        with self.engine.connect() as c:
            return c.execute(text(sql), params).scalar_one()

    def info(self) -> dict:
        return {"scale": self.scale, "as_of": self.as_of.isoformat(), "generate_s": round(self.generate_s, 1),
                "rows": self.counts()}


_DB: DemoDb | None = None


def demo_db() -> DemoDb:
    """The process's demo database on PostgreSQL (generated on first use)."""
    global _DB
    if _DB is not None:
        return _DB
    from data_access.core import db as dbmod
    from data_access.core.settings import reset_settings
    from data_access.demo.city import cli_demo
    from pg import PgCluster

    scale = os.environ.get("BENCH_SCALE", "L")
    as_of = date.fromisoformat(os.environ.get("BENCH_AS_OF", "2026-11-20"))
    existing = os.environ.get("BENCH_DATABASE_URL")
    if existing:
        os.environ["DATABASE_URL"] = existing
        reset_settings()
        dbmod.dispose_engines()
        dbmod.migrate()
        _DB = DemoDb(_scale_of(existing), as_of, existing, 0.0)
        return _DB
    cluster = PgCluster().start()
    atexit.register(cluster.stop)
    atexit.register(dbmod.dispose_engines)
    url = cluster.create_db("bench")
    os.environ["DATABASE_URL"] = url
    reset_settings()
    dbmod.dispose_engines()
    dbmod.migrate()
    t0 = time.perf_counter()
    rc = cli_demo(scale=scale, seed=7, as_of=as_of.isoformat(), if_empty=False)
    if rc != 0:
        raise RuntimeError(f"demo generation failed with exit code {rc}")
    _DB = DemoDb(scale, as_of, url, time.perf_counter() - t0)
    return _DB


def _scale_of(url: str) -> str:
    from data_access.core import db as dbmod
    from data_access.demo.city import SCALES

    with dbmod.get_engine(url).connect() as c:
        grids = c.execute(text("SELECT COUNT(*) FROM org_unit WHERE level = 'grid'")).scalar_one()
    return min(SCALES, key=lambda k: abs(SCALES[k].grids - grids))


def repeats(default: int) -> int:
    return int(os.environ.get("BENCH_REPEATS", str(default)))
