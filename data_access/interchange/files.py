"""Import and export of the interchange format (``shared/spec/interchange.md``).

A dataset is a folder of UTF-8 CSV files (header row, RFC 4180 quoting) plus an optional
``grids.geojson``. Import is all-or-nothing: every file is read and checked first and all
problems are collected (file, physical line, column, reason); only when there are none is
anything written, in the caller's single transaction. Rows are inserted in bulk, derived
columns are filled per row by ``data_access.fieldwork.derive`` and the rollups are rebuilt once.

Export writes the same files with the same headers, in a stable order, so that
export → import into an empty database → export gives byte-identical files. Resident ID
numbers and phones are written only when asked for (admins; audited); passwords never.
"""
from __future__ import annotations

import csv
import json
import math
import os
import re
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from data_access.analytics import rollups
from data_access.assistance.models import (
    GROUPS,
    RISKS,
    AssistedPerson,
    AssistedRiskChange,
    CounsellingAlert,
    CounsellingSession,
    PersonVisit,
)
from data_access.assistance.services import alert_triggers
from data_access.core import audit, crypto
from data_access.core.clock import now_local
from data_access.core.errors import RecordError
from data_access.core.settings import TIMEZONE
from data_access.core.text import clean_text
from data_access.fieldwork.derive import (
    EARLIEST_EVENT,
    EARLIEST_REGISTRATION,
    derive_check,
    derive_household,
    derive_need,
    derive_visit,
    month_of,
    when_problem,
)
from data_access.fieldwork.limits import limits as time_limits
from data_access.fieldwork.models import (
    CATEGORIES,
    EVENT_STATUSES,
    EVENT_TIERS,
    HAZARD_LEVELS,
    NEED_STATUSES,
    RISK_LEVELS,
    GridEvent,
    Hazard,
    Household,
    Need,
    Resident,
    SpotCheck,
    Visit,
)
from data_access.org.accounts import clean_username
from data_access.org.models import LEVELS, ROLES, GridAssignment, OrgUnit, User
from data_access.org.passwords import hash_password
from data_access.programme import reporting
from data_access.programme.models import Indicator, Phase, ReportedValue, Target

# file → columns in export order; required columns
COLUMNS: dict[str, list[str]] = {
    "orgunits.csv": ["code", "parent_code", "level", "name_zh", "name_en", "pilot"],
    "users.csv": ["username", "display_name", "role", "scope_code", "password"],
    "households.csv": ["household_code", "grid_code", "address", "category", "risk_level", "registered_on"],
    "residents.csv": ["household_code", "name", "id_number", "phone"],
    "visits.csv": ["visit_code", "household_code", "officer_username", "visited_at", "id_shown", "bodycam_on",
                   "entered_at", "appointment_made_at", "satisfaction"],
    "needs.csv": ["need_code", "household_code", "visit_code", "category", "created_at", "responded_at",
                  "resolved_at", "status"],
    "spot_checks.csv": ["check_code", "household_code", "checked_on", "accurate", "fields_checked",
                        "fields_wrong"],
    "targets.csv": ["indicator_code", "phase", "target", "scope_code", "baseline"],
    "reported_values.csv": ["indicator_code", "unit_code", "period", "value", "note", "entered_at"],
    "events.csv": ["event_code", "grid_code", "tier", "category", "created_at", "responded_at", "closed_at", "status",
                   "household_code"],
    "hazards.csv": ["hazard_code", "grid_code", "level", "found_at", "rectified_at", "household_code", "visit_code"],
    "assisted_persons.csv": ["person_code", "household_code", "group", "risk", "helper_username", "registered_on"],
    "person_visits.csv": ["person_code", "visited_at", "officer_username"],
    "counselling.csv": ["person_code", "scheduled_at", "attended"],
}
REQUIRED: dict[str, set[str]] = {
    "orgunits.csv": {"code", "level", "name_zh"},
    "users.csv": {"username", "display_name", "role", "scope_code"},
    "households.csv": {"household_code", "grid_code", "address", "category"},
    "residents.csv": {"household_code", "name"},
    "visits.csv": {"visit_code", "household_code", "officer_username", "visited_at"},
    "needs.csv": {"need_code", "household_code", "category", "created_at", "status"},
    "spot_checks.csv": {"check_code", "household_code", "checked_on", "accurate"},
    "targets.csv": {"indicator_code", "phase", "target"},
    "reported_values.csv": {"indicator_code", "unit_code", "period", "value"},
    "events.csv": {"event_code", "grid_code", "tier", "category", "created_at", "status"},
    "hazards.csv": {"hazard_code", "grid_code", "level", "found_at"},
    "assisted_persons.csv": {"person_code", "household_code", "group", "risk"},
    "person_visits.csv": {"person_code", "visited_at"},
    "counselling.csv": {"person_code", "scheduled_at", "attended"},
}
GEOJSON = "grids.geojson"
FILES = [*COLUMNS, GEOJSON]
MAX_ERRORS_SHOWN = 50
DEFAULT_MAX_MB = 100  # per file (APP_IMPORT_MAX_MB)
_TEXT_REASON = {  # text.clean_text's codes as import messages
    "type": "not text",
    "bad_character": "contains a control or invisible character ({codepoint})",
    "too_long": "too long ({length} characters, at most {max})",
}
_CHUNK = 500  # codes per IN (…) lookup
_BATCH = 5000  # rows per bulk insert statement group

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_LEVEL_COL = {"city": "city_id", "district": "district_id", "station": "station_id", "community": "community_id"}


# --- report ----------------------------------------------------------------------------------

@dataclass
class ImportIssue:
    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"


@dataclass
class ImportReport:
    counts: dict[str, int] = field(default_factory=dict)  # data rows per file
    errors: list[ImportIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def messages(self, limit: int = MAX_ERRORS_SHOWN) -> list[str]:
        out = [str(e) for e in self.errors[:limit]]
        if len(self.errors) > limit:
            out.append(f"… and {len(self.errors) - limit} more errors")
        return out


class _Errors:
    def __init__(self, report: ImportReport, now: datetime | None = None) -> None:
        self.report = report
        self.now = now or now_local()  # nothing imported may have happened after this

    def add(self, file: str, line: int | None, column: str | None, reason: str) -> None:
        self.report.errors.append(ImportIssue(file, line, column, reason))


# --- reading cells ---------------------------------------------------------------------------

class _Row:
    """One CSV record; typed getters record an error and return None on a bad cell. The cells are a
    tuple read against the file's one header index (a dict per row cost most of an import's memory)."""

    __slots__ = ("file", "line", "index", "values", "err", "bad")

    def __init__(self, file: str, line: int, index: dict[str, int], values: tuple, err: _Errors) -> None:
        self.file, self.line, self.index, self.values, self.err, self.bad = file, line, index, values, err, False

    def get(self, col: str, default: str = "") -> str:
        i = self.index.get(col)
        return default if i is None else self.values[i]

    def fail(self, col: str, reason: str) -> None:
        self.bad = True
        self.err.add(self.file, self.line, col, reason)

    def raw(self, col: str, required: bool = False) -> str | None:
        v = self.get(col, None)
        if v is None or v.strip() == "":
            if required:
                self.fail(col, "required value is empty")
            return None
        return v

    def text(self, col: str, required: bool = False, max_len: int | None = None) -> str | None:
        """Free text under the forms' one rule (``text.clean_text``: NFC, no control, bidi or
        private characters, length)."""
        v = self.raw(col, required)
        if v is None:
            return None
        clean, e = clean_text(col, v, max_len if max_len is not None else 10_000)
        if e is not None:
            self.fail(col, _TEXT_REASON[e.code].format(**e.params))
            return None
        return clean

    def code(self, col: str, required: bool = False, max_len: int = 40) -> str | None:
        return self.text(col, required, max_len)

    def username(self, col: str, required: bool = False) -> str | None:
        """A username as the admin form takes it (``accounts.clean_username``: lower case, pattern)."""
        v = self.raw(col, required)
        if v is None:
            return None
        name, e = clean_username(v)
        if e is not None:
            self.fail(col, f"not a valid username {v.strip()!r} (lower-case letters, digits, '_', '.', '-'; "
                           "2–60 characters, starting with a letter or digit)")
            return None
        return name

    def enum(self, col: str, choices: Iterable[str], required: bool = False) -> str | None:
        v = self.raw(col, required)
        if v is None:
            return None
        v = v.strip()
        if v not in choices:
            self.fail(col, f"unknown value {v!r} (expected one of {', '.join(choices)})")
            return None
        return v

    def boolean(self, col: str, required: bool = False) -> bool | None:
        v = self.raw(col, required)
        if v is None:
            return None
        v = v.strip()
        if v not in ("0", "1"):
            self.fail(col, f"not a boolean (0 or 1): {v!r}")
            return None
        return v == "1"

    def integer(self, col: str, required: bool = False, lo: int | None = None) -> int | None:
        v = self.raw(col, required)
        if v is None:
            return None
        v = v.strip()
        if not _INT_RE.match(v):
            self.fail(col, f"not an integer: {v!r}")
            return None
        n = int(v)
        if lo is not None and n < lo:
            self.fail(col, f"must be at least {lo}: {v!r}")
            return None
        return n

    def number(self, col: str, required: bool = False) -> float | None:
        v = self.raw(col, required)
        if v is None:
            return None
        v = v.strip()
        try:
            x = float(v)
        except ValueError:
            x = math.nan
        if not math.isfinite(x):
            self.fail(col, f"not a number: {v!r}")
            return None
        return x

    def _iso(self, col: str, required: bool, pattern: re.Pattern, parse, what: str):
        v = self.raw(col, required)
        if v is None:
            return None
        v = v.strip()
        try:
            if not pattern.match(v):
                raise ValueError
            return parse(v)
        except ValueError:
            self.fail(col, f"not an ISO {what}: {v!r}")
            return None

    def _plausible(self, col: str, value, earliest: date):
        """The forms' rule for when something happened (``derive.when_problem``)."""
        problem = None if value is None else when_problem(value, self.err.now, earliest)
        if problem == "future":
            self.fail(col, f"in the future: {value.isoformat()}")
            return None
        if problem == "too_early":
            self.fail(col, f"before {earliest.isoformat()}: {value.isoformat()}")
            return None
        return value

    def date(self, col: str, required: bool = False, earliest: date = EARLIEST_EVENT) -> date | None:
        d = self._iso(col, required, _DATE_RE, date.fromisoformat, "date (YYYY-MM-DD)")
        return self._plausible(col, d, earliest)

    def datetime(self, col: str, required: bool = False) -> datetime | None:
        t = self._iso(col, required, _DT_RE, datetime.fromisoformat, "datetime (YYYY-MM-DDTHH:MM:SS)")
        if t is not None and t.tzinfo is not None:  # an explicit offset is honoured: stored as local time
            t = t.astimezone(ZoneInfo(TIMEZONE)).replace(tzinfo=None)
        return self._plausible(col, t, EARLIEST_EVENT)


def max_file_bytes() -> int:
    """Largest interchange file accepted (APP_IMPORT_MAX_MB, default 100 MB): a bigger one is split
    into several imports (later ones may refer to what earlier ones wrote)."""
    try:
        mb = float(os.environ.get("APP_IMPORT_MAX_MB", "") or DEFAULT_MAX_MB)
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(mb * 1024 * 1024)


def too_big(path: Path, name: str, err: _Errors) -> bool:
    size, limit = path.stat().st_size, max_file_bytes()
    if size > limit:
        err.add(name, None, None, f"file is {size / 1048576:.1f} MB, larger than the import limit of "
                                  f"{limit / 1048576:g} MB (APP_IMPORT_MAX_MB): split it into several imports")
        return True
    return False


def _bad_utf8_line(path: Path) -> int:
    """The first line that is not valid UTF-8 (read again line by line, in bytes)."""
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            try:
                (line[3:] if n == 1 and line.startswith(b"\xef\xbb\xbf") else line).decode("utf-8")
            except UnicodeDecodeError:
                return n
    return 1


class _CsvFile:
    """The rows of one file, read as a stream each time they are iterated (never all in memory at
    once: a section looks its codes up in one pass and validates in the next). The first pass
    reports the header and CSV problems and the row count; later passes only yield rows."""

    def __init__(self, path: Path, name: str, err: _Errors, counts: dict[str, int]) -> None:
        self.path, self.name, self.err, self.counts = path, name, err, counts
        self.first, self.broken = True, False

    def __iter__(self) -> Iterator[_Row]:
        if self.broken:
            return
        first, self.first = self.first, False
        report = self.err.add if first else (lambda *a: None)
        allowed, required = COLUMNS[self.name], REQUIRED[self.name]
        name = self.name
        header: list[str] | None = None
        index: dict[str, int] = {}
        prev_end = n = 0
        with open(self.path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=True)
            try:
                for rec in reader:
                    start, prev_end = prev_end + 1, reader.line_num
                    if not rec or (len(rec) == 1 and rec[0].strip() == ""):
                        continue  # blank line
                    if header is None:
                        header = [h.strip() for h in rec]
                        index = {h: i for i, h in enumerate(header)}
                        seen: set[str] = set()
                        for h in header:
                            if h not in allowed:
                                report(name, start, h or "(empty)", f"unknown column (allowed: {', '.join(allowed)})")
                            elif h in seen:
                                report(name, start, h, "column appears twice")
                            seen.add(h)
                        for h in allowed:
                            if h in required and h not in seen:
                                report(name, start, h, "missing required column")
                        continue
                    if len(rec) != len(header):
                        report(name, start, None, f"expected {len(header)} fields, found {len(rec)}")
                        continue
                    n += 1
                    yield _Row(name, start, index, tuple(rec), self.err)
            except UnicodeDecodeError:
                report(name, _bad_utf8_line(self.path), None, "not valid UTF-8")
                self.broken = True
                return
            except csv.Error as e:
                report(name, reader.line_num, None, f"CSV syntax error: {e}")
        if header is None:
            report(name, 1, None, "empty file (no header row)")
        if first:
            self.counts[name] = n


def _read_csv(path: Path, name: str, err: _Errors, counts: dict[str, int]) -> Iterable[_Row]:
    """The rows of one file (streamed, see ``_CsvFile``); nothing when it is absent or too big. The
    file is read once here, so that its problems and row count are known up front."""
    if not path.exists():
        return []
    if too_big(path, name, err):
        counts[name] = 0
        return []
    rows = _CsvFile(path, name, err, counts)
    for _ in rows:
        pass
    return rows


# --- database lookups --------------------------------------------------------------------------

def _chunks(seq: list, n: int = _CHUNK) -> Iterator[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def _lookup(session: Session, key, cols: list, values: Iterable[str]) -> dict[str, tuple]:
    """{key value: row of ``cols``} for the values that exist in the database."""
    vals = sorted({v for v in values if v is not None})
    out: dict[str, tuple] = {}
    for chunk in _chunks(vals):
        for row in session.execute(select(key, *cols).where(key.in_(chunk))):
            out[row[0]] = tuple(row[1:])
    return out


def _dup(row: _Row, col: str, value: str, seen: dict[str, int], kind: str) -> bool:
    first = seen.get(value)
    if first is not None:
        row.fail(col, f"duplicate {kind} {value!r} (first on line {first})")
        return True
    seen[value] = row.line
    return False


# --- validation --------------------------------------------------------------------------------

@dataclass
class _Plan:
    units: list[dict] = field(default_factory=list)  # file org units (validated, topological)
    geometry: dict[str, str] = field(default_factory=dict)  # code → GeoJSON geometry
    users: list[dict] = field(default_factory=list)
    households: list[dict] = field(default_factory=list)
    residents: list[dict] = field(default_factory=list)
    visits: list[dict] = field(default_factory=list)
    needs: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    targets: list[dict] = field(default_factory=list)
    reported: list = field(default_factory=list)  # reporting.ImportRow
    events: list[dict] = field(default_factory=list)
    hazards: list[dict] = field(default_factory=list)
    persons: list[dict] = field(default_factory=list)  # assisted persons (seed 004)
    person_visits: list[dict] = field(default_factory=list)
    counselling: list[dict] = field(default_factory=list)
    db_persons: dict[str, tuple] = field(default_factory=dict)  # code → (id, registered_on)
    db_units: dict[str, tuple] = field(default_factory=dict)  # code → (id, level, path, city…community ids)
    db_users: dict[str, tuple] = field(default_factory=dict)  # username → (id,)
    db_households: dict[str, tuple] = field(default_factory=dict)  # code → (id, grid_id, category)
    db_visits: dict[str, tuple] = field(default_factory=dict)  # code → (id, household code)


_UNIT_COLS = [OrgUnit.id, OrgUnit.level, OrgUnit.path, OrgUnit.city_id, OrgUnit.district_id,
              OrgUnit.station_id, OrgUnit.community_id]


def _validate(session: Session, root: Path, report: ImportReport) -> _Plan:
    err = _Errors(report)
    plan = _Plan()

    def take(name: str) -> Iterable[_Row]:
        """One file's rows, streamed from disk at each pass of its section."""
        return _read_csv(root / name, name, err, report.counts)

    # org units -----------------------------------------------------------------------------
    unit_rows = take("orgunits.csv")
    seen: dict[str, int] = {}
    file_units: dict[str, dict] = {}
    for r in unit_rows:
        u = {"code": r.code("code", True), "parent_code": r.code("parent_code"),
             "level": r.enum("level", LEVELS, True), "name_zh": r.text("name_zh", True, 120),
             "name_en": r.text("name_en", False, 160), "pilot": bool(r.boolean("pilot")), "_row": r}
        if u["code"] is not None and not _dup(r, "code", u["code"], seen, "code"):
            file_units[u["code"]] = u
    ref_codes = {u["parent_code"] for u in file_units.values()}
    plan.db_units = _lookup(session, OrgUnit.code, _UNIT_COLS, list(file_units) + list(ref_codes))
    for code, u in file_units.items():
        r = u["_row"]
        if code in plan.db_units:
            r.fail("code", f"org unit {code!r} already exists in the database")
        level, parent = u["level"], u["parent_code"]
        if level is None:
            continue
        if level == "city":
            if parent is not None:
                r.fail("parent_code", "a city has no parent")
            continue
        want = LEVELS[LEVELS.index(level) - 1]
        if parent is None:
            r.fail("parent_code", f"a {level} needs a parent {want}")
            continue
        if parent in file_units:
            plevel = file_units[parent]["level"]
        elif parent in plan.db_units:
            plevel = plan.db_units[parent][1]
        else:
            r.fail("parent_code", f"unknown org unit {parent!r}")
            continue
        if plevel is not None and plevel != want:
            r.fail("parent_code", f"a {level} must sit under a {want}, but {parent!r} is a {plevel}")
    plan.units = sorted(file_units.values(), key=lambda u: LEVELS.index(u["level"]) if u["level"] else 0)

    def unit_level(code: str) -> str | None:
        """Level of an org unit in the file or the database (None = unknown code)."""
        if code in file_units:
            return file_units[code]["level"] or "?"
        if code not in plan.db_units:
            plan.db_units.update(_lookup(session, OrgUnit.code, _UNIT_COLS, [code]))
        return plan.db_units[code][1] if code in plan.db_units else None

    def preload_units(codes: Iterable[str | None]) -> None:
        missing = [c for c in codes if c is not None and c not in file_units and c not in plan.db_units]
        plan.db_units.update(_lookup(session, OrgUnit.code, _UNIT_COLS, missing))

    # grids.geojson -------------------------------------------------------------------------
    gpath = root / GEOJSON
    if gpath.exists():
        plan.geometry = _validate_geojson(gpath, err, file_units, plan, preload_units)
        report.counts[GEOJSON] = len(plan.geometry)

    # users ---------------------------------------------------------------------------------
    seen = {}
    rows = take("users.csv")
    plan.db_users = _lookup(session, User.username, [User.id],
                            [r.get("username", "").strip().lower() for r in rows])
    preload_units(r.get("scope_code", "").strip() for r in rows)
    file_users: set[str] = set()
    for r in rows:
        u = {"username": r.username("username", True), "display_name": r.text("display_name", True, 80),
             "role": r.enum("role", ROLES, True), "scope_code": r.code("scope_code", True),
             "password": r.raw("password")}
        name = u["username"]
        if name is not None and not _dup(r, "username", name, seen, "username"):
            file_users.add(name)
            if name in plan.db_users:
                r.fail("username", f"user {name!r} already exists in the database")
        if u["scope_code"] is not None and unit_level(u["scope_code"]) is None:
            r.fail("scope_code", f"unknown org unit {u['scope_code']!r}")
        plan.users.append(u)

    # households ----------------------------------------------------------------------------
    seen = {}
    rows = take("households.csv")
    plan.db_households = _lookup(session, Household.code, [Household.id, Household.grid_id, Household.category],
                                 [r.get("household_code", "").strip() for r in rows])
    preload_units(r.get("grid_code", "").strip() for r in rows)
    file_hh: dict[str, dict] = {}
    for r in rows:
        h = {"code": r.code("household_code", True), "grid_code": r.code("grid_code", True),
             "address": r.text("address", True, 200), "category": r.enum("category", CATEGORIES, True),
             "risk_level": r.enum("risk_level", RISK_LEVELS) or "none", "registered_on": r.date("registered_on", earliest=EARLIEST_REGISTRATION)}
        code = h["code"]
        if code is not None and not _dup(r, "household_code", code, seen, "household code"):
            file_hh[code] = h
            if code in plan.db_households:
                r.fail("household_code", f"household {code!r} already exists in the database")
        g = h["grid_code"]
        if g is not None:
            lv = unit_level(g)
            if lv is None:
                r.fail("grid_code", f"unknown org unit {g!r}")
            elif lv not in ("grid", "?"):
                r.fail("grid_code", f"{g!r} is a {lv}, not a grid")
        plan.households.append(h)

    def hh_refs(rows: list[_Row]) -> None:
        missing = [r.get("household_code", "").strip() for r in rows]
        missing = [c for c in missing if c and c not in file_hh and c not in plan.db_households]
        plan.db_households.update(_lookup(session, Household.code,
                                          [Household.id, Household.grid_id, Household.category], missing))

    def hh_category(r: _Row, code: str | None) -> str | None:
        """Category of a referenced household; records an error when the code is unknown."""
        if code is None:
            return None
        if code in file_hh:
            return file_hh[code]["category"] or "?"
        if code in plan.db_households:
            return plan.db_households[code][2]
        r.fail("household_code", f"unknown household {code!r}")
        return None

    # residents -----------------------------------------------------------------------------
    rows = take("residents.csv")
    hh_refs(rows)
    for r in rows:
        p = {"household_code": r.code("household_code", True), "name": r.text("name", True, 60),
             "id_number": r.code("id_number", False, 24), "phone": r.code("phone", False, 20)}
        hh_category(r, p["household_code"])
        plan.residents.append(p)

    # visits --------------------------------------------------------------------------------
    seen = {}
    rows = take("visits.csv")
    hh_refs(rows)
    plan.db_visits = {}
    existing = _lookup(session, Visit.code, [Visit.id], [r.get("visit_code", "").strip() for r in rows])
    officers = {r.get("officer_username", "").strip().lower() for r in rows}
    plan.db_users.update(_lookup(session, User.username, [User.id], [o for o in officers if o not in file_users]))
    file_visits: dict[str, str | None] = {}  # visit code → household code
    for r in rows:
        v = {"code": r.code("visit_code", True), "household_code": r.code("household_code", True),
             "officer": r.username("officer_username", True), "visited_at": r.datetime("visited_at", True),
             "id_shown": r.boolean("id_shown"), "bodycam_on": r.boolean("bodycam_on"),
             "entered_at": r.datetime("entered_at"), "appointment_made_at": r.datetime("appointment_made_at"),
             "satisfaction": r.integer("satisfaction")}
        code = v["code"]
        if code is not None and not _dup(r, "visit_code", code, seen, "visit code"):
            file_visits[code] = v["household_code"]
            if code in existing:
                r.fail("visit_code", f"visit {code!r} already exists in the database")
        hh_category(r, v["household_code"])
        o = v["officer"]
        if o is not None and o not in file_users and o not in plan.db_users:
            r.fail("officer_username", f"unknown user {o!r}")
        if not r.bad:
            _check_rule(r, derive_visit, SimpleNamespace(**{**v, "code": None}))
        plan.visits.append(v)

    # needs ---------------------------------------------------------------------------------
    seen = {}
    rows = take("needs.csv")
    hh_refs(rows)
    existing = _lookup(session, Need.code, [Need.id], [r.get("need_code", "").strip() for r in rows])
    vrefs = {r.get("visit_code", "").strip() for r in rows} - set(file_visits) - {""}
    if vrefs:
        for chunk in _chunks(sorted(vrefs)):
            q = (select(Visit.code, Visit.id, Household.code).join(Household, Household.id == Visit.household_id)
                 .where(Visit.code.in_(chunk)))
            plan.db_visits.update({c: (i, hc) for c, i, hc in session.execute(q)})
    for r in rows:
        n = {"code": r.code("need_code", True), "household_code": r.code("household_code", True),
             "visit_code": r.code("visit_code"), "category": r.text("category", True, 40),
             "created_at": r.datetime("created_at", True), "responded_at": r.datetime("responded_at"),
             "resolved_at": r.datetime("resolved_at"), "status": r.enum("status", NEED_STATUSES, True)}
        code = n["code"]
        if code is not None and not _dup(r, "need_code", code, seen, "need code"):
            if code in existing:
                r.fail("need_code", f"need {code!r} already exists in the database")
        hh_category(r, n["household_code"])
        vc = n["visit_code"]
        if vc is not None:
            if vc in file_visits:
                vhh = file_visits[vc]
            elif vc in plan.db_visits:
                vhh = plan.db_visits[vc][1]
            else:
                vhh = None
                r.fail("visit_code", f"unknown visit {vc!r}")
            if vhh is not None and n["household_code"] is not None and vhh != n["household_code"]:
                r.fail("visit_code", f"visit {vc!r} belongs to household {vhh!r}, not {n['household_code']!r}")
        if not r.bad:
            _check_rule(r, derive_need, SimpleNamespace(**n))
        plan.needs.append(n)

    # spot checks ---------------------------------------------------------------------------
    seen = {}
    rows = take("spot_checks.csv")
    hh_refs(rows)
    existing = _lookup(session, SpotCheck.code, [SpotCheck.id],
                       [r.get("check_code", "").strip() for r in rows])
    for r in rows:
        c = {"code": r.code("check_code", True), "household_code": r.code("household_code", True),
             "checked_on": r.date("checked_on", True), "accurate": r.boolean("accurate", True),
             "fields_checked": r.integer("fields_checked", lo=0), "fields_wrong": r.integer("fields_wrong", lo=0)}
        code = c["code"]
        if code is not None and not _dup(r, "check_code", code, seen, "check code"):
            if code in existing:
                r.fail("check_code", f"spot check {code!r} already exists in the database")
        cat = hh_category(r, c["household_code"])
        if not r.bad:
            _check_rule(r, lambda ns, cat=cat: derive_check(ns, cat), SimpleNamespace(**c))
        plan.checks.append(c)

    # targets -------------------------------------------------------------------------------
    rows = take("targets.csv")
    indicators = set(session.execute(select(Indicator.code)).scalars())
    phases = set(session.execute(select(Phase.code)).scalars())
    preload_units(r.get("scope_code", "").strip() for r in rows)
    tseen: dict[tuple, int] = {}
    for r in rows:
        t = {"indicator_code": r.code("indicator_code", True), "phase": r.code("phase", True, 20),
             "target": r.number("target", True), "scope_code": r.code("scope_code"),
             "baseline": r.number("baseline")}
        if t["indicator_code"] is not None and t["indicator_code"] not in indicators:
            r.fail("indicator_code", f"unknown indicator {t['indicator_code']!r}")
        if t["phase"] is not None and t["phase"] not in phases:
            r.fail("phase", f"unknown phase {t['phase']!r} (expected one of {', '.join(sorted(phases))})")
        if t["scope_code"] is not None and unit_level(t["scope_code"]) is None:
            r.fail("scope_code", f"unknown org unit {t['scope_code']!r}")
        key = (t["indicator_code"], t["phase"], t["scope_code"])
        if key in tseen:
            r.fail("indicator_code", f"duplicate target for {key[0]}/{key[1]}/{key[2] or 'city default'} "
                   f"(first on line {tseen[key]})")
        else:
            tseen[key] = r.line
        plan.targets.append(t)

    # reported values (historical data: not subject to the lock; the history keeps each change) --------
    rows = take("reported_values.csv")
    reported = {i.code: i for i in session.execute(select(Indicator).where(Indicator.kind == "reported")).scalars()}
    preload_units(r.get("unit_code", "").strip() for r in rows)
    rseen: dict[tuple, int] = {}
    for r in rows:
        code, unit, period = r.code("indicator_code", True), r.code("unit_code", True), r.code("period", True, 8)
        value, note, entered = r.number("value", True), r.text("note", False, reporting.NOTE_MAX), r.datetime(
            "entered_at")
        ind = reported.get(code) if code is not None else None
        if code is not None and ind is None:
            r.fail("indicator_code", f"unknown reported indicator {code!r}")
        level = unit_level(unit) if unit is not None else None
        if unit is not None and level is None:
            r.fail("unit_code", f"unknown org unit {unit!r}")
        elif ind is not None and level is not None and level != (ind.entry_level or "district"):
            r.fail("unit_code", f"{code} is entered by {ind.entry_level} units, {unit!r} is a {level}")
        if ind is not None and period is not None and reporting.period_type_of(period) != ind.period_type:
            r.fail("period", f"{code} is reported per {ind.period_type}: {period!r}")
        if ind is not None and value is not None:
            try:
                reporting.check_range(ind, value)
            except RecordError as e:
                r.fail("value", f"out of range ({getattr(e, 'params', {})}): {value:g}")
        key = (code, unit, period)
        if key in rseen:
            r.fail("period", f"duplicate value for {code}/{unit}/{period} (first on line {rseen[key]})")
        else:
            rseen[key] = r.line
        if not r.bad:
            plan.reported.append(reporting.ImportRow(code, unit, period, value, note, entered))

    # grid events and hazards (history on the clocks: due = start + the tier's limit in force) --------
    def grid_of(r: _Row, code: str | None) -> None:
        if code is not None:
            lv = unit_level(code)
            if lv is None:
                r.fail("grid_code", f"unknown org unit {code!r}")
            elif lv not in ("grid", "?"):
                r.fail("grid_code", f"{code!r} is a {lv}, not a grid")

    def same_grid(r: _Row, hcode: str | None, gcode: str | None) -> None:
        if hcode is None or gcode is None or hcode not in file_hh and hcode not in plan.db_households:
            return
        if hcode in file_hh:
            other = file_hh[hcode]["grid_code"]
        else:
            gid = plan.db_households[hcode][1]
            other = next((c for c, t in plan.db_units.items() if t[0] == gid), None)
            if other is None:
                other = session.execute(select(OrgUnit.code).where(OrgUnit.id == gid)).scalar()
        if other != gcode:
            r.fail("household_code", f"household {hcode!r} is in grid {other!r}, not {gcode!r}")

    def after(r: _Row, col: str, at, start, what: str) -> None:
        if at is not None and start is not None and at < start:
            r.fail(col, f"{col} is before {what}")

    seen = {}
    rows = take("events.csv")
    hh_refs(rows)
    preload_units(r.get("grid_code", "").strip() for r in rows)
    existing = _lookup(session, GridEvent.code, [GridEvent.id], [r.get("event_code", "").strip() for r in rows])
    for r in rows:
        e = {"code": r.code("event_code", True), "grid_code": r.code("grid_code", True),
             "tier": r.enum("tier", EVENT_TIERS, True), "category": r.text("category", True, 40),
             "created_at": r.datetime("created_at", True), "responded_at": r.datetime("responded_at"),
             "closed_at": r.datetime("closed_at"), "status": r.enum("status", EVENT_STATUSES, True),
             "household_code": r.code("household_code")}
        if e["code"] is not None and not _dup(r, "event_code", e["code"], seen, "event code"):
            if e["code"] in existing:
                r.fail("event_code", f"event {e['code']!r} already exists in the database")
        grid_of(r, e["grid_code"])
        hh_category(r, e["household_code"])
        same_grid(r, e["household_code"], e["grid_code"])
        after(r, "responded_at", e["responded_at"], e["created_at"], "created_at")
        after(r, "closed_at", e["closed_at"], e["created_at"], "created_at")
        if e["status"] in ("resolved", "confirmed") and e["closed_at"] is None:
            r.fail("closed_at", f"a {e['status']} event needs closed_at")
        plan.events.append(e)

    seen = {}
    rows = take("hazards.csv")
    hh_refs(rows)
    preload_units(r.get("grid_code", "").strip() for r in rows)
    existing = _lookup(session, Hazard.code, [Hazard.id], [r.get("hazard_code", "").strip() for r in rows])
    vrefs = {r.get("visit_code", "").strip() for r in rows} - set(file_visits) - set(plan.db_visits) - {""}
    for chunk in _chunks(sorted(vrefs)):
        q = (select(Visit.code, Visit.id, Household.code).join(Household, Household.id == Visit.household_id)
             .where(Visit.code.in_(chunk)))
        plan.db_visits.update({c: (i, hc) for c, i, hc in session.execute(q)})
    for r in rows:
        h = {"code": r.code("hazard_code", True), "grid_code": r.code("grid_code", True),
             "level": r.enum("level", HAZARD_LEVELS, True), "found_at": r.datetime("found_at", True),
             "rectified_at": r.datetime("rectified_at"), "household_code": r.code("household_code"),
             "visit_code": r.code("visit_code")}
        if h["code"] is not None and not _dup(r, "hazard_code", h["code"], seen, "hazard code"):
            if h["code"] in existing:
                r.fail("hazard_code", f"hazard {h['code']!r} already exists in the database")
        grid_of(r, h["grid_code"])
        hh_category(r, h["household_code"])
        same_grid(r, h["household_code"], h["grid_code"])
        after(r, "rectified_at", h["rectified_at"], h["found_at"], "found_at")
        vc = h["visit_code"]
        if vc is not None:
            vhh = file_visits.get(vc) if vc in file_visits else plan.db_visits.get(vc, (None, None))[1]
            if vc not in file_visits and vc not in plan.db_visits:
                r.fail("visit_code", f"unknown visit {vc!r}")
            elif h["household_code"] is not None and vhh != h["household_code"]:
                r.fail("visit_code", f"visit {vc!r} belongs to household {vhh!r}, not {h['household_code']!r}")
        plan.hazards.append(h)

    # assisted persons, their visits and counselling sessions (seed 004) ------------------------------
    seen = {}
    rows = take("assisted_persons.csv")
    hh_refs(rows)
    existing = _lookup(session, AssistedPerson.code, [AssistedPerson.id], [r.get("person_code", "").strip()
                                                                            for r in rows])
    roles = {u["username"]: u["role"] for u in plan.users if u["username"]}
    names = {r.get("helper_username", "").strip().lower() for r in rows} - {""} - set(roles)
    roles.update({n: t[1] for n, t in _lookup(session, User.username, [User.id, User.role], list(names)).items()})
    plan.db_users.update(_lookup(session, User.username, [User.id], [n for n in names if n not in file_users]))
    file_persons: dict[str, date | None] = {}
    for r in rows:
        p = {"code": r.code("person_code", True), "household_code": r.code("household_code", True),
             "group": r.enum("group", GROUPS, True), "risk": r.enum("risk", RISKS, True),
             "helper": r.username("helper_username"),
             "registered_on": r.date("registered_on", earliest=EARLIEST_REGISTRATION)}
        code = p["code"]
        if code is not None and not _dup(r, "person_code", code, seen, "person code"):
            file_persons[code] = p["registered_on"]
            if code in existing:
                r.fail("person_code", f"assisted person {code!r} already exists in the database")
        hh_category(r, p["household_code"])
        h = p["helper"]
        if h is not None:
            if h not in roles:
                r.fail("helper_username", f"unknown user {h!r}")
            elif roles[h] != "officer":
                r.fail("helper_username", f"helper {h!r} is a {roles[h]}, not an officer")
        plan.persons.append(p)

    def person_refs(rows: list[_Row]) -> None:
        missing = {r.get("person_code", "").strip() for r in rows} - set(file_persons) - {""}
        plan.db_persons.update(_lookup(session, AssistedPerson.code,
                                       [AssistedPerson.id, AssistedPerson.registered_on], sorted(missing)))

    def registered(r: _Row, code: str | None) -> date | None:
        if code is None:
            return None
        if code in file_persons:
            return file_persons[code]
        if code in plan.db_persons:
            return plan.db_persons[code][1]
        r.fail("person_code", f"unknown assisted person {code!r}")
        return None

    rows = take("person_visits.csv")
    person_refs(rows)
    officers = {r.get("officer_username", "").strip().lower() for r in rows} - {""}
    plan.db_users.update(_lookup(session, User.username, [User.id], [o for o in officers if o not in file_users]))
    for r in rows:
        v = {"person_code": r.code("person_code", True), "visited_at": r.datetime("visited_at", True),
             "officer": r.username("officer_username")}
        reg = registered(r, v["person_code"])
        if reg is not None and v["visited_at"] is not None and v["visited_at"].date() < reg:
            r.fail("visited_at", f"before the person's registration on {reg.isoformat()}")
        if v["officer"] is not None and v["officer"] not in file_users and v["officer"] not in plan.db_users:
            r.fail("officer_username", f"unknown user {v['officer']!r}")
        plan.person_visits.append(v)

    rows = take("counselling.csv")
    person_refs(rows)
    cseen: dict[tuple, int] = {}
    for r in rows:
        c = {"person_code": r.code("person_code", True), "scheduled_at": r.datetime("scheduled_at", True),
             "attended": r.boolean("attended", True)}
        registered(r, c["person_code"])
        key = (c["person_code"], c["scheduled_at"])
        if key in cseen:
            r.fail("scheduled_at", f"duplicate session of {key[0]} at {key[1]} (first on line {cseen[key]})")
        else:
            cseen[key] = r.line
        plan.counselling.append(c)
    return plan


def _check_rule(r: _Row, fn, ns: SimpleNamespace) -> None:
    """Run a derive_* rule on a parsed row; its RecordError becomes a located import error."""
    try:
        fn(ns)
    except RecordError as e:
        r.fail(e.field, e.reason)


def _validate_geojson(path: Path, err: _Errors, file_units: dict, plan: _Plan, preload) -> dict[str, str]:
    name = GEOJSON
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        err.add(name, None, None, "not valid UTF-8")
        return {}
    except json.JSONDecodeError as e:
        err.add(name, e.lineno, None, f"not valid JSON: {e.msg}")
        return {}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
            doc.get("features"), list):
        err.add(name, None, "type", "not a GeoJSON FeatureCollection")
        return {}
    feats = doc["features"]
    codes = [((f.get("properties") or {}).get("code") if isinstance(f, dict) else None) for f in feats]
    preload(c for c in codes if isinstance(c, str))
    out: dict[str, str] = {}
    for i, f in enumerate(feats):
        where = f"features[{i}]"
        code = codes[i]
        if not isinstance(code, str) or not code.strip():
            err.add(name, None, f"{where}.properties.code", "missing org unit code")
            continue
        code = code.strip()
        if code not in file_units and code not in plan.db_units:
            err.add(name, None, f"{where}.properties.code", f"unknown org unit {code!r}")
            continue
        if code in out:
            err.add(name, None, f"{where}.properties.code", f"second geometry for {code!r}")
            continue
        geom = f.get("geometry")
        problem = _geometry_problem(geom)
        if problem:
            err.add(name, None, f"{where}.geometry", f"{problem} ({code})")
            continue
        out[code] = json.dumps({"type": geom["type"], "coordinates": geom["coordinates"]},
                               ensure_ascii=False, separators=(",", ":"))
    return out


def _geometry_problem(geom) -> str | None:
    if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
        return "not a Polygon or MultiPolygon"
    coords = geom.get("coordinates")
    polys = [coords] if geom["type"] == "Polygon" else coords
    if not isinstance(polys, list) or not polys:
        return "no coordinates"
    for poly in polys:
        if not isinstance(poly, list) or not poly:
            return "a polygon has no rings"
        for ring in poly:
            if not isinstance(ring, list) or len(ring) < 4:
                return "a ring needs at least 4 positions"
            for pos in ring:
                if (not isinstance(pos, list) or len(pos) < 2
                        or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in pos[:2])):
                    return "a position is not [lon, lat]"
                lon, lat = pos[0], pos[1]
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    return f"position [{lon}, {lat}] is outside WGS84 lon/lat range"
    return None


# --- writing -----------------------------------------------------------------------------------

def _bulk_insert(session: Session, model, rows: Iterable[dict], key_attr: str | None = None) -> dict[str, int]:
    """Insert ``rows`` (any iterable: a generator keeps one batch in memory at a time); with
    ``key_attr`` return {key value: new id}."""
    ids: dict[str, int] = {}
    table = model.__table__  # Core executemany: much faster than ORM objects at 100k+ rows
    it = iter(rows)
    while batch := list(islice(it, _BATCH)):
        if key_attr is None:
            session.execute(insert(table), batch)
        else:
            for k, id_ in session.execute(insert(table).returning(table.c[key_attr], table.c.id), batch):
                ids[k] = id_
    return ids


def _write(session: Session, plan: _Plan) -> None:
    # org units, level by level so that every parent has its id and lineage first
    units: dict[str, dict] = {code: {"id": t[0], "level": t[1], "path": t[2], "city_id": t[3],
                                     "district_id": t[4], "station_id": t[5], "community_id": t[6]}
                              for code, t in plan.db_units.items()}
    for level in LEVELS:
        todo = [u for u in plan.units if u["level"] == level]
        if not todo:
            continue
        rows = [{"code": u["code"], "parent_id": units[u["parent_code"]]["id"] if u["parent_code"] else None,
                 "level": level, "name_zh": u["name_zh"], "name_en": u["name_en"], "pilot": u["pilot"],
                 "geometry": plan.geometry.get(u["code"]), "path": "/"} for u in todo]
        ids = _bulk_insert(session, OrgUnit, rows, "code")
        updates, assignments = [], []
        for u in todo:
            parent = units[u["parent_code"]] if u["parent_code"] else None
            me = {"id": ids[u["code"]], "level": level,
                  "path": (parent["path"] if parent else "/") + f"{ids[u['code']]}/"}
            for col in _LEVEL_COL.values():
                me[col] = parent[col] if parent else None
            if level in _LEVEL_COL:
                me[_LEVEL_COL[level]] = me["id"]
            units[u["code"]] = me
            updates.append({k: me[k] for k in ("id", "path", *_LEVEL_COL.values())})
            if level == "grid":
                assignments.append({"grid_id": me["id"], "community_id": parent["id"], "from_month": 0,
                                    "to_month": None})
        for batch in _chunks(updates, _BATCH):
            session.execute(update(OrgUnit), batch)
        if assignments:
            _bulk_insert(session, GridAssignment, assignments)
    new_codes = {u["code"] for u in plan.units}
    geo_updates = [{"id": units[c]["id"], "geometry": g} for c, g in plan.geometry.items() if c not in new_codes]
    if geo_updates:
        session.execute(update(OrgUnit), geo_updates)

    # users
    user_ids = {name: t[0] for name, t in plan.db_users.items()}
    if plan.users:
        plain = [u["password"] for u in plan.users]
        todo = [p for p in plain if p]
        with ThreadPoolExecutor(max_workers=4) as pool:  # bcrypt releases the GIL
            hashed = iter(list(pool.map(hash_password, todo)))
        created = now_local()
        rows = [{"username": u["username"], "display_name": u["display_name"], "role": u["role"],
                 "scope_id": units[u["scope_code"]]["id"], "password_hash": next(hashed) if u["password"] else None,
                 "active": True, "failed_logins": 0, "created_at": created} for u in plan.users]
        user_ids.update(_bulk_insert(session, User, rows, "username"))

    # households
    hh: dict[str, tuple[int, int, str]] = dict(plan.db_households)  # code → (id, grid_id, category)

    def household_rows() -> Iterator[dict]:
        for h in plan.households:
            ns = SimpleNamespace(code=h["code"], grid_id=units[h["grid_code"]]["id"], address=h["address"],
                                 category=h["category"], risk_level=h["risk_level"],
                                 registered_on=h["registered_on"], version=1)
            derive_household(ns)
            yield vars(ns)

    ids = _bulk_insert(session, Household, household_rows(), "code")
    for h in plan.households:
        hh[h["code"]] = (ids[h["code"]], units[h["grid_code"]]["id"], h["category"])
    plan.households = []  # written: the memory goes back before the next file's rows are built

    # residents (ID numbers and phones encrypted, plus a keyed lookup hash and masked forms)
    rows = [{"household_id": hh[p["household_code"]][0], "name": p["name"],
             "id_number_enc": crypto.encrypt(p["id_number"]), "id_number_hash": crypto.lookup_hash(p["id_number"]),
             "id_number_masked": crypto.mask_id_number(p["id_number"]), "phone_enc": crypto.encrypt(p["phone"]),
             "phone_masked": crypto.mask_phone(p["phone"])} for p in plan.residents]
    _bulk_insert(session, Resident, rows)

    # visits
    rows = []
    for v in plan.visits:
        h = hh[v["household_code"]]
        ns = SimpleNamespace(code=v["code"], client_token=f"import:{v['code']}", household_id=h[0], grid_id=h[1],
                             officer_id=user_ids[v["officer"]], visited_at=v["visited_at"], id_shown=v["id_shown"],
                             bodycam_on=v["bodycam_on"], entered_at=v["entered_at"],
                             appointment_made_at=v["appointment_made_at"], satisfaction=v["satisfaction"])
        derive_visit(ns)
        rows.append(vars(ns))
    visit_ids = {c: t[0] for c, t in plan.db_visits.items()}
    visit_ids.update(_bulk_insert(session, Visit, rows, "code"))

    # needs (on the limits in force: 48 h; a one-button alarm 5 min)
    rows = []
    lim = time_limits(session=session)
    for n in plan.needs:
        h = hh[n["household_code"]]
        ns = SimpleNamespace(code=n["code"], household_id=h[0], grid_id=h[1],
                             visit_id=visit_ids[n["visit_code"]] if n["visit_code"] else None,
                             category=n["category"], created_at=n["created_at"], responded_at=n["responded_at"],
                             resolved_at=n["resolved_at"], status=n["status"], version=1)
        derive_need(ns, lim)
        rows.append(vars(ns))
    _bulk_insert(session, Need, rows)

    # spot checks (is_rental from the household's category)
    rows = []
    for c in plan.checks:
        h = hh[c["household_code"]]
        ns = SimpleNamespace(code=c["code"], household_id=h[0], grid_id=h[1], checked_on=c["checked_on"],
                             accurate=c["accurate"], fields_checked=c["fields_checked"],
                             fields_wrong=c["fields_wrong"])
        derive_check(ns, h[2])
        rows.append(vars(ns))
    _bulk_insert(session, SpotCheck, rows)

    # grid events and hazards: due = start + the tier's limit in force; closed_at is when the event
    # was resolved (and, for a confirmed one, confirmed)
    lim = time_limits(session=session)
    rows = []
    for e in plan.events:
        created, responded, closed = e["created_at"], e["responded_at"], e["closed_at"]
        rows.append({"code": e["code"], "grid_id": units[e["grid_code"]]["id"],
                     "household_id": hh[e["household_code"]][0] if e["household_code"] else None,
                     "channel": "import", "tier": e["tier"], "category": e["category"], "status": e["status"],
                     "created_at": created, "due_at": created + lim[e["tier"]], "responded_at": responded,
                     "response_seconds": int((responded - created).total_seconds()) if responded else None,
                     "resolved_at": closed if e["status"] in ("resolved", "confirmed") else None,
                     "confirmed_at": closed if e["status"] == "confirmed" else None,
                     "version": 1, "created_month": month_of(created)})
    _bulk_insert(session, GridEvent, rows)
    rows = []
    for h in plan.hazards:
        found, done = h["found_at"], h["rectified_at"]
        rows.append({"code": h["code"], "grid_id": units[h["grid_code"]]["id"],
                     "household_id": hh[h["household_code"]][0] if h["household_code"] else None,
                     "visit_id": visit_ids[h["visit_code"]] if h["visit_code"] else None, "level": h["level"],
                     "handler": "grid_worker", "status": "rectified" if done else "open", "found_at": found,
                     "due_at": found + lim["hazard_" + h["level"]], "rectified_at": done,
                     "rectify_seconds": int((done - found).total_seconds()) if done else None,
                     "version": 1, "found_month": month_of(found)})
    _bulk_insert(session, Hazard, rows)

    # targets: upsert by (indicator, phase, scope)
    for t in plan.targets:
        unit_id = units[t["scope_code"]]["id"] if t["scope_code"] else None
        q = select(Target).where(Target.indicator_code == t["indicator_code"], Target.phase_code == t["phase"],
                                 Target.org_unit_id.is_(None) if unit_id is None else Target.org_unit_id == unit_id)
        row = session.execute(q).scalars().first()
        if row is None:
            session.add(Target(indicator_code=t["indicator_code"], phase_code=t["phase"], org_unit_id=unit_id,
                               target=t["target"], baseline=t["baseline"]))
        else:
            row.target, row.baseline = t["target"], t["baseline"]
            session.add(row)
    session.flush()
    _write_assistance(session, plan, hh, user_ids)


def _write_assistance(session: Session, plan: _Plan, hh: dict, user_ids: dict) -> None:
    """Assisted persons, visits and counselling. A person is linked to the household's resident when
    the household has exactly one (the file names no resident); the first risk-history row is the
    registration. Alerts follow the three-miss rule; those of a run an attended session ended are
    kept as acknowledged by that session."""
    if not (plan.persons or plan.person_visits or plan.counselling):
        return
    today = now_local().date()
    single = dict(session.execute(select(Resident.household_id, func.min(Resident.id))
                                  .where(Resident.household_id.in_({hh[p["household_code"]][0]
                                                                   for p in plan.persons}))
                                  .group_by(Resident.household_id).having(func.count() == 1)).all()) \
        if plan.persons else {}
    taken = set(session.execute(select(AssistedPerson.resident_id).where(AssistedPerson.resident_id.is_not(None)))
                .scalars())
    rows = []
    for p in plan.persons:
        hid, gid, _ = hh[p["household_code"]]
        rid = single.get(hid)
        if rid in taken:
            rid = None
        taken.add(rid)
        rows.append({"code": p["code"], "resident_id": rid, "household_id": hid, "grid_id": gid, "group": p["group"],
                     "risk_level": p["risk"], "helper_id": user_ids[p["helper"]] if p["helper"] else None,
                     "employment": "unknown", "registered_on": p["registered_on"] or today, "active": True,
                     "version": 1})
    pid = {c: t[0] for c, t in plan.db_persons.items()}
    pid.update(_bulk_insert(session, AssistedPerson, rows, "code"))
    _bulk_insert(session, AssistedRiskChange, [
        {"person_id": pid[r["code"]], "changed_at": datetime.combine(r["registered_on"], datetime.min.time()),
         "old_level": None, "new_level": r["risk_level"]} for r in rows])
    _bulk_insert(session, PersonVisit, [
        {"person_id": pid[v["person_code"]], "visited_at": v["visited_at"],
         "officer_id": user_ids[v["officer"]] if v["officer"] else None} for v in plan.person_visits])
    last = dict(session.execute(select(PersonVisit.person_id, func.max(PersonVisit.visited_at))
                                .where(PersonVisit.person_id.in_(set(pid.values()))).group_by(PersonVisit.person_id)).all())
    if last:
        session.execute(update(AssistedPerson), [{"id": k, "last_visit_at": v} for k, v in last.items()])
    _bulk_insert(session, CounsellingSession, [
        {"person_id": pid[c["person_code"]], "scheduled_at": c["scheduled_at"],
         "status": "attended" if c["attended"] else "missed", "version": 1} for c in plan.counselling])
    touched = sorted({pid[c["person_code"]] for c in plan.counselling})
    for chunk in _chunks(touched):
        helper = dict(session.execute(select(AssistedPerson.id, AssistedPerson.helper_id)
                                      .where(AssistedPerson.id.in_(chunk))).all())
        have = set(session.execute(select(CounsellingAlert.session_id)
                                   .where(CounsellingAlert.person_id.in_(chunk))).scalars())
        by_person: dict[int, list] = {}
        for sid, person, at, status in session.execute(
                select(CounsellingSession.id, CounsellingSession.person_id, CounsellingSession.scheduled_at,
                       CounsellingSession.status).where(CounsellingSession.person_id.in_(chunk))
                .order_by(CounsellingSession.person_id, CounsellingSession.scheduled_at, CounsellingSession.id)):
            by_person.setdefault(person, []).append((sid, status, at))
        alerts = []
        for person, sessions in by_person.items():
            at_of = {sid: at for sid, _, at in sessions}
            for sid, run in alert_triggers([(sid, st) for sid, st, _ in sessions]):
                if sid in have:
                    continue
                ended = next((at for s2, st, at in sessions if at > at_of[sid] and st == "attended"), None)
                alerts.append({"person_id": person, "session_id": sid, "helper_id": helper.get(person),
                               "raised_at": at_of[sid], "misses": run, "acknowledged_at": ended,
                               "note": "导入：其后已参加心理疏导 / imported: attended later" if ended else None,
                               "version": 1})
        _bulk_insert(session, CounsellingAlert, alerts)


def import_dir(session: Session, path: str | Path, username: str = "cli") -> ImportReport:
    """Validate the folder and, when it has no errors, write everything into ``session``.

    Nothing is written when ``report.errors`` is not empty. The caller commits (one
    transaction: use ``session_scope``) or rolls back.
    """
    root = Path(path)
    report = ImportReport()
    if not root.is_dir():
        report.errors.append(ImportIssue(str(root), None, None, "not a folder"))
        return report
    known = [f for f in FILES if (root / f).exists()]
    if not known:
        report.errors.append(ImportIssue(str(root), None, None, f"no interchange files ({', '.join(FILES)})"))
        return report
    for p in sorted(root.iterdir()):
        if p.is_file() and p.suffix.lower() in (".csv", ".geojson") and p.name not in FILES:
            report.errors.append(ImportIssue(p.name, None, None,
                                             f"unknown file (expected names: {', '.join(FILES)})"))
    plan = _validate(session, root, report)
    if report.errors:
        return report
    _write(session, plan)
    if plan.reported:
        reporting.import_values(session=session, username=username, rows=plan.reported)
    rollups.rebuild(session)
    audit.write(session, username, "data.import", "dataset", None, {"rows": report.counts})
    session.flush()
    return report


def cli_import(dir: str) -> int:
    from data_access.core.db import session_scope

    with session_scope() as s:
        report = import_dir(s, dir)
        if not report.ok:
            s.rollback()
    if not report.ok:
        for m in report.messages():
            print(m, file=sys.stderr)
        print(f"{len(report.errors)} error(s); nothing was imported.", file=sys.stderr)
        return 1
    summary = ", ".join(f"{name} {n}" for name, n in report.counts.items())
    print(f"imported: {summary}")
    return 0


# --- export --------------------------------------------------------------------------------------

def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


def _write_csv(path: Path, name: str, rows: Iterable[Iterable]) -> int:
    n = 0
    with open(path / name, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(COLUMNS[name])
        for row in rows:
            w.writerow([_fmt(v) for v in row])
            n += 1
    return n


def _stream(session: Session, stmt) -> Iterator[tuple]:
    yield from session.execute(stmt.execution_options(yield_per=5000))


def export_dir(session: Session, path: str | Path, with_id_numbers: bool = False, username: str = "cli") -> dict:
    """Write the whole dataset as an interchange folder; returns rows per file.

    ``with_id_numbers`` also writes resident ID numbers and phones (decrypted). That is for
    admins only: if ``username`` is a user of the app, it must have the admin role. Every
    export writes a ``data.export`` audit row (flush only; the caller commits).
    """
    if with_id_numbers:
        role = session.execute(select(User.role).where(User.username == username)).scalar()
        if role is not None and role != "admin":
            raise PermissionError("only an admin may export ID numbers")
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    pg = session.get_bind().dialect.name == "postgresql"

    def by(col):
        """Code-point order on every backend (PostgreSQL's locale collation may differ)."""
        return col.collate("C") if pg else col

    counts: dict[str, int] = {}

    units = session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.parent_id, OrgUnit.level, OrgUnit.name_zh,
                                   OrgUnit.name_en, OrgUnit.pilot, OrgUnit.geometry)).all()
    code_of = {u.id: u.code for u in units}
    units = sorted(units, key=lambda u: (LEVELS.index(u.level) if u.level in LEVELS else 99, u.code))
    counts["orgunits.csv"] = _write_csv(out, "orgunits.csv", (
        (u.code, code_of.get(u.parent_id), u.level, u.name_zh, u.name_en, u.pilot) for u in units))
    feats = [json.dumps({"type": "Feature", "properties": {"code": u.code}, "geometry": json.loads(u.geometry)},
                        ensure_ascii=False, separators=(",", ":")) for u in units if u.geometry]
    with open(out / GEOJSON, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"type":"FeatureCollection","features":[\n' + ",\n".join(feats) + "\n]}\n")
    counts[GEOJSON] = len(feats)

    scope = OrgUnit.__table__.alias("scope")
    counts["users.csv"] = _write_csv(out, "users.csv", (
        (r[0], r[1], r[2], r[3], None) for r in _stream(session, select(
            User.username, User.display_name, User.role, scope.c.code).join(scope, scope.c.id == User.scope_id)
            .order_by(by(User.username)))))

    grid = OrgUnit.__table__.alias("grid")
    counts["households.csv"] = _write_csv(out, "households.csv", _stream(session, select(
        Household.code, grid.c.code, Household.address, Household.category, Household.risk_level,
        Household.registered_on).join(grid, grid.c.id == Household.grid_id).order_by(by(Household.code))))

    def residents() -> Iterator[tuple]:
        q = (select(Household.code, Resident.name, Resident.id_number_enc, Resident.phone_enc)
             .join(Household, Household.id == Resident.household_id).order_by(by(Household.code), Resident.id))
        for hc, name, idn, phone in _stream(session, q):
            if with_id_numbers:
                yield hc, name, crypto.decrypt(idn), crypto.decrypt(phone)
            else:
                yield hc, name, None, None

    counts["residents.csv"] = _write_csv(out, "residents.csv", residents())

    counts["visits.csv"] = _write_csv(out, "visits.csv", _stream(session, select(
        Visit.code, Household.code, User.username, Visit.visited_at, Visit.id_shown, Visit.bodycam_on,
        Visit.entered_at, Visit.appointment_made_at, Visit.satisfaction)
        .join(Household, Household.id == Visit.household_id).join(User, User.id == Visit.officer_id)
        .order_by(by(Visit.code))))

    vis = Visit.__table__.alias("v")
    counts["needs.csv"] = _write_csv(out, "needs.csv", _stream(session, select(
        Need.code, Household.code, vis.c.code, Need.category, Need.created_at, Need.responded_at,
        Need.resolved_at, Need.status).join(Household, Household.id == Need.household_id)
        .outerjoin(vis, vis.c.id == Need.visit_id).order_by(by(Need.code))))

    hho = Household.__table__.alias("hh")
    counts["events.csv"] = _write_csv(out, "events.csv", _stream(session, select(
        GridEvent.code, OrgUnit.code, GridEvent.tier, GridEvent.category, GridEvent.created_at,
        GridEvent.responded_at, func.coalesce(GridEvent.confirmed_at, GridEvent.resolved_at), GridEvent.status,
        hho.c.code).join(OrgUnit, OrgUnit.id == GridEvent.grid_id)
        .outerjoin(hho, hho.c.id == GridEvent.household_id).order_by(by(GridEvent.code))))
    counts["hazards.csv"] = _write_csv(out, "hazards.csv", _stream(session, select(
        Hazard.code, OrgUnit.code, Hazard.level, Hazard.found_at, Hazard.rectified_at, hho.c.code, vis.c.code)
        .join(OrgUnit, OrgUnit.id == Hazard.grid_id).outerjoin(hho, hho.c.id == Hazard.household_id)
        .outerjoin(vis, vis.c.id == Hazard.visit_id).order_by(by(Hazard.code))))

    counts["spot_checks.csv"] = _write_csv(out, "spot_checks.csv", _stream(session, select(
        SpotCheck.code, Household.code, SpotCheck.checked_on, SpotCheck.accurate, SpotCheck.fields_checked,
        SpotCheck.fields_wrong).join(Household, Household.id == SpotCheck.household_id).order_by(by(SpotCheck.code))))

    trows = session.execute(select(Target.indicator_code, Target.phase_code, Target.target, Target.org_unit_id,
                                   Target.baseline)).all()
    trows = sorted(((i, p, t, code_of.get(u) if u is not None else None, b) for i, p, t, u, b in trows),
                   key=lambda r: (r[0], r[1], r[3] or ""))
    counts["targets.csv"] = _write_csv(out, "targets.csv", trows)

    vrows = session.execute(select(ReportedValue.indicator_code, OrgUnit.code, ReportedValue.period,
                                   ReportedValue.value, ReportedValue.note, ReportedValue.entered_at)
                            .join(OrgUnit, OrgUnit.id == ReportedValue.org_unit_id)).all()
    counts["reported_values.csv"] = _write_csv(out, "reported_values.csv",
                                               sorted(vrows, key=lambda r: (r[0], r[1], r[2])))

    helper = User.__table__.alias("helper")
    counts["assisted_persons.csv"] = _write_csv(out, "assisted_persons.csv", _stream(session, select(
        AssistedPerson.code, Household.code, AssistedPerson.group, AssistedPerson.risk_level, helper.c.username,
        AssistedPerson.registered_on).join(Household, Household.id == AssistedPerson.household_id)
        .outerjoin(helper, helper.c.id == AssistedPerson.helper_id).order_by(by(AssistedPerson.code))))
    counts["person_visits.csv"] = _write_csv(out, "person_visits.csv", _stream(session, select(
        AssistedPerson.code, PersonVisit.visited_at, User.username)
        .join(AssistedPerson, AssistedPerson.id == PersonVisit.person_id)
        .outerjoin(User, User.id == PersonVisit.officer_id)
        .order_by(by(AssistedPerson.code), PersonVisit.visited_at, by(User.username))))
    counts["counselling.csv"] = _write_csv(out, "counselling.csv", _stream(session, select(
        AssistedPerson.code, CounsellingSession.scheduled_at, CounsellingSession.status == "attended")
        .join(AssistedPerson, AssistedPerson.id == CounsellingSession.person_id)
        .where(CounsellingSession.status != "scheduled")  # the file holds sessions marked attended or missed
        .order_by(by(AssistedPerson.code), CounsellingSession.scheduled_at)))

    audit.write(session, username, "data.export", "dataset", None,
                {"with_id_numbers": bool(with_id_numbers), "rows": counts})
    session.flush()
    return counts


def cli_export(dir: str, with_id_numbers: bool = False, user: str = "cli") -> int:
    from data_access.core.db import session_scope

    try:
        with session_scope() as s:
            counts = export_dir(s, dir, with_id_numbers=with_id_numbers, username=user)
    except PermissionError as e:
        print(str(e), file=sys.stderr)
        return 1
    print("exported: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    return 0


def count_rows(session: Session) -> dict[str, int]:
    """Rows per data table (used by tests and the CLI summary)."""
    out = {}
    for model in (OrgUnit, User, Household, Resident, Visit, Need, SpotCheck, Target, ReportedValue, GridEvent, Hazard,
                  AssistedPerson, PersonVisit, CounsellingSession):
        out[model.__tablename__] = session.execute(select(func.count()).select_from(model)).scalar_one()
    return out
