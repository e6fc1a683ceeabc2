"""Import of one large interchange file: peak memory (issue 17: a 52 MB CSV took 2.7 GB).

Writes a folder with a small org tree and a households.csv of about BENCH_IMPORT_MB megabytes
(default 50), then runs ``python -m data_access import`` on a fresh SQLite database in a child
process and records its wall time and peak resident memory (ru_maxrss); a second child imports
the same file with APP_IMPORT_MAX_MB below its size and must be refused (the cap). Nothing is
asserted: numbers are recorded.
"""
from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _write_set(d: Path, megabytes: float) -> tuple[int, int]:
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "orgunits.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["code", "parent_code", "level", "name_zh", "name_en", "pilot"])
        w.writerow(["C01", "", "city", "测试市", "Test City", "0"])
        w.writerow(["D01", "C01", "district", "一区", "District 1", "1"])
        w.writerow(["S01", "D01", "station", "一所", "Station 1", "0"])
        w.writerow(["M01", "S01", "community", "一社区", "Community 1", "0"])
        for g in range(20):
            w.writerow([f"G{g:02d}", "M01", "grid", f"{g}网格", f"Grid {g}", "0"])
    target = int(megabytes * 1024 * 1024)
    n = 0
    with open(d / "households.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["household_code", "grid_code", "address", "category", "risk_level", "registered_on"])
        while f.tell() < target:
            for _ in range(1000):
                w.writerow([f"H{n:08d}", f"G{n % 20:02d}", f"和平里{n // 40}号楼{n % 40}单元{n % 7}0{n % 9}室",
                            "ordinary", "none", "2023-05-10"])
                n += 1
    return n, (d / "households.csv").stat().st_size


def _child(folder: Path, data_dir: Path, env_extra: dict) -> dict:
    env = {**os.environ, "APP_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), **env_extra}
    env.pop("DATABASE_URL", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "data_access", "import", str(folder)], cwd=ROOT, env=env,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"exit_code": p.returncode, "wall_s": round(wall, 2),
            # RUSAGE_CHILDREN is the largest child so far: the first child is measured alone
            "peak_rss_mb": round(peak_kb / 1024, 1) if peak_kb > before else None,
            "stderr_tail": p.stderr.strip().splitlines()[-2:]}


def run() -> dict:
    mb = float(os.environ.get("BENCH_IMPORT_MB", "50"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "set"
        rows, size = _write_set(folder, mb)
        imported = _child(folder, Path(tmp) / "data1", {"APP_IMPORT_MAX_MB": str(max(100.0, mb * 2))})
        refused = _child(folder, Path(tmp) / "data2", {"APP_IMPORT_MAX_MB": str(max(1.0, mb / 2))})
    return {"households_rows": rows, "file_mb": round(size / 1048576, 1), "import": imported,
            "peak_rss_per_file_mb": (round(imported["peak_rss_mb"] / (size / 1048576), 1)
                                     if imported["peak_rss_mb"] else None),
            "over_limit": {"exit_code": refused["exit_code"], "message": refused["stderr_tail"]}}
