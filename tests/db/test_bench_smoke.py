"""The benchmarks run (at scale S, one repeat) and write JSON; the KPI benchmark's two paths agree.

Numbers are not judged here (speed belongs in `make bench`); this keeps bench/ from rotting.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmarks_run_at_small_scale_and_write_json(tmp_path):
    env = {**os.environ, "BENCH_SCALE": "S", "BENCH_REPEATS": "1", "BENCH_RESULTS": str(tmp_path),
           "BENCH_EVENTS_ROWS": "20000",
           "APP_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.run([sys.executable, "-m", "bench", "kpis", "map", "officer", "events"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    kpis = json.loads((tmp_path / "kpis.json").read_text())
    assert "error" not in kpis
    assert kpis["scale"] == "S" and kpis["rows"]["visit"] > 0
    assert kpis["mismatches"] == []  # rollup KPIs == the same KPIs counted from raw records
    officer = json.loads((tmp_path / "officer.json").read_text())
    assert officer["visits_written"] == officer["submitted"] == 1
    for crew in officer["concurrent_submit"].values():  # four officers at once: nothing lost, nothing refused
        assert crew["errors"] == [] and crew["officers"] >= 2 and crew["submitted"] == crew["officers"] * 5
    sqlite = officer["concurrent_submit_sqlite"]  # the same on SQLite, the `make run` default (issue 17)
    assert sqlite["scale"] == "S"
    for name in ("same_district", "different_districts"):
        crew = sqlite[name]
        assert crew["errors"] == [] and crew["officers"] >= 2 and crew["submitted"] == crew["officers"] * 5
    events = json.loads((tmp_path / "events.json").read_text())
    assert "error" not in events and events["events_written"] == events["submitted"] == 1
    # topped up to 20,000 events before measuring, and the time-limit indicators were computed
    assert events["rows_before"]["grid_event"] == 20000 and events["events_topup"]["added"] > 0
    assert set(events["indicators"]) == {"deepening", "2026-11"}
    mp = json.loads((tmp_path / "map.json").read_text())
    assert "error" not in mp and mp["city"]["payload_bytes"] > 0
