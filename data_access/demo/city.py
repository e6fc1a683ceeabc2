"""The demo city 江城市: a deterministic, story-telling dataset at three scales.

    python -m data_access demo --scale S|M|L [--seed N] [--as-of DATE] [--if-empty]

* S (tests): 3 districts, 150 grids, ~12k households.
* M (``make run``): 16 districts, 1,600 grids, ~160k households, 2023-01 … as_of.
* L (benchmarks, PostgreSQL only): 16 districts, 12,000 grids, 4M households, ~12M visits.

The story: 2023 is the baseline year (accuracy ≈ 82.4 %, need resolution ≈ 61 %, satisfaction
≈ 76.4); three pilot districts start the programme in January 2024, the others in January 2025.
Every district has a "strength" that sets where it ends up: strong ones meet the 2026 targets,
weak ones stay off track. Rentals are checked less accurately than other homes, process
compliance climbs towards 97–99 %, most night visits are booked a day ahead, special-group
households are visited on their cadence, needs near as_of form a backlog (some overdue).
Geography: a blob-shaped city on a jittered lattice around 114.3°E 30.6°N; districts, police
stations and communities are contiguous regions (centroidal Voronoi on the lattice) whose
outlines follow the grid edges, so the grids tile every level exactly. The last weeks before
as_of also get what the officers' screens show: e-form answers, booked night visits, need
histories and a few privacy complaints. Milestones are set done / in progress / late by as_of.

Everything is drawn from ``random.Random(seed)``; the only input besides the seed is as_of
(default today), and nothing happens at or after 00:00 of the as_of day. Rows are written in
bulk (SQLite ``executemany`` / PostgreSQL ``COPY``) inside one transaction, each row's derived
columns filled by ``data_access.fieldwork.derive``; rollups are rebuilt at the end.
"""
from __future__ import annotations

import bisect
import json
import math
import queue
import random
import sys
import threading
import time as _time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from data_access.analytics import rollups
from data_access.core import audit, crypto
from data_access.demo import accountability as accountability_demo
from data_access.demo import assistance as demo_assistance
from data_access.demo import staffing as staffing_demo
from data_access.demo.logins import DEMO_LOGINS
from data_access.demo.names import (
    CITY,
    COMMUNITY_FIRST,
    COMMUNITY_SECOND,
    DISTRICTS,
    GIVEN,
    LOCAL_REGIONS,
    MILESTONE_EVIDENCE,
    MILESTONE_LATE_NOTES,
    NEEDS,
    ORDINALS,
    OTHER_REGIONS,
    PRIVACY_COMPLAINTS,
    RISK_REASONS,
    ROADS,
    STREETS,
    SURNAMES,
    VETO_EVENTS,
)
from data_access.fieldwork.derive import derive_check, derive_household, derive_need, derive_visit, month_of
from data_access.org.passwords import hash_password

START = date(2023, 1, 1)
LON0, LON1 = 114.05, 114.55  # city box (WGS84)
LAT0, LAT1 = 30.42, 30.78
DEMO_USER = "demo"
BATCH = 50_000
NEED_WEIGHTS = [w for _c, w, _t in NEEDS]
NEW_HOUSEHOLD_DAYS = (date(2027, 1, 1) - START).days
INTERVALS = {"red": 7, "yellow": 30, "blue": 30}  # special-group visit cadence (days)
# milestones that slip (late) when they are past due at as_of; at most two are late at once
LATE_CANDIDATES = ("M2024-09", "M2025-09", "M2026-09")


@dataclass(frozen=True)
class Scale:
    name: str
    districts: int
    grids: int
    households_per_grid: float
    pilots: int
    station_cells: float  # target grids per station
    community_cells: float  # target grids per community
    checks_per_community: tuple[int, int]
    min_check_communities: int  # per district and month
    visit_factor: float = 1.0
    need_factor: float = 1.0


SCALES = {
    "S": Scale("S", 3, 150, 80, 1, 12, 4.5, (10, 16), 2),
    "M": Scale("M", 16, 1600, 100, 3, 20, 4.5, (20, 30), 1, visit_factor=0.75),
    "L": Scale("L", 16, 12000, 333.4, 3, 94, 5, (8, 14), 1, visit_factor=0.65, need_factor=1.1),
}


# --- progress -------------------------------------------------------------------------------

class Progress:
    """A plain-text progress bar on stderr: ``[#####.....]  52% visits 江北区``."""

    def __init__(self, enabled: bool = True, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last = -1.0
        self.last_label = ""

    def __call__(self, frac: float, label: str) -> None:
        if not self.enabled:
            return
        frac = max(0.0, min(1.0, frac))
        step = 0.005 if self.tty else 0.1
        if label == self.last_label and frac - self.last < step and frac < 1.0:
            return
        self.last, self.last_label = frac, label
        bar = "#" * int(frac * 30) + "." * (30 - int(frac * 30))
        line = f"[{bar}] {frac * 100:3.0f}% {label}"
        if self.tty:
            self.stream.write("\r" + line.ljust(70))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


# --- bulk writer ----------------------------------------------------------------------------

COLUMNS = {
    "org_unit": ("id", "code", "parent_id", "level", "name_zh", "name_en", "pilot", "geometry", "path",
                 "city_id", "district_id", "station_id", "community_id"),
    "grid_assignment": ("id", "grid_id", "community_id", "from_month", "to_month"),
    "app_user": ("id", "username", "display_name", "role", "scope_id", "password_hash", "active",
                 "failed_logins", "locked_until", "created_at"),
    "household": ("id", "code", "grid_id", "address", "category", "risk_level", "registered_on",
                  "registered_month", "version"),
    "resident": ("id", "household_id", "name", "id_number_enc", "id_number_hash", "id_number_masked",
                 "phone_enc", "phone_masked"),
    "risk_change": ("id", "household_id", "changed_at", "old_level", "new_level", "reason", "user_id"),
    "visit": ("id", "code", "client_token", "household_id", "grid_id", "officer_id", "visited_at", "id_shown",
              "bodycam_on", "entered_at", "appointment_made_at", "satisfaction", "justification",
              "late_entry_reason", "month", "week", "is_night", "night_ok", "compliant", "compliant_month",
              "duration_min"),
    "need": ("id", "code", "household_id", "grid_id", "visit_id", "category", "description", "created_at",
             "responded_at", "resolved_at", "status", "assignee_id", "note", "version", "counted",
             "created_month", "resolved_month", "sla_due_at", "sla_due_month", "sla_ok", "sla_ok_month"),
    "spot_check": ("id", "code", "household_id", "grid_id", "checked_on", "accurate", "fields_checked",
                   "fields_wrong", "is_rental", "month"),
    "veto_event": ("id", "org_unit_id", "occurred_on", "kind", "confirmed", "note"),
    "visit_answer": ("id", "visit_id", "item_code", "value"),
    "appointment": ("id", "household_id", "officer_id", "scheduled_at", "made_at", "status", "visit_id", "note"),
    "need_event": ("id", "need_id", "at", "user_id", "username", "action", "from_status", "to_status", "note"),
    "reported_value": ("id", "indicator_code", "org_unit_id", "period", "period_end", "value", "note", "status",
                       "origin", "entered_by", "entered_at", "updated_by", "updated_at", "reviewed_by", "reviewed_at",
                       "review_comment", "version"),
    "reported_value_change": ("id", "reported_value_id", "at", "username", "action", "old_value", "new_value",
                              "reason"),
    "privacy_complaint": ("id", "code", "received_at", "channel", "org_unit_id", "household_id", "summary", "status",
                          "start_due_at", "close_due_at", "started_at", "closed_at", "result", "handler_id",
                          "version"),
    "grid_event": ("id", "code", "client_token", "grid_id", "household_id", "channel", "tier", "category",
                   "description", "status", "created_at", "due_at", "responded_at", "response_seconds", "resolved_at",
                   "confirmed_at", "reporter_id", "assignee_id", "department", "rating", "feedback", "version",
                   "created_month"),
    "grid_event_step": ("id", "event_id", "at", "user_id", "username", "action", "from_status", "to_status", "note"),
    "hazard": ("id", "code", "client_token", "grid_id", "household_id", "visit_id", "item_code", "level",
               "description", "handler", "department", "status", "found_at", "due_at", "rectified_at",
               "rectify_seconds", "evidence", "recorded_by", "version", "found_month"),
}
FLUSH_ORDER = ("org_unit", "grid_assignment", "app_user", "household", "resident", "risk_change", "visit",
               "visit_answer", "appointment", "need", "need_event", "spot_check", "veto_event", "privacy_complaint",
               "grid_event", "grid_event_step", "hazard", "reported_value", "reported_value_change")
RECENT_DAYS = 21  # visit answers, appointments and need histories are generated for the last weeks only


class BulkWriter:
    """Buffers rows per table and writes them in FK order: COPY on PostgreSQL, executemany elsewhere.

    Batches are written by a background thread (the database works while Python builds the
    next batch: SQLite and psycopg release the GIL while they work). ``drain`` waits for it.
    """

    def __init__(self, conn: Connection, batch: int = BATCH):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.batch = batch
        self.buf: dict[str, list[tuple]] = {t: [] for t in FLUSH_ORDER}
        self.counts: dict[str, int] = {t: 0 for t in FLUSH_ORDER}
        self.pending = 0
        self.queue: queue.Queue = queue.Queue(maxsize=3)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="demo-writer", daemon=True)
        self.thread.start()

    def add(self, table: str, row: tuple) -> None:
        self.buf[table].append(row)
        self.pending += 1
        if self.pending >= self.batch:
            self.flush()

    def flush(self) -> None:
        for table in FLUSH_ORDER:
            rows = self.buf[table]
            if rows:
                self._put((table, rows))
                self.counts[table] += len(rows)
                self.buf[table] = []
        self.pending = 0

    def _put(self, item) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(item)

    def drain(self) -> None:
        """Write everything buffered and wait until the writer is idle."""
        self.flush()
        self.queue.join()
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:
                    self._write(*item)
            except BaseException as exc:  # handed to the main thread by _put/drain
                self.error = exc
            finally:
                self.queue.task_done()

    def _write(self, table: str, rows: list[tuple]) -> None:
        cols = COLUMNS[table]
        if self.pg:
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cur:
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                    for r in rows:
                        cp.write_row(r)
        else:
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            self.conn.connection.driver_connection.executemany(sql, rows)

    def fix_sequences(self) -> None:
        if not self.pg:
            return
        for table in FLUSH_ORDER:
            self.conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")


def _ts(dt: datetime | None) -> str | None:
    """Datetimes as SQLAlchemy stores them on SQLite (PostgreSQL parses the same in COPY), to the second.

    Truncating cannot move a derived flag: generated gaps stay clear of the 24 h / 48 h limits.
    """
    return None if dt is None else dt.replace(microsecond=0).isoformat(" ", "microseconds")


class _Rec:
    """A bare attribute bag handed to the derive_* functions."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


# --- geography ------------------------------------------------------------------------------

@dataclass
class Unit:
    id: int
    code: str
    level: str
    name_zh: str
    name_en: str
    parent: Unit | None
    cells: list[tuple[int, int]]  # lattice cells (x, y) covered by the unit
    pilot: bool = False
    children: list[Unit] = field(default_factory=list)
    # filled for grids
    district_ix: int = 0
    officer_id: int = 0
    households: int = 0
    offset: float = 0.0
    street: str = ""
    officer_username: str = ""


Cell = tuple[int, int]


def _city_cells(rng: random.Random, n_cells: int) -> tuple[int, list[Cell]]:
    """The ``n_cells`` lattice cells nearest the centre by a wavy radius: a blob-shaped city."""
    side = math.ceil(math.sqrt(n_cells / 0.62))
    p1, p2, p3 = (rng.uniform(0, 2 * math.pi) for _ in range(3))
    c = side / 2

    def reach(x: int, y: int) -> float:
        dx, dy = (x + 0.5 - c) / c, (y + 0.5 - c) / c
        th = math.atan2(dy, dx)
        wave = 1 + 0.10 * math.sin(2 * th + p1) + 0.07 * math.sin(3 * th + p2) + 0.04 * math.sin(5 * th + p3)
        return math.hypot(dx, dy) / wave

    cells = sorted(((x, y) for x in range(side) for y in range(side)), key=lambda q: (reach(*q), q))
    return side, sorted(cells[:n_cells])


def _components(cells: list[Cell]) -> list[list[Cell]]:
    """4-connected components, largest first."""
    left = set(cells)
    out = []
    for start in cells:
        if start not in left:
            continue
        left.discard(start)
        comp, stack = [], [start]
        while stack:
            x, y = stack.pop()
            comp.append((x, y))
            for nb in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if nb in left:
                    left.discard(nb)
                    stack.append(nb)
        out.append(sorted(comp))
    out.sort(key=lambda comp: -len(comp))
    return out


def _partition(rng: random.Random, cells: list[Cell], k: int, iters: int = 6) -> list[list[Cell]]:
    """Split cells into ``k`` contiguous, compact parts (a few Lloyd iterations of a Voronoi split)."""
    k = max(1, min(k, len(cells)))
    if k == 1:
        return [list(cells)]
    seeds = [(x + 0.5, y + 0.5) for x, y in rng.sample(cells, k)]
    for it in range(iters + 1):
        groups: list[list[Cell]] = [[] for _ in seeds]
        for x, y in cells:
            cx, cy = x + 0.5, y + 0.5
            best = min(range(k), key=lambda i: (seeds[i][0] - cx) ** 2 + (seeds[i][1] - cy) ** 2)
            groups[best].append((x, y))
        if it < iters:
            seeds = [(sum(x for x, _ in g) / len(g) + 0.5, sum(y for _, y in g) / len(g) + 0.5) if g else seeds[i]
                     for i, g in enumerate(groups)]
    groups = [g for g in groups if g]
    # make every part 4-connected: stray pieces join a neighbouring part
    for _ in range(10):
        owner = {c: i for i, g in enumerate(groups) for c in g}
        moved = False
        for i, g in enumerate(groups):
            for piece in _components(g)[1:]:
                near = [owner[nb] for x, y in piece for nb in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1))
                        if nb in owner and owner[nb] != i]
                if near:
                    j = max(sorted(set(near)), key=near.count)
                    for c in piece:
                        owner[c] = j
                    moved = True
        groups = [sorted(c for c, o in owner.items() if o == i) for i in range(len(groups))]
        groups = [g for g in groups if g]
        if not moved:
            break
    # north-west first, so that codes run across the map roughly in reading order
    groups.sort(key=lambda g: (-(sum(y for _, y in g) / len(g)) // 2, sum(x for x, _ in g) / len(g)))
    return groups


def _rings(cells: list[Cell]) -> list[list[Cell]]:
    """Boundary rings (lattice vertices) of a set of cells; exterior rings run counter-clockwise."""
    inside = set(cells)
    nxt: dict[Cell, list[Cell]] = {}
    for x, y in cells:
        for a, b, nb in (((x, y), (x + 1, y), (x, y - 1)), ((x + 1, y), (x + 1, y + 1), (x + 1, y)),
                         ((x + 1, y + 1), (x, y + 1), (x, y + 1)), ((x, y + 1), (x, y), (x - 1, y))):
            if nb not in inside:
                nxt.setdefault(a, []).append(b)
    rings = []
    while nxt:
        start = min(nxt)
        ring, cur = [start], start
        while True:
            outs = nxt[cur]
            b = outs.pop()
            if not outs:
                del nxt[cur]
            if b == start:
                break
            ring.append(b)
            cur = b
        rings.append(ring)
    return rings


def _signed_area(ring: list) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))


class Lattice:
    """Jittered lattice vertices: neighbouring cells share their corners, so cells tile the city."""

    def __init__(self, rng: random.Random, nx: int, ny: int):
        self.nx, self.ny = nx, ny
        cw, ch = (LON1 - LON0) / nx, (LAT1 - LAT0) / ny
        self.v = [[(round(LON0 + i * cw + rng.uniform(-0.28, 0.28) * cw, 6),
                    round(LAT0 + j * ch + rng.uniform(-0.28, 0.28) * ch, 6))
                   for j in range(ny + 1)] for i in range(nx + 1)]

    def outline(self, cells: list[Cell]) -> str:
        """GeoJSON (Multi)Polygon of a set of cells along the shared jittered edges (exteriors CCW)."""
        if len(cells) == 1:  # a grid: its four corners
            x, y = cells[0]
            rings = [[(x, y), (x + 1, y), (x + 1, y + 1), (x, y + 1)]]
        else:
            rings = _rings(cells)
        coords = [[list(self.v[i][j]) for i, j in r] for r in rings]
        area = [_signed_area(r) for r in coords]
        for r in coords:
            r.append(r[0])
        outer = sorted((i for i in range(len(coords)) if area[i] > 0), key=lambda i: -area[i])
        holes = [coords[i] for i in range(len(coords)) if area[i] <= 0]
        if len(outer) == 1:
            geom = {"type": "Polygon", "coordinates": [coords[outer[0]], *holes]}
        else:
            polys = [[coords[i]] for i in outer]
            polys[0].extend(holes)
            geom = {"type": "MultiPolygon", "coordinates": polys}
        return json.dumps(geom, separators=(",", ":"))


class _Names:
    """Unique names drawn from the pools (falls back to ordinals when a pool runs out)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.streets = list(STREETS)
        rng.shuffle(self.streets)
        self.used: set[str] = set()
        self.combos = [(a + b, pa + pb) for a, pa in COMMUNITY_FIRST for b, pb in COMMUNITY_SECOND]
        rng.shuffle(self.combos)
        self.si = 0
        self.ci = 0

    def street(self) -> tuple[str, str]:
        while self.si < len(self.streets):
            zh, en = self.streets[self.si]
            self.si += 1
            if zh not in self.used:
                self.used.add(zh)
                return zh, en
        zh, en = self.combo()
        return zh, en

    def combo(self) -> tuple[str, str]:
        n = len(self.combos)
        while True:
            k = self.ci
            self.ci += 1
            zh, en = self.combos[k % n]
            if k >= n:
                oz, oe = ORDINALS[(k // n - 1) % len(ORDINALS)]
                zh, en = zh + oz, f"{en} {oe}"
            if zh not in self.used:
                self.used.add(zh)
                return zh, en


def person_name(rng: random.Random) -> str:
    s = rng.choice(SURNAMES)
    g = rng.choice(GIVEN) if rng.random() < 0.3 else rng.choice(GIVEN) + rng.choice(GIVEN)
    return s + g


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number(region: str, born: date, seq: int) -> str:
    """An 18-digit resident ID number with a valid GB 11643 check digit."""
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


# --- trajectories ---------------------------------------------------------------------------

@dataclass
class Trajectory:
    """Monthly levels (probabilities) of one district from 2023-01 to the as_of month."""

    start_mi: int
    q: float
    acc: list[float]
    rental: list[float]
    res: list[float]
    sat: list[float]
    comp: list[float]
    night: list[float]
    sla: list[float]
    keep: list[float]
    rate: list[float]


def _trajectory(rng: random.Random, pilot: bool, q: float, months: int, visit_factor: float) -> Trajectory:
    start = 12 if pilot else 24  # programme start: 2024-01 (pilots) or 2025-01
    tau = 9.0 - 4.0 * q  # months to close ~63 % of the gap
    noise = [rng.gauss(0, 0.5) for _ in range(months)]

    def series(base: float, final: float, drift: float = 0.02, wobble: float = 1.0) -> list[float]:
        out = []
        for mi in range(months):
            r = 0.0 if mi < start else 1.0 - math.exp(-(mi - start + 0.5) / tau)
            v = base + drift * mi + (final - base) * r + wobble * noise[mi]
            out.append(min(99.6, max(1.0, v)) / 100.0)
        return out

    rate = []
    for mi in range(months):
        r = 0.0 if mi < start else 1.0 - math.exp(-(mi - start + 0.5) / 4.0)
        rate.append(visit_factor * (0.045 + (0.06 + 0.035 * q) * r))
    return Trajectory(
        start_mi=start, q=q,
        acc=series(rng.gauss(84.3, 1.0), 91.5 + 6.0 * q),
        rental=series(rng.gauss(75.5, 1.5), 82.0 + 10.0 * q),
        res=series(rng.gauss(61.0, 2.5), 78.0 + 17.0 * q),
        sat=series(rng.gauss(76.4, 1.5), 82.0 + 11.0 * q),
        comp=series(rng.gauss(60.0, 4.0), 96.5 + 2.6 * q, drift=0.1),
        night=series(rng.gauss(42.0, 6.0), 86.0 + 11.0 * q, drift=0.1),
        sla=series(rng.gauss(62.0, 4.0), 86.0 + 13.0 * q, drift=0.1),
        keep=series(60.0, 88.0 + 9.0 * q, drift=0.1, wobble=0.0),
        rate=rate,
    )


# --- the generator --------------------------------------------------------------------------

@dataclass
class DemoResult:
    scale: str
    seed: int
    as_of: date
    counts: dict[str, int]
    seconds: float
    logins: list[tuple[str, str, str, str]]


class _Gen:
    def __init__(self, conn: Connection, scale: Scale, seed: int, as_of: date, fraction: float,
                 progress: Callable[[float, str], None]):
        self.conn = conn
        self.sc = scale
        self.rng = random.Random(seed)
        self.seed = seed
        self.as_of = as_of
        self.fraction = fraction
        self.progress = progress
        self.cutoff = datetime.combine(as_of, time(0, 0))  # nothing at or after 00:00 of as_of
        self.n_days = (as_of - START).days  # days 0 .. n_days-1 are before the cutoff
        self.days = [START + timedelta(days=i) for i in range(self.n_days)]
        self.day_dt = [datetime.combine(d, time(0, 0)) for d in self.days]
        self.day_mi = [(d.year - 2023) * 12 + d.month - 1 for d in self.days]
        # first Monday of every month (day index), where the monthly visit weeks start
        self.rounds = []
        for mi in range((as_of.year - 2023) * 12 + as_of.month):
            first = date(2023 + mi // 12, mi % 12 + 1, 1)
            self.rounds.append((first - START).days + (7 - first.weekday()) % 7)
        last = as_of - timedelta(days=1)
        self.months = (last.year - 2023) * 12 + last.month  # month indexes 0 .. months-1
        self.w = BulkWriter(conn)
        self.ids = {t: self._max_id(t) for t in FLUSH_ORDER}
        self.seq = {"household": 0, "visit": 0, "need": 0, "spot_check": 0}
        self.recent = self.cutoff - timedelta(days=RECENT_DAYS)
        self.form = [(c, k, json.loads(o) if o else None) for c, k, o in conn.exec_driver_sql(
            "SELECT code, kind, options FROM form_item WHERE active ORDER BY section, sort, code").all()]

    def _max_id(self, table: str) -> int:
        return self.conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").scalar()

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def code(self, kind: str, prefix: str, width: int) -> str:
        self.seq[kind] += 1
        return f"{prefix}{self.seq[kind]:0{width}d}"

    # org units -----------------------------------------------------------------------------
    def build_org(self) -> None:
        sc, rng = self.sc, self.rng
        side, cells = _city_cells(rng, sc.grids)
        self.lattice = Lattice(rng, side, side)
        names = _Names(rng)
        c = side / 2
        parts = _partition(rng, cells, sc.districts, iters=8)
        # pilots are the central (old-town) districts; codes run from the centre outwards
        parts.sort(key=lambda g: (sum(x + 0.5 - c for x, _ in g) / len(g)) ** 2
                   + (sum(y + 0.5 - c for _, y in g) / len(g)) ** 2)
        n_d = len(parts)
        qs_pilot = [0.95, 0.8, 0.55][: sc.pilots]
        others = n_d - sc.pilots
        qs_other = [round(0.9 * (1 - i / max(1, others - 1)), 3) for i in range(others)]
        rng.shuffle(qs_other)
        if others == 2:
            qs_other = [0.6, 0.1]
        self.city = Unit(self.next_id("org_unit"), "JC", "city", CITY[0], CITY[1], None, cells)
        self.districts: list[Unit] = []
        self.grids: list[Unit] = []
        self.traj: list[Trajectory] = []
        for d, dcells in enumerate(parts):
            zh, en = DISTRICTS[d % len(DISTRICTS)]
            pilot = d < sc.pilots
            du = Unit(self.next_id("org_unit"), f"D{d + 1:02d}", "district", zh + "区", en + " District",
                      self.city, dcells, pilot)
            self.city.children.append(du)
            self.districts.append(du)
            q = qs_pilot[d] if pilot else qs_other[d - sc.pilots]
            self.traj.append(_trajectory(rng, pilot, q, self.months, sc.visit_factor))
            for s, scells in enumerate(_partition(rng, dcells, round(len(dcells) / sc.station_cells))):
                szh, sen = names.street()
                su = Unit(self.next_id("org_unit"), f"{du.code}S{s + 1:02d}", "station", szh + "街道派出所",
                          f"{sen} Subdistrict Police Station", du, scells, pilot)
                su.street = szh
                du.children.append(su)
                for ci, ccells in enumerate(_partition(rng, scells, round(len(scells) / sc.community_cells))):
                    czh, cen = names.combo()
                    cu = Unit(self.next_id("org_unit"), f"{su.code}C{ci + 1:02d}", "community", czh + "社区",
                              f"{cen} Community", su, ccells, pilot)
                    cu.street = szh
                    su.children.append(cu)
                    for k, cell in enumerate(sorted(ccells, key=lambda q: (-q[1], q[0])), start=1):
                        g = Unit(self.next_id("org_unit"), f"{cu.code}G{k:02d}", "grid", f"{czh}社区第{k}网格",
                                 f"{cen} Community Grid {k}", cu, [cell], pilot)
                        g.district_ix = d
                        g.street = szh
                        g.offset = rng.gauss(0, 0.012) - (0.05 if rng.random() < 0.06 else 0.0)
                        mean = sc.households_per_grid * self.fraction
                        g.households = max(3, int(rng.gauss(mean, mean * 0.22)))
                        cu.children.append(g)
                        self.grids.append(g)
        self.total_households = sum(g.households for g in self.grids)
        self._write_units(self.city, None)
        for g in self.grids:
            self.w.add("grid_assignment", (self.next_id("grid_assignment"), g.id, g.parent.id, 0, None))

    def _write_units(self, u: Unit, parent: Unit | None) -> None:
        chain = []
        p = u
        while p is not None:
            chain.append(p)
            p = p.parent
        by_level = {x.level: x.id for x in chain}
        path = "/" + "/".join(str(x.id) for x in reversed(chain)) + "/"
        self.w.add("org_unit", (
            u.id, u.code, parent.id if parent else None, u.level, u.name_zh, u.name_en, u.pilot,
            self.lattice.outline(u.cells), path, by_level.get("city"), by_level.get("district"),
            by_level.get("station"), by_level.get("community")))
        for c in u.children:
            self._write_units(c, u)

    # users ---------------------------------------------------------------------------------
    def build_users(self) -> list[tuple[str, str, str, str]]:
        rng = self.rng
        created = _ts(datetime(2023, 1, 1, 9, 0))
        officer_hash = None  # set at the end: ONE bcrypt hash shared by every grid officer (see passwords)
        first_pilot = next(d for d in self.districts if d.pilot) if any(d.pilot for d in self.districts) \
            else self.districts[0]
        first_grid = next(g for g in self.grids if g.district_ix == self.districts.index(first_pilot))
        printed = []
        n = 0
        for g in self.grids:
            n += 1
            uid = self.next_id("app_user")
            g.officer_id = uid
            username = "officer" if g is first_grid else f"o{n:04d}"
            g.officer_username = username
            self.w.add("app_user", (uid, username, person_name(rng), "officer", g.id, officer_hash, True, 0,
                                    None, created))
        for username, pw, role, _scope in DEMO_LOGINS:
            if username == "officer":
                printed.append((username, pw, role, first_grid.name_zh))
                continue
            scope = (first_pilot if role == "district_leader" else first_grid.parent.parent
                     if role == "station_leader" else self.city)
            uid = self.next_id("app_user")
            if role == "admin":
                self.admin_id = uid
            display = {"admin": "系统管理员", "city_leader": "市局领导", "district_leader": f"{first_pilot.name_zh}分局领导",
                       "station_leader": f"{first_grid.parent.parent.name_zh}所长",
                       "coordinator": "试点协调员"}.get(role, username)
            self.w.add("app_user", (uid, username, display, role, scope.id, None, True, 0, None, created))
            printed.append((username, pw, role, scope.name_zh))
        return printed

    def set_passwords(self, hashes: dict[str, str]) -> None:
        """Store the bcrypt hashes (computed in background threads while the city was generated)."""
        self.conn.execute(text("UPDATE app_user SET password_hash = :h WHERE role = 'officer'"),
                          {"h": hashes["officer"]})
        for username, h in hashes.items():
            self.conn.execute(text("UPDATE app_user SET password_hash = :h WHERE username = :u"),
                              {"h": h, "u": username})

    # households and field work ---------------------------------------------------------------
    def build_field(self) -> None:
        self.cum = []
        for t in self.traj:  # cumulative visit intensity per district and day
            acc, c = [0.0], 0.0
            for mi in self.day_mi:
                c += t.rate[mi] / 30.44
                acc.append(c)
            self.cum.append(acc)
        done = 0
        for d, du in enumerate(self.districts):
            communities: list[tuple[Unit, list]] = []
            for su in du.children:
                for cu in su.children:
                    hh_list = []
                    for g in cu.children:
                        for _ in range(g.households):
                            h = self.household(g, du, su, cu)
                            if h is not None:
                                hh_list.append(h)
                        done += g.households
                        self.progress(0.05 + 0.85 * done / self.total_households, f"households/visits {du.name_zh}")
                    communities.append((cu, hh_list))
            self.spot_checks(d, communities)

    def household(self, g: Unit, du: Unit, su: Unit, cu: Unit) -> tuple | None:
        """One household (+ resident, risk history, visits, needs); None if it moves in after as_of."""
        rng = self.rng
        if rng.random() < 0.86:
            reg = date(2008, 1, 1) + timedelta(days=rng.randrange(0, 5478))  # before 2023
            reg_day = 0
        else:  # registered 2023-01-01 … 2026-12-31
            reg_day = rng.randrange(0, NEW_HOUSEHOLD_DAYS)
            if reg_day >= self.n_days:
                return None
            reg = self.days[reg_day]
        hid = self.next_id("household")
        code = self.code("household", "H", 7)
        r = rng.random()
        category = "ordinary" if r < 0.72 else "rental" if r < 0.90 else "business" if r < 0.96 else "special"
        r = rng.random()
        boost = 6.0 if category == "special" else 1.0
        risk = ("red" if r < 0.0015 * boost else "yellow" if r < 0.006 * boost
                else "blue" if r < 0.0165 * boost else "none")
        if category == "business":
            address = f"{CITY[0]}{du.name_zh}{su.street}街道{rng.choice(ROADS)}{rng.randint(1, 399)}号"
        else:
            address = (f"{CITY[0]}{du.name_zh}{su.street}街道{cu.name_zh}{rng.randint(1, 40)}栋"
                       f"{rng.randint(1, 6)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}")
        h = _Rec(registered_on=reg)
        derive_household(h)
        self.w.add("household", (hid, code, g.id, address, category, risk, reg.isoformat(), h.registered_month, 1))
        self.resident(hid, category)
        if risk != "none":
            when = self.day_dt[rng.randrange(reg_day, max(reg_day + 1, min(self.n_days, 365 + reg_day)))] \
                if self.n_days else self.cutoff
            self.w.add("risk_change", (self.next_id("risk_change"), hid, _ts(when + timedelta(hours=10)), "none",
                                       risk, rng.choice(RISK_REASONS[risk]), g.officer_id))
        self.visits(hid, g, category, risk, reg_day)
        return (hid, g, category, reg_day)

    def resident(self, hid: int, category: str) -> None:
        rng = self.rng
        name = person_name(rng)
        region = rng.choice(OTHER_REGIONS if category == "rental" and rng.random() < 0.6 else LOCAL_REGIONS)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 23725))
        idn = id_number(region, born, rng.randrange(0, 1000))
        phone = f"1{rng.choice('3456789')}{rng.randrange(0, 10 ** 9):09d}"
        enc, lookup = crypto.encrypt, crypto.lookup_hash
        self.w.add("resident", (self.next_id("resident"), hid, name, enc(idn), lookup(idn),
                                crypto.mask_id_number(idn), enc(phone), crypto.mask_phone(phone)))

    def visits(self, hid: int, g: Unit, category: str, risk: str, reg_day: int) -> None:
        rng = self.rng
        if self.n_days <= 0:
            return
        d = g.district_ix
        t = self.traj[d]
        cum = self.cum[d]
        weight = {"ordinary": 1.0, "rental": 1.1, "business": 0.6, "special": 1.6}[category]
        days = []
        u = cum[reg_day]
        end = cum[-1]
        rounds = self.rounds
        slot = (g.id * 7) % 3
        while True:
            u += rng.expovariate(weight)
            if u >= end:
                break
            day = bisect.bisect_right(cum, u) - 1
            # routine visits fall in the grid officer's visit week of the month (集中走访周)
            moved = rounds[self.day_mi[day]] + 7 * ((slot + self.day_mi[day]) % 3) + int(rng.random() * 5)
            days.append(moved if reg_day <= moved < self.n_days else day)
        days.sort()
        if risk != "none":  # special-group cadence: loose before the programme starts, kept after
            interval = INTERVALS[risk]
            x = reg_day + rng.uniform(0, interval)
            while x < self.n_days:
                days.append(int(x))
                mi = self.day_mi[int(x)]
                if mi < t.start_mi:
                    x += interval * (rng.uniform(0.6, 0.95) if rng.random() < 0.35 else rng.uniform(1.3, 3.0))
                else:
                    x += interval * (rng.uniform(0.45, 0.95) if rng.random() < t.keep[mi] else rng.uniform(1.05, 1.7))
            days.sort()
        night_p = 0.15 if risk == "red" else 0.07
        rnd = rng.random
        td = timedelta
        day_mi, day_dt, cutoff, offset = self.day_mi, self.day_dt, self.cutoff, g.offset
        need_p = 0.055 * self.sc.need_factor
        add = self.w.add
        gid, oid = g.id, g.officer_id
        for day in days:
            mi = day_mi[day]
            base = day_dt[day]
            if rnd() < night_p:
                mins = 1200 + int(rnd() * 120) if rnd() < 0.85 else 360 + int(rnd() * 60)
                visited = base + td(minutes=mins)
                if rnd() < t.night[mi]:
                    appt = visited - td(hours=24.5 + 71.5 * rnd())
                    just = None
                elif rnd() < 0.5:
                    appt = visited - td(hours=1 + 19 * rnd())
                    just = "群众临时约定时间"
                else:
                    appt = None
                    just = "接警后回访" if rnd() < 0.5 else None
            else:
                visited = base + td(minutes=510 + int(rnd() * 660))  # 08:30 … 19:30
                appt = visited - td(hours=4 + 68 * rnd()) if rnd() < 0.4 else None
                just = None
            late_reason = None
            id_shown = bodycam = True
            if rnd() < t.comp[mi] + offset:
                entered = visited + td(minutes=min(1400, int(rng.expovariate(1 / 90)) + 3))
            else:
                r = rnd()
                entered = visited + td(minutes=5 + int(rnd() * 595))
                if r < 0.4:
                    entered = visited + td(hours=24.2 + 71.8 * rnd())
                    late_reason = "系统故障，次日补录" if rnd() < 0.3 else None
                elif r < 0.65:
                    bodycam = False
                elif r < 0.85:
                    id_shown = False if rnd() < 0.7 else None
                else:
                    entered = None
            if entered is not None and entered >= cutoff:
                continue  # not entered into the system yet at as_of
            sat = None
            if rnd() < 0.35:
                if rnd() < t.sat[mi] + offset:
                    sat = 5 if rnd() < 0.55 else 4
                else:
                    sat = 3 if rnd() < 0.6 else (2 if rnd() < 0.75 else 1)
            v = _Rec(visited_at=visited, entered_at=entered, appointment_made_at=appt, satisfaction=sat,
                     id_shown=id_shown, bodycam_on=bodycam)
            derive_visit(v)
            vid = self.next_id("visit")
            vcode = self.code("visit", "V", 8)
            add("visit", (vid, vcode, "demo-" + vcode, hid, gid, oid, _ts(visited), id_shown, bodycam,
                          _ts(entered), _ts(appt), sat, just, late_reason, v.month, v.week, v.is_night,
                          v.night_ok, v.compliant, v.compliant_month, 15 + (vid * 37) % 46))  # 15–60 minutes
            need_cat = None
            if rnd() < need_p:
                created = visited + td(minutes=10 + int(rnd() * 110))
                if created < cutoff:
                    need_cat = self.need(hid, g, vid, created, mi)
            if visited >= self.recent:
                self.answers(vid, category, need_cat)
                if appt is not None and v.is_night:
                    add("appointment", (self.next_id("appointment"), hid, oid, _ts(visited), _ts(appt), "done", vid,
                                        None))
        if risk in ("red", "yellow") and rnd() < 0.35:  # the next night visit is booked
            when = day_dt[-1] + td(days=1 + int(rnd() * 7), minutes=1200 + 30 * int(rnd() * 4))
            add("appointment", (self.next_id("appointment"), hid, oid, _ts(when),
                                _ts(cutoff - td(hours=1 + 47 * rnd())), "planned", None, "夜间回访（已预约）"))
        # needs raised by phone / the resident app: about 0.02 per household and year
        if rng.random() < min(1.0, 0.02 * self.sc.need_factor * (self.n_days - reg_day) / 365):
            day = rng.randrange(reg_day, self.n_days)
            self.need(hid, g, None, self.day_dt[day] + timedelta(minutes=rng.randrange(7 * 60, 22 * 60)),
                      self.day_mi[day])

    def need(self, hid: int, g: Unit, vid: int | None, created: datetime, mi: int) -> str:
        rng = self.rng
        t = self.traj[g.district_ix]
        cat, _w, texts = rng.choices(NEEDS, weights=NEED_WEIGHTS)[0]
        responded = resolved = None
        note = None
        r = rng.random()
        if r < 0.03:
            status = "withdrawn"
            if rng.random() < 0.5:
                responded = created + timedelta(hours=rng.uniform(0.5, 30))
            note = "居民自行解决，申请撤回"
        elif r < 0.055:
            status = "duplicate"
            responded = created + timedelta(hours=rng.uniform(0.5, 30))
            note = "与已登记需求重复"
        else:
            if rng.random() < t.sla[mi] + g.offset:
                responded = created + timedelta(hours=min(47.5, rng.expovariate(1 / 9) + 0.3))
            else:
                responded = created + timedelta(hours=48.5 + rng.expovariate(1 / 60))
            will = rng.random() < t.res[mi] + g.offset
            if will:
                resolved = responded + timedelta(days=min(90.0, rng.lognormvariate(math.log(4), 0.9)))
            elif rng.random() < 0.5 and self.cutoff - created < timedelta(days=120):
                responded = None  # never picked up: the recent backlog (older cases were at least accepted)
            if responded is not None and responded >= self.cutoff:
                responded = resolved = None
            if resolved is not None and resolved < self.cutoff:
                confirmed = self.cutoff - resolved > timedelta(days=3) and rng.random() < 0.6
                status = "confirmed" if confirmed else "resolved"
                note = "已办结，居民确认满意" if confirmed else "已办结"
            else:
                resolved = None
                status = "open" if responded is None else ("in_progress" if rng.random() < 0.6 else "accepted")
        if cat == "emergency_alarm" and responded is not None:
            # a one-button alarm runs on the 5-minute emergency tier: the same draws read in minutes
            # (an in-time answer within 0.5–4.5 min, a late one 6–46 min); no extra draw, the stream stays
            h = (responded - created).total_seconds() / 3600
            mins = 0.5 + h % 4.0 if h < 48 else 6.0 + (h - 48.5) % 40.0
            shift = created + timedelta(minutes=mins) - responded
            responded += shift
            resolved = resolved + shift if resolved is not None else None
        if responded is not None and responded >= self.cutoff:
            responded = None
        n = _Rec(status=status, created_at=created, responded_at=responded, resolved_at=resolved, category=cat)
        derive_need(n)
        nid = self.next_id("need")
        self.w.add("need", (nid, self.code("need", "N", 7), hid, g.id, vid, cat, rng.choice(texts),
                            _ts(created), _ts(responded), _ts(resolved), status, g.officer_id, note, 1, n.counted,
                            n.created_month, n.resolved_month, _ts(n.sla_due_at), n.sla_due_month, n.sla_ok,
                            n.sla_ok_month))
        if created >= self.cutoff - timedelta(days=3 * RECENT_DAYS):
            self.need_events(nid, g, status, created, responded, resolved, note)
        return cat

    def need_events(self, nid: int, g: Unit, status: str, created: datetime, responded: datetime | None,
                    resolved: datetime | None, note: str | None) -> None:
        """The history rows the need tracker shows (the same steps data_access.fieldwork.needs records)."""
        rng = self.rng
        steps = [("create", created, None, "open", None)]
        last = created
        if status in ("withdrawn", "duplicate"):
            at = responded or min(created + timedelta(hours=rng.uniform(1, 20)), self.cutoff - timedelta(minutes=1))
            steps.append(("withdraw" if status == "withdrawn" else "mark_duplicate", at, "open", status, note))
        elif responded is not None:
            steps.append(("accept", responded, "open", "accepted", None))
            last = responded
            if status in ("in_progress", "resolved", "confirmed"):
                end = resolved or self.cutoff
                last = responded + (end - responded) * rng.uniform(0.05, 0.4)
                steps.append(("start", last, "accepted", "in_progress", None))
            if resolved is not None:
                steps.append(("resolve", resolved, "in_progress", "resolved", "已协调相关部门处理完毕"))
                last = resolved
            if status == "confirmed":
                at = min(resolved + timedelta(hours=rng.uniform(4, 72)), self.cutoff - timedelta(minutes=5))
                steps.append(("confirm", max(at, resolved), "resolved", "confirmed", "居民电话回访确认满意"))
        for action, at, frm, to, text_ in steps:
            if at < self.cutoff:
                self.w.add("need_event", (self.next_id("need_event"), nid, _ts(at), g.officer_id, g.officer_username,
                                          action, frm, to, text_))

    def answers(self, vid: int, category: str, need_cat: str | None) -> None:
        """Answers to the e-form items (form_item) for a recent visit."""
        rnd = self.rng.random
        hazard = False
        tenancy = {"ordinary": "owner", "special": "owner", "rental": "rental", "business": "business"}[category]
        wanted = {"lighting": "nd_lighting", "anti_fraud": "nd_antifraud", "elderly_care": "nd_elderly"}.get(
            need_cat or "")
        for code, kind, opts in self.form:
            value = None
            if kind == "bool":
                if code.startswith("hz_"):
                    yes = rnd() < 0.06
                    hazard = hazard or yes
                elif code.startswith("info_"):
                    yes = rnd() < 0.93
                elif "told" in code:
                    yes = rnd() < 0.97
                else:
                    yes = code == wanted or rnd() < 0.03
                value = "1" if yes else "0"
            elif kind == "choice" and opts:
                codes = [o.get("code") for o in opts]
                value = tenancy if tenancy in codes else codes[0] if rnd() < 0.85 else codes[min(1, len(codes) - 1)]
            elif kind == "number":
                lo, hi = (opts or {}).get("min", 0), (opts or {}).get("max", 10)
                value = str(max(lo, min(hi, 1 + int(rnd() * 4))))
            elif kind == "text" and code.startswith("hz_") and hazard:
                value = "已当场提示整改，约定复查"
            if value is not None:
                self.w.add("visit_answer", (self.next_id("visit_answer"), vid, code, value))

    def spot_checks(self, d: int, communities: list[tuple[Unit, list]]) -> None:
        """双随机: each month ~10 % of the district's communities, random households in each."""
        rng = self.rng
        t = self.traj[d]
        k = min(len(communities), max(self.sc.min_check_communities, round(0.1 * len(communities))))
        lo, hi = self.sc.checks_per_community
        for mi in range(self.months):
            y, m = 2023 + mi // 12, mi % 12 + 1
            first = (date(y, m, 1) - START).days
            last = min(self.n_days, (date(y + m // 12, m % 12 + 1, 1) - START).days)
            if first >= last:
                continue
            for _cu, hh_list in rng.sample(communities, k):
                day = rng.randrange(first, last)
                eligible = [h for h in hh_list if h[3] <= day]
                for hid, g, category, _ in rng.sample(eligible, min(len(eligible), rng.randint(lo, hi))):
                    p = (t.rental[mi] if category == "rental" else t.acc[mi]) + g.offset
                    accurate = rng.random() < p
                    fields = rng.randint(8, 12)
                    c = _Rec(checked_on=self.days[day], fields_checked=fields,
                             fields_wrong=0 if accurate else rng.randint(1, 3))
                    derive_check(c, category)
                    self.w.add("spot_check", (self.next_id("spot_check"), self.code("spot_check", "C", 7), hid,
                                              g.id, self.days[day].isoformat(), accurate, fields, c.fields_wrong,
                                              c.is_rental, c.month))

    # programme -----------------------------------------------------------------------------
    def veto_events(self) -> None:
        rng = self.rng
        weak = sorted(range(len(self.districts)), key=lambda i: self.traj[i].q)
        for k, (kind, confirmed, note) in enumerate(VETO_EVENTS):
            du = self.districts[weak[k % len(weak)]]
            station = du.children[rng.randrange(len(du.children))]
            day = rng.randrange(max(0, self.n_days - 600), self.n_days) if self.n_days else 0
            self.w.add("veto_event", (self.next_id("veto_event"), station.id, self.days[day].isoformat()
                                      if self.n_days else START.isoformat(), kind, confirmed, note))

    def privacy_complaints(self, admin_id: int) -> None:
        """A few privacy complaints near as_of: closed, in progress, one waiting past its 24 h start."""
        from data_access.fieldwork.complaints import add_working_days

        rng = self.rng
        plan = [("closed", 35), ("closed", 28), ("closed", 20), ("in_progress", 14), ("in_progress", 5), ("received", 2)]
        for k, ((channel, summary), (status, days_ago)) in enumerate(zip(PRIVACY_COMPLAINTS, plan, strict=False)):
            received = self.cutoff - timedelta(days=days_ago) + timedelta(minutes=rng.randrange(8 * 60, 18 * 60))
            if received < datetime.combine(START, time(9)):
                continue
            du = self.districts[k % len(self.districts)]
            unit = du.children[rng.randrange(len(du.children))]
            start_due = received + timedelta(hours=24)
            close_due = add_working_days(received, 7)
            started = closed = result = None
            if status != "received":
                started = received + timedelta(hours=rng.uniform(2, 20))
            if status == "closed":
                closed = min(received + timedelta(days=rng.uniform(3, 12)), self.cutoff - timedelta(hours=1))
                result = "经核查属实，已对相关人员批评教育并删除信息" if k % 2 == 0 else "经核查不属实，已向投诉人说明"
            self.w.add("privacy_complaint", (
                self.next_id("privacy_complaint"), f"PC{received:%Y%m%d}-{k + 1:03d}", _ts(received), channel,
                unit.id, None, summary, status, _ts(start_due), _ts(close_due), _ts(started), _ts(closed), result,
                admin_id if started else None, 1))

    def grid_events(self) -> None:
        """Grid events and hazards of the last year on their clocks (issue 14): about three events
        and one hazard per grid and month; better districts answer in time more often; a few of the
        last two days' events and hazards are still open, so the Events screen has a backlog. Drawn
        from a random stream of their own, so the rest of the city does not change with them."""
        from data_access.fieldwork.events import DEFAULT_LIMITS_MIN

        rng = random.Random(self.seed * 7919 + 14)
        lim = {k: timedelta(minutes=v) for k, v in DEFAULT_LIMITS_MIN.items()}
        first = max(self.cutoff - timedelta(days=365), datetime.combine(START, time(0)))
        span = (self.cutoff - first).total_seconds()
        if span <= 0:
            return
        months = span / (30.44 * 86400)
        tiers, tier_w = zip(*EVENT_TIERS_W, strict=True)
        cats, cat_w = zip(*EVENT_CATEGORIES_W, strict=True)
        chans, chan_w = zip(*EVENT_CHANNELS_W, strict=True)
        n_ev = n_hz = 0

        def when() -> datetime:
            day = first + timedelta(seconds=rng.uniform(0, span))
            return day.replace(hour=rng.choice(EVENT_HOURS), minute=rng.randrange(60), second=0)

        def count(mean: float) -> int:
            return max(0, round(rng.gauss(mean, math.sqrt(mean))))

        for g in self.grids:
            q = self.traj[g.district_ix].q
            for _ in range(count(3.0 * months * self.fraction)):
                created = when()
                if created >= self.cutoff:
                    continue
                tier = rng.choices(tiers, weights=tier_w)[0]
                due = created + lim[tier]
                cat = rng.choices(cats, weights=cat_w)[0]
                responded = resolved = confirmed = rating = None
                r = rng.random()
                if r < 0.03:
                    status = "withdrawn"
                elif r < 0.05:
                    status = "duplicate"
                elif self.cutoff - created < timedelta(days=3) and rng.random() < 0.3:
                    status = "open"  # the backlog: not yet answered
                else:
                    share = rng.uniform(0.15, 0.95) if rng.random() < 0.62 + 0.35 * q else 1 + rng.expovariate(1.2)
                    responded = created + lim[tier] * share
                    resolved = responded + timedelta(hours=rng.lognormvariate(math.log(5), 0.8))
                    status = "accepted"
                    if resolved < self.cutoff:
                        status = "resolved"
                        if self.cutoff - resolved > timedelta(days=1) and rng.random() < 0.75:
                            status, confirmed = "confirmed", resolved + timedelta(hours=rng.uniform(2, 20))
                            rating = rng.choices((5, 4, 3, 2), weights=(55, 30, 10, 5))[0]
                    else:
                        resolved = None
                    if responded >= self.cutoff:
                        responded, status = None, "open"
                    if confirmed is not None and confirmed >= self.cutoff:
                        confirmed, status, rating = None, "resolved", None
                n_ev += 1
                self._event(n_ev, g, tier, cat, rng.choices(chans, weights=chan_w)[0], rng.choice(EVENT_TEXTS[cat]),
                            status, created, due, responded, resolved, confirmed, rating)
            for _ in range(count(0.8 * months * self.fraction)):
                found = when()
                if found >= self.cutoff:
                    continue
                level = "major" if rng.random() < 0.15 else "general"
                limit = lim[f"hazard_{level}"]
                rectified = evidence = None
                if self.cutoff - found < timedelta(days=2) and rng.random() < 0.3:
                    status = "open"
                else:
                    share = rng.uniform(0.2, 0.95) if rng.random() < 0.7 + 0.25 * q else 1 + rng.expovariate(2.0)
                    rectified = found + limit * share
                    status = "rectified"
                    if rectified >= self.cutoff:
                        rectified, status = None, "open"
                    else:
                        evidence = rng.choice(HAZARD_EVIDENCE)
                officer = level == "major" or rng.random() < 0.2
                n_hz += 1
                self._hazard(n_hz, g, level, rng.choice(HAZARD_TEXTS[level]), officer,
                             rng.choice(HAZARD_DEPARTMENTS) if officer else None, status, found, found + limit,
                             rectified, evidence)
            if g.officer_username == "officer":  # the demo officer always has a backlog to show
                for k, (tier, hours, cat, channel) in enumerate(DEMO_OFFICER_BACKLOG):
                    created = self.cutoff - timedelta(hours=hours)
                    if created >= datetime.combine(START, time(0)):
                        self._event(n_ev + k + 1, g, tier, cat, channel, EVENT_TEXTS[cat][0], "open", created,
                                    created + lim[tier], None, None, None, None)
                found = self.cutoff - timedelta(hours=20)
                if found >= datetime.combine(START, time(0)):
                    self._hazard(n_hz + 1, g, "major", HAZARD_TEXTS["major"][0], True, HAZARD_DEPARTMENTS[2], "open",
                                 found, found + lim["hazard_major"], None, None)
                n_ev += len(DEMO_OFFICER_BACKLOG)
                n_hz += 1

    def _event(self, n: int, g: Unit, tier: str, cat: str, channel: str, text_: str, status: str, created: datetime,
               due: datetime, responded: datetime | None, resolved: datetime | None, confirmed: datetime | None,
               rating: int | None) -> None:
        eid = self.next_id("grid_event")
        self.w.add("grid_event", (
            eid, f"E{created:%Y%m%d}-{n:06d}", None, g.id, None, channel, tier, cat, text_, status, _ts(created),
            _ts(due), _ts(responded), int((responded - created).total_seconds()) if responded else None,
            _ts(resolved), _ts(confirmed), g.officer_id, g.officer_id, None, rating, None, 1,
            created.year * 100 + created.month))
        if created >= self.recent:
            self._event_steps(eid, g, status, created, responded, resolved, confirmed)

    def _hazard(self, n: int, g: Unit, level: str, text_: str, officer: bool, department: str | None, status: str,
                found: datetime, due: datetime, rectified: datetime | None, evidence: str | None) -> None:
        self.w.add("hazard", (
            self.next_id("hazard"), f"H{found:%Y%m%d}-{n:06d}", None, g.id, None, None, None, level, text_,
            "officer" if officer else "grid_worker", department, status, _ts(found), _ts(due), _ts(rectified),
            int((rectified - found).total_seconds()) if rectified else None, evidence, g.officer_id, 1,
            found.year * 100 + found.month))

    def _event_steps(self, eid: int, g: Unit, status: str, created: datetime, responded: datetime | None,
                     resolved: datetime | None, confirmed: datetime | None) -> None:
        """The history rows of a recent event (the steps data_access.fieldwork.events records)."""
        steps = [("create", created, None, "open", None)]
        if status in ("withdrawn", "duplicate"):
            steps.append(("withdraw" if status == "withdrawn" else "mark_duplicate",
                          created + timedelta(minutes=3), "open", status, "误报" if status == "withdrawn" else "重复上报"))
        if responded is not None:
            steps.append(("accept", responded, "open", "accepted", None))
        if resolved is not None:
            steps.append(("resolve", resolved, "accepted", "resolved", "已到场处置完毕"))
        if confirmed is not None:
            steps.append(("confirm", confirmed, "resolved", "confirmed", "回访确认"))
        for action, at, frm, to, note in steps:
            if at < self.cutoff:
                self.w.add("grid_event_step", (self.next_id("grid_event_step"), eid, _ts(at), g.officer_id,
                                               g.officer_username, action, frm, to, note))

    def reported_values(self) -> dict[str, int]:
        """Monthly (quarterly, yearly) values of every reported indicator since the pilot: moving
        towards the city target, entered a few days after each period; the weakest district is
        late, the second weakest misses its last two months; seed 001 (approval required) is
        approved up to the month before last, the last month awaits approval, one value returned."""
        from data_access.programme import reporting as rp

        rng = random.Random(self.seed + 12)  # its own stream: the other demo records stay as they were
        inds = self.conn.exec_driver_sql(
            "SELECT code, unit, direction, period_type, entry_level, pilot_only, needs_approval FROM indicator "
            "WHERE kind = 'reported' ORDER BY sort, code").all()
        tgt = {(i, p): float(t) for i, p, t in self.conn.exec_driver_sql(
            "SELECT indicator_code, phase_code, target FROM target WHERE org_unit_id IS NULL").all()}
        weak = sorted(range(len(self.districts)), key=lambda i: self.traj[i].q)
        late_ix = weak[0] if weak else None
        missing_ix = weak[1] if len(weak) > 1 else None
        end = self.as_of - timedelta(days=1)
        last_month = rp.period_of(end.replace(day=1) - timedelta(days=1), "month")
        plain = {"%": (70.0, 92.0), "h": (2.0, 4.0), "min": (6.0, 12.0), "count": (1.0, 3.0),
                 "per_10k": (12.0, 16.0), "people": (3500.0, 5000.0), "CNY": (90.0, 140.0), "CNY_10k": (3.0, 6.0)}
        returned = False
        counts = {"values": 0, "awaiting": 0}
        for code, unit, direction, ptype, level, pilot_only, approval in inds:
            if level == "city":
                units = [(None, self.city)]
            else:
                units = [(ix, d) for ix, d in enumerate(self.districts) if d.pilot or not pilot_only]
            goal = next((tgt[(code, ph)] for ph in ("deepening", "rollout", "pilot") if (code, ph) in tgt), None)
            lo, hi = plain.get(unit, (50.0, 90.0))
            if goal is not None:
                lo, hi = (goal * 0.82, goal * 0.98) if direction == "up" else (goal * 1.3, goal * 1.02)
            periods = rp.periods_between(date(2024, 1, 1), end, ptype, ended_by=end)
            for ix, u in units:
                q = self.traj[ix].q if ix is not None else 0.8
                for k, period in enumerate(periods):
                    p_end = rp.period_bounds(period)[1]
                    if ix == missing_ix and ptype == "month" and k >= len(periods) - 2:
                        continue  # not reported
                    days = rng.randint(12, 14) if ix == late_ix else rng.randint(2, 8)
                    entered = datetime.combine(p_end + timedelta(days=days), time(rng.randint(9, 17), rng.randint(0, 59)))
                    if entered >= self.cutoff:
                        continue  # not entered yet at as_of
                    progress = (k + 1) / len(periods)
                    v = lo + (hi - lo) * min(1.0, progress * (0.6 + 0.5 * q)) + rng.gauss(0, 0.03 * abs(hi - lo) + 0.01)
                    v = max(0.0, min(100.0, v) if unit == "%" else v)
                    v = round(v, 1 if unit in ("%", "h", "min", "count", "per_10k", "CNY_10k") else 0)
                    status, reviewed_by, reviewed_at, comment = "entered", None, None, None
                    if approval:
                        if period < last_month or ptype != "month":
                            status, reviewed_by, reviewed_at = "approved", "city", entered + timedelta(days=2)
                        elif not returned and ix is not None:
                            status, reviewed_by, reviewed_at = "returned", "city", entered + timedelta(days=1)
                            comment = "与110接处警系统统计不一致，请核实后重报"
                            returned = True
                        else:
                            counts["awaiting"] += 1
                    vid = self.next_id("reported_value")
                    self.w.add("reported_value", (
                        vid, code, u.id, period, p_end.isoformat(), v, "月度统计台账", status, "entry", "demo",
                        _ts(entered), "demo", _ts(entered), reviewed_by, _ts(reviewed_at), comment,
                        1 if status == "entered" else 2))
                    self.w.add("reported_value_change", (self.next_id("reported_value_change"), vid, _ts(entered),
                                                         "demo", "enter", None, v, None))
                    if reviewed_by:
                        self.w.add("reported_value_change", (
                            self.next_id("reported_value_change"), vid, _ts(reviewed_at), reviewed_by,
                            "approve" if status == "approved" else "return", v, v, comment))
                    counts["values"] += 1
        return counts

    def milestones(self) -> dict[str, str]:
        rng = self.rng
        rows = self.conn.exec_driver_sql("SELECT code, due FROM milestone ORDER BY due, code").all()
        dues = [(c, d if isinstance(d, date) else date.fromisoformat(str(d)[:10])) for c, d in rows]
        past = [c for c, d in dues if d < self.as_of]
        late = [c for c in LATE_CANDIDATES if c in past][-2:]
        upcoming = [c for c, d in dues if d >= self.as_of]
        out = {}
        for c, due in dues:
            evidence = note = None
            done_on = None
            if c in late:
                status, note = "late", MILESTONE_LATE_NOTES.get(c, "逾期未完成")
            elif due < self.as_of:
                status = "done"
                slip = c in LATE_CANDIDATES  # slipped earlier, finished afterwards
                done_on = due + timedelta(days=rng.randint(10, 60)) if slip else due - timedelta(days=rng.randint(0, 25))
                done_on = min(done_on, self.as_of - timedelta(days=1))
                evidence = MILESTONE_EVIDENCE.get(c, "已完成")
                if slip:
                    note = "逾期完成"
            elif c in upcoming[:2] and (due - self.as_of).days <= 200:
                status = "in_progress"
            else:
                status = "planned"
            out[c] = status
            self.conn.execute(text(
                "UPDATE milestone SET status=:s, evidence=:e, note=:n, done_on=:d, owner_unit_id=:o, "
                "version=version+1 WHERE code=:c"),
                {"s": status, "e": evidence, "n": note, "d": done_on, "o": self.city.id, "c": c})
        return out


EVENT_TIERS_W = (("emergency", 5), ("urgent", 25), ("general", 70))
EVENT_CATEGORIES_W = (("dispute", 30), ("public_order", 15), ("fire_safety", 10), ("traffic", 10),
                      ("missing_person", 3), ("help_request", 15), ("fraud", 7), ("environment", 7), ("other", 3))
EVENT_CHANNELS_W = (("grid_worker", 55), ("resident", 20), ("officer", 10), ("hotline", 10), ("app", 5))
EVENT_HOURS = (7, 8, 9, 9, 10, 10, 11, 14, 15, 15, 16, 17, 19, 20, 21, 22)
EVENT_TEXTS = {
    "dispute": ("邻里因楼道堆物发生争执", "租户与房东因押金纠纷", "楼上漏水引发邻里矛盾", "停车位占用纠纷"),
    "public_order": ("小区门口有人聚集喧哗", "夜间烧烤摊噪音扰民", "可疑人员在小区徘徊"),
    "fire_safety": ("楼道电动车充电", "消防通道被杂物堵塞", "私拉电线给电动车充电"),
    "traffic": ("路口车辆乱停影响通行", "小区出入口车辆拥堵", "学校门口接送车辆堵塞"),
    "missing_person": ("老人外出未归，家属求助", "儿童在小区走失"),
    "help_request": ("独居老人摔倒求助", "居民钥匙反锁求助", "残障人士需要帮助出行"),
    "fraud": ("居民接到冒充客服电话", "疑似网络刷单诈骗", "老人被推销保健品"),
    "environment": ("垃圾清运不及时", "井盖缺失存在安全隐患", "路灯损坏"),
    "other": ("居民反映其他问题",),
}
HAZARD_TEXTS = {
    "general": ("楼道堆放杂物", "电动车在楼道充电", "防盗门门禁损坏", "灭火器过期"),
    "major": ("燃气管道老化漏气", "群租房违规隔断", "电气线路老化存在火灾风险"),
}
HAZARD_EVIDENCE = ("已清理，照片存档", "已督促整改并复查", "已更换，复查合格", "网格员现场处置完毕")
HAZARD_DEPARTMENTS = ("消防", "住建", "燃气公司", "市场监管", "街道")
DEMO_OFFICER_BACKLOG = (("general", 5, "dispute", "grid_worker"), ("urgent", 26, "fire_safety", "resident"))

BULK_TABLES = ("household", "resident", "visit", "need", "spot_check")


def _drop_sqlite_indexes(conn: Connection) -> list[str]:
    """Drop the secondary indexes of the big tables; returns their CREATE statements to restore them."""
    marks = ", ".join("?" * len(BULK_TABLES))
    found = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks}) "
        "ORDER BY name", BULK_TABLES).all()
    for name, _sql in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def generate(engine: Engine, scale: str = "S", seed: int = 7, as_of: date | None = None, *,
             fraction: float = 1.0, progress: Callable[[float, str], None] | None = None) -> DemoResult:
    """Generate the demo city into an empty database (one transaction). Returns counts and logins."""
    from data_access.core.clock import today_local

    sc = SCALES[scale]
    as_of = as_of or today_local()
    if as_of <= START:
        raise ValueError("as_of must be after 2023-01-01")
    if scale == "L" and engine.dialect.name != "postgresql":
        raise ValueError("scale L needs PostgreSQL (DATABASE_URL=postgresql+psycopg://…)")
    progress = progress or (lambda f, s: None)
    t0 = _time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        conn = session.connection()
        if conn.exec_driver_sql("SELECT COUNT(*) FROM org_unit").scalar():
            raise RuntimeError("the database already has org units; the demo needs an empty database")
        dropped: list[str] = []
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
            conn.exec_driver_sql("DELETE FROM rollup")  # a write opens the transaction before any DDL
            dropped = _drop_sqlite_indexes(conn)
        # bcrypt is slow on purpose: hash the five demo passwords in threads (bcrypt releases the GIL)
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {u: pool.submit(hash_password, pw) for u, pw, _r, _s in DEMO_LOGINS}
            g = _Gen(conn, sc, seed, as_of, fraction, progress)
            try:
                progress(0.0, "org units")
                g.build_org()
                logins = g.build_users()
                progress(0.05, "households/visits")
                g.build_field()
                g.veto_events()
                g.privacy_complaints(g.admin_id)
                g.grid_events()
                reported = g.reported_values()
                g.w.drain()
                staffing_demo.generate(conn, g)  # roster, office hours, joint meetings, visit durations
            finally:
                g.w.close()
            hashes = {u: f.result() for u, f in futures.items()}
        progress(0.88, "indexes")
        for sql in dropped:  # bulk load first, build the indexes once (same transaction)
            conn.exec_driver_sql(sql)
        g.w.fix_sequences()
        g.set_passwords(hashes)
        counts_assist = demo_assistance.generate(session, seed=seed, as_of=as_of)
        ms = g.milestones()
        progress(0.91, "rollups")
        rollups.rebuild(session)
        counts = {t: c for t, c in g.w.counts.items()}
        counts["grids"] = len(g.grids)
        counts["districts"] = len(g.districts)
        counts["reported_awaiting_approval"] = reported["awaiting"]
        counts.update(accountability_demo.generate(session, seed=seed, as_of=as_of))  # issue 15
        counts.update({f"assisted_{k}": v for k, v in counts_assist.items()})
        audit.write(session, DEMO_USER, "demo.generate", "database", None,
                    {"scale": scale, "seed": seed, "as_of": as_of.isoformat(), "fraction": fraction,
                     "counts": counts, "milestones": ms})
        progress(0.97, "commit")
        session.commit()
    progress(1.0, "done")
    return DemoResult(scale, seed, as_of, counts, _time.perf_counter() - t0, logins)


def print_logins(logins: list[tuple[str, str, str, str]], stream=None) -> None:
    stream = stream or sys.stdout
    if not logins:
        print("（无演示账号 no demo logins in this database）", file=stream)
        return
    print("演示账号 Demo logins", file=stream)
    print(f"  {'username':<10} {'password':<15} {'role':<16} scope", file=stream)
    for u, p, r, s in logins:
        print(f"  {u:<10} {p:<15} {r:<16} {s}", file=stream)


def existing_logins(engine: Engine) -> list[tuple[str, str, str, str]]:
    pw = {u: p for u, p, _r, _s in DEMO_LOGINS}
    names = list(pw)
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT u.username, u.role, o.name_zh FROM app_user u JOIN org_unit o ON o.id = u.scope_id "
            "WHERE u.username IN (" + ", ".join(f":u{i}" for i in range(len(names))) + ")"),
            {f"u{i}": n for i, n in enumerate(names)}).all()
    found = {r[0]: r for r in rows}
    return [(u, pw[u], found[u][1], found[u][2]) for u in names if u in found]


def cli_demo(scale: str = "M", seed: int = 7, as_of: str | None = None, if_empty: bool = False) -> int:
    """``python -m data_access demo``: generate, print the demo logins; exit code 0 on success."""
    from data_access.core.db import get_engine

    engine = get_engine()
    with engine.connect() as c:
        has_units = c.exec_driver_sql("SELECT COUNT(*) FROM org_unit").scalar() > 0
    if has_units:
        if if_empty:
            print("数据库已有数据，跳过演示数据生成 (database not empty, demo skipped)")
            print_logins(existing_logins(engine))
            return 0
        print("error: the database already has org units; use an empty database for the demo "
              "(e.g. a new APP_DATA_DIR or DATABASE_URL)", file=sys.stderr)
        return 1
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        print(f"error: --as-of {as_of!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    bar = Progress()
    try:
        res = generate(engine, scale, seed, day, progress=bar)
    except ValueError as exc:
        bar.done()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar.done()
    c = res.counts
    print(f"演示城市已生成 demo city generated: scale {res.scale}, seed {res.seed}, as_of {res.as_of}, "
          f"{c['districts']} districts, {c['grids']} grids, {c['household']:,} households, "
          f"{c['visit']:,} visits, {c['need']:,} needs, {c['spot_check']:,} spot checks "
          f"in {res.seconds:.1f} s")
    print_logins(res.logins)
    return 0


__all__ = ["SCALES", "DemoResult", "cli_demo", "generate", "id_number", "month_of"]
