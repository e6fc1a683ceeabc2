"""`make bench`: run the benchmarks and write one JSON file per benchmark under bench/results/.

    python -m bench                 # all benchmarks at their default scales
    python -m bench demo kpis       # only these
    BENCH_SCALE=S python -m bench   # smaller scale (used by the smoke test)

Benchmarks that need PostgreSQL start a throwaway cluster from the installed server binaries
(tests/pg.py). Nothing here asserts a time: numbers are recorded, not judged.
"""
from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results"))
BENCHES = {
    "demo": "bench.bench_demo",
    "kpis": "bench.bench_kpis",
    "officer": "bench.bench_officer",
    "map": "bench.bench_map",
    "render": "bench.bench_render",
    "events": "bench.bench_events",
    "load": "bench.bench_load",
    "import": "bench.bench_import",
}


def machine() -> dict:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "python_loop_ms": python_loop_ms()}


def python_loop_ms() -> float:
    """How fast this machine ran Python just now: the best of 5 of ``sum(range(10**6))``, in ms. A
    VM's speed varies from day to day (the same load run went from p95 5 s to 10 s on a slower
    day): compare results taken at a similar figure, or run the versions back to back."""
    return round(min(timeit.repeat("sum(range(10**6))", number=10, repeat=5)) / 10 * 1000, 1)


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip() + "\n\nbenchmarks: " + " ".join(BENCHES))
        return 0
    unknown = [a for a in argv if a not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s): {' '.join(unknown)}; choose from: {' '.join(BENCHES)}", file=sys.stderr)
        return 2
    names = argv or list(BENCHES)
    RESULTS.mkdir(parents=True, exist_ok=True)
    rc = 0
    for name in names:
        mod = importlib.import_module(BENCHES[name])
        box = machine()  # before the run: the loop is timed on an idle machine
        t0 = time.perf_counter()
        try:
            result = mod.run()
        except Exception as exc:  # record the failure, keep going with the others
            result = {"error": repr(exc)}
            rc = 1
        result = {"benchmark": name, "at": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": box,
                  "wall_s": round(time.perf_counter() - t0, 2), **result}
        out = RESULTS / f"{name}.json"
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
        print(f"{name}: {out}")
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return rc


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    sys.exit(main(sys.argv[1:]))
