"""Demo generation rate (``make bench``; numbers are recorded, not judged).

* the scale of ``BENCH_SCALE`` (default M, the ``make run`` default) on a fresh SQLite file —
  the issue's budget for M is 60 s on this 2-core machine;
* unless BENCH_SCALE=S: a smoke of scale L on a throwaway PostgreSQL cluster (COPY path), all
  12,000 grids but only ``BENCH_DEMO_L_FRACTION`` (default 0.02) of the 4M households, to get
  a rows/s rate without spending half an hour (set it to 1 for the full L).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

AS_OF = date(2026, 11, 25)
SEED = 7
TABLES = ("org_unit", "app_user", "household", "resident", "risk_change", "visit", "need", "spot_check")


@contextmanager
def _bench_key():
    """A throwaway encryption key, so the bench never touches a real key file."""
    from data_access.core.settings import reset_settings

    old = os.environ.get("APP_SECRET_KEY")
    if not old:
        os.environ["APP_SECRET_KEY"] = "bench-only-key"
        reset_settings()
    try:
        yield
    finally:
        if not old:
            os.environ.pop("APP_SECRET_KEY", None)
            reset_settings()


def _summary(backend: str, res, fraction: float = 1.0) -> dict:
    rows = sum(res.counts.get(t, 0) for t in TABLES)
    s = max(res.seconds, 1e-9)
    return {
        "backend": backend, "scale": res.scale, "fraction": fraction, "seconds": round(res.seconds, 2),
        "rows": rows, "rows_per_s": round(rows / s), "households_per_s": round(res.counts["household"] / s),
        "visits_per_s": round(res.counts["visit"] / s), "counts": res.counts,
    }


def run_sqlite(scale: str) -> dict:
    from data_access.core import db as dbmod
    from data_access.demo.city import generate

    tmp = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    try:
        eng = dbmod.make_engine(f"sqlite:///{tmp / 'app.db'}")
        dbmod.migrate(eng)
        t0 = time.process_time()
        res = generate(eng, scale, seed=SEED, as_of=AS_OF)
        out = _summary("sqlite", res)
        out["cpu_s_main_process"] = round(time.process_time() - t0, 2)
        out["db_mb"] = round(sum(p.stat().st_size for p in tmp.iterdir()) / 1e6, 1)
        eng.dispose()
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_pg_l(fraction: float) -> dict:
    from data_access.core import db as dbmod
    from data_access.demo.city import generate
    from pg import PgCluster  # tests/pg.py (bench/__main__ puts tests/ on sys.path)

    cluster = PgCluster().start()
    try:
        eng = dbmod.make_engine(cluster.create_db("bench_demo"))
        dbmod.migrate(eng)
        res = generate(eng, "L", seed=SEED, as_of=AS_OF, fraction=fraction)
        eng.dispose()
        return _summary("postgresql", res, fraction)
    finally:
        cluster.stop()


def run() -> dict:
    scale = os.environ.get("BENCH_SCALE", "M")
    out: dict = {"as_of": AS_OF.isoformat(), "seed": SEED}
    with _bench_key():
        if scale == "L":
            out["l_postgresql"] = run_pg_l(float(os.environ.get("BENCH_DEMO_L_FRACTION", "1")))
            return out
        out["sqlite"] = run_sqlite(scale)
        if scale != "S":
            try:
                out["l_postgresql"] = run_pg_l(float(os.environ.get("BENCH_DEMO_L_FRACTION", "0.02")))
            except Exception as exc:  # no PostgreSQL here: record it, keep the SQLite numbers
                out["l_postgresql"] = {"error": repr(exc)}
    return out


if __name__ == "__main__":
    import json
    import sys

    root = Path(__file__).resolve().parent.parent
    sys.path[:0] = [str(root), str(root / "tests")]
    print(json.dumps(run(), ensure_ascii=False, indent=2))
