"""Interchange import/export (shared/spec/interchange.md) on SQLite and PostgreSQL.

The dataset is tests/data/interchange_small (hand-written); every expected value below is
read off those files by hand. Error cases copy the set into tmp_path and change one cell.
"""
from __future__ import annotations

import csv
import json
import shutil
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from data_access.__main__ import main
from data_access.analytics.models import Rollup
from data_access.core import audit, crypto
from data_access.core import db as dbmod
from data_access.core.models import AuditLog
from data_access.fieldwork.models import Household, Need, Resident, SpotCheck, Visit
from data_access.interchange.files import COLUMNS, export_dir, import_dir
from data_access.org.models import GridAssignment, OrgUnit, User
from data_access.org.passwords import verify_password
from data_access.programme.models import Target

SMALL = Path(__file__).resolve().parent.parent / "data" / "interchange_small"
DATA_TABLES = ("org_unit", "grid_assignment", "app_user", "household", "resident", "visit", "need",
               "spot_check", "rollup", "officer_week", "audit_log", "grid_event", "hazard")


# --- helpers -----------------------------------------------------------------------------------

def copy_small(tmp_path: Path) -> Path:
    d = tmp_path / "set"
    shutil.copytree(SMALL, d)
    return d


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def edit_cell(d: Path, file: str, key: str, column: str, value: str) -> int:
    """Set ``column`` of the row whose first cell is ``key``; returns that row's line number.

    Rows are written one per line (the small set has no multi-line cells), so the line is
    the row's position after the header: header = line 1, first row = line 2.
    """
    rows = read_csv(d / file)
    col = rows[0].index(column)
    for i, row in enumerate(rows):
        if i > 0 and row[0] == key:
            row[col] = value
            write_csv(d / file, rows)
            return i + 1
    raise AssertionError(f"{key} not in {file}")


def drop_column(d: Path, file: str, column: str) -> int:
    rows = read_csv(d / file)
    col = rows[0].index(column)
    write_csv(d / file, [r[:col] + r[col + 1:] for r in rows])
    return 1


def table_counts(session: Session) -> dict[str, int]:
    return {t: session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in DATA_TABLES}


def target_value(session: Session, indicator: str, phase: str, unit_id: int | None = None):
    q = select(Target.target, Target.baseline).where(Target.indicator_code == indicator, Target.phase_code == phase)
    q = q.where(Target.org_unit_id.is_(None) if unit_id is None else Target.org_unit_id == unit_id)
    return session.execute(q).one_or_none()


def unit(session: Session, code: str) -> OrgUnit:
    return session.execute(select(OrgUnit).where(OrgUnit.code == code)).scalar_one()


def visit(session: Session, code: str) -> Visit:
    return session.execute(select(Visit).where(Visit.code == code)).scalar_one()


def rollup_total(session: Session, metric: str) -> int:
    return session.execute(select(func.coalesce(func.sum(Rollup.n), 0)).where(Rollup.metric == metric)).scalar_one()


def import_ok(session: Session, d: Path, username: str = "cli"):
    report = import_dir(session, d, username=username)
    assert report.ok, report.messages()
    session.commit()
    return report


@pytest.fixture
def second_engine(engine, request, tmp_path):
    """A second fresh database on the same backend as ``engine`` (for the round trip)."""
    if engine.dialect.name == "sqlite":
        path = tmp_path / f"second-{uuid.uuid4().hex[:8]}.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = fresh_pg_url(request)
    eng = dbmod.make_engine(url)
    yield eng
    eng.dispose()


def fresh_pg_url(request) -> str:
    import psycopg

    cluster = request.getfixturevalue("pg_cluster")
    name = f"rt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres",
                         autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE template_app')
    return cluster.url(name)


# --- import ------------------------------------------------------------------------------------

def test_import_small_set_counts_and_values(session):
    targets_before = session.execute(select(func.count()).select_from(Target)).scalar_one()
    report = import_ok(session, SMALL, username="tester")
    assert report.counts == {"orgunits.csv": 13, "users.csv": 5, "households.csv": 20, "residents.csv": 22,
                             "visits.csv": 30, "needs.csv": 10, "spot_checks.csv": 12, "targets.csv": 2,
                             "grids.geojson": 5}
    c = table_counts(session)
    assert (c["org_unit"], c["grid_assignment"], c["app_user"], c["household"], c["resident"], c["visit"],
            c["need"], c["spot_check"]) == (13, 5, 5, 20, 22, 30, 10, 12)

    # lineage: G03 sits under M02 → S01 → D01 → C01
    c01, d01, s01, m02, g03 = (unit(session, x) for x in ("C01", "D01", "S01", "M02", "G03"))
    assert g03.parent_id == m02.id
    assert g03.path == f"/{c01.id}/{d01.id}/{s01.id}/{m02.id}/{g03.id}/"
    assert (g03.city_id, g03.district_id, g03.station_id, g03.community_id) == (c01.id, d01.id, s01.id, m02.id)
    assert d01.pilot is True and unit(session, "D02").pilot is False
    assert unit(session, "M03").name_en == "Chang'an Community"
    g05 = unit(session, "G05")
    assert g05.name_en is None and g05.pilot is False
    assert json.loads(g05.geometry)["type"] == "MultiPolygon"
    assert json.loads(g03.geometry)["coordinates"][0][1] == [116.42, 39.91]
    assert unit(session, "D01").geometry is None
    g04, m03 = unit(session, "G04"), unit(session, "M03")
    ga = session.execute(select(GridAssignment).where(GridAssignment.grid_id == g04.id)).scalar_one()
    assert (ga.community_id, ga.from_month, ga.to_month) == (m03.id, 0, None)

    # users: bcrypt hashes, empty password = must be set by an admin
    users = {u.username: u for u in session.execute(select(User)).scalars()}
    assert {u.role for u in users.values()} == {"admin", "city_leader", "district_leader", "coordinator", "officer"}
    assert verify_password("admin-pass-1", users["admin"].password_hash)
    assert not verify_password("admin-pass-2", users["admin"].password_hash)
    assert users["dl_dongcheng"].password_hash is None
    assert users["dl_dongcheng"].scope_id == d01.id

    # households: quoted address with comma and quotes; empty risk level = none
    h3 = session.execute(select(Household).where(Household.code == "H003")).scalar_one()
    assert h3.address == '和平里2号楼, 3单元 "东门" 201'
    assert h3.risk_level == "none" and h3.registered_month == 202305
    h5 = session.execute(select(Household).where(Household.code == "H005")).scalar_one()
    assert h5.registered_on is None and h5.registered_month == 0

    # residents: encrypted, hashed, masked
    r = session.execute(select(Resident).where(Resident.name == "赵磊")).scalar_one()
    assert r.id_number_enc != "11010119900707003X"
    assert crypto.decrypt(r.id_number_enc) == "11010119900707003X"
    assert r.id_number_hash == crypto.lookup_hash("11010119900707003x")
    assert r.id_number_masked == "110***********003X"
    assert crypto.decrypt(r.phone_enc) == "13900000002" and r.phone_masked == "139****0002"
    r = session.execute(select(Resident).where(Resident.name == "吴敏")).scalar_one()
    assert (r.id_number_enc, r.id_number_hash, r.id_number_masked) == (None, None, None)

    # visits: derived columns per the indicator rules
    v3 = visit(session, "V003")  # 21:30, booked 3 days ahead, entered after 11.5 h
    assert (v3.is_night, v3.night_ok, v3.compliant, v3.month) == (True, True, True, 202503)
    v4 = visit(session, "V004")  # 20:15, booked the same morning
    assert (v4.is_night, v4.night_ok) == (True, False)
    assert visit(session, "V005").compliant is False  # entered 49 h later
    assert visit(session, "V025").compliant is True  # entered exactly 24 h later
    assert visit(session, "V026").compliant is False  # 24 h and 1 s
    assert visit(session, "V006").compliant is False and visit(session, "V006").id_shown is None
    v9 = visit(session, "V009")
    assert (v9.month, v9.compliant_month) == (202503, 202504)
    assert visit(session, "V020").is_night is False and visit(session, "V023").is_night is True
    assert visit(session, "V030").is_night is False
    assert visit(session, "V010").grid_id == g03.id
    assert visit(session, "V010").officer_id == users["coord_heping"].id

    # needs
    needs = {n.code: n for n in session.execute(select(Need)).scalars()}
    assert needs["N001"].sla_ok is True and needs["N001"].resolved_month == 202503
    assert needs["N002"].sla_ok is False and needs["N002"].resolved_month is None
    assert needs["N006"].counted is False and needs["N007"].counted is False
    assert needs["N010"].category == "快递柜, 门口" and needs["N010"].visit_id == visit(session, "V030").id
    assert needs["N003"].visit_id is None

    # spot checks: is_rental from the household category
    checks = {k.code: k for k in session.execute(select(SpotCheck)).scalars()}
    assert checks["K004"].is_rental is True and checks["K001"].is_rental is False
    assert (checks["K006"].fields_checked, checks["K006"].fields_wrong) == (None, None)

    # rollups rebuilt: totals counted by hand from the files
    assert rollup_total(session, "visits") == 30
    assert rollup_total(session, "checks") == 12
    assert rollup_total(session, "checks_ok") == 8
    assert rollup_total(session, "rental_checks") == 5  # K002 K004 K007 K010 K012
    assert rollup_total(session, "rental_checks_ok") == 1  # K012
    assert rollup_total(session, "needs") == 8  # N006 withdrawn, N007 duplicate excluded
    assert rollup_total(session, "night") == 5  # V003 V004 V008 V009 V023
    assert rollup_total(session, "households") == 20

    # targets: one new district target, one city default updated in place
    assert session.execute(select(func.count()).select_from(Target)).scalar_one() == targets_before + 1
    assert tuple(target_value(session, "info_accuracy", "deepening", d01.id)) == (96.0, 84.5)
    assert tuple(target_value(session, "need_resolution", "rollout")) == (86.0, 61.0)

    # one audit row with the row counts; chain intact
    rows = session.execute(select(AuditLog)).scalars().all()
    assert [(a.action, a.username) for a in rows] == [("data.import", "tester")]
    assert json.loads(rows[0].detail)["rows"]["visits.csv"] == 30
    assert audit.verify(session).ok


def test_round_trip_is_byte_identical(session, second_engine, tmp_path):
    import_ok(session, SMALL)
    a, b = tmp_path / "a", tmp_path / "b"
    export_dir(session, a, with_id_numbers=True, username="admin")
    session.commit()
    with Session(second_engine, expire_on_commit=False) as s2:
        import_ok(s2, a)
        export_dir(s2, b, with_id_numbers=True, username="admin")
        s2.commit()
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted([*COLUMNS, "grids.geojson"])
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    # the records themselves survive unchanged (these files are written in export form already)
    for name in ("visits.csv", "needs.csv", "spot_checks.csv", "residents.csv"):
        assert read_csv(a / name) == read_csv(SMALL / name), name
    # export with ID numbers is audited with its flag
    detail = session.execute(select(AuditLog.detail).where(AuditLog.action == "data.export")).scalar_one()
    assert json.loads(detail)["with_id_numbers"] is True


def test_round_trip_across_backends(sqlite_url, request, tmp_path):
    """SQLite → files → PostgreSQL → files gives the same bytes (same order, same formats)."""
    a, b = tmp_path / "a", tmp_path / "b"
    lite, pg = dbmod.make_engine(sqlite_url), dbmod.make_engine(fresh_pg_url(request))
    try:
        with Session(lite) as s:
            import_ok(s, SMALL)
            export_dir(s, a, with_id_numbers=True)
            s.commit()
        with Session(pg) as s:
            import_ok(s, a)
            export_dir(s, b, with_id_numbers=True)
            s.commit()
    finally:
        lite.dispose()
        pg.dispose()
    for name in sorted(p.name for p in a.iterdir()):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_export_without_id_numbers_hides_them_and_passwords(session, tmp_path):
    import_ok(session, SMALL)
    out = tmp_path / "out"
    counts = export_dir(session, out, username="admin")
    session.commit()
    rows = read_csv(out / "residents.csv")
    assert rows[0] == ["household_code", "name", "id_number", "phone"]
    assert len(rows) == 23
    assert all(r[2] == "" and r[3] == "" for r in rows[1:])
    assert rows[1][:2] == ["H001", "王建国"]
    users = read_csv(out / "users.csv")
    assert len(users) == 6 and all(r[4] == "" for r in users[1:])
    text_all = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    assert "11010119900707003X" not in text_all and "13900000002" not in text_all
    assert counts["residents.csv"] == 22
    detail = json.loads(session.execute(
        select(AuditLog.detail).where(AuditLog.action == "data.export")).scalar_one())
    assert detail["with_id_numbers"] is False


def test_export_of_id_numbers_refused_for_non_admin(session, tmp_path):
    import_ok(session, SMALL)
    with pytest.raises(PermissionError):
        export_dir(session, tmp_path / "out", with_id_numbers=True, username="officer_li")


# --- errors: all-or-nothing --------------------------------------------------------------------

ERROR_CASES = [
    # id, file, key of the row to change, column, new value, reason in the message
    ("bad_date", "visits.csv", "V014", "visited_at", "2025-13-01T10:00",
     "not an ISO datetime (YYYY-MM-DDTHH:MM:SS): '2025-13-01T10:00'"),
    ("unknown_household", "visits.csv", "V003", "household_code", "H999", "unknown household 'H999'"),
    ("unknown_enum", "households.csv", "H005", "category", "villa",
     "unknown value 'villa' (expected one of ordinary, rental, special, business)"),
    ("duplicate_code", "households.csv", "H002", "household_code", "H001",
     "duplicate household code 'H001' (first on line 2)"),
    ("satisfaction_6", "visits.csv", "V010", "satisfaction", "6", "must be 1–5"),
    ("response_before_creation", "needs.csv", "N008", "responded_at", "2025-04-08T10:00:00",
     "response is before creation"),
    ("grid_under_district", "orgunits.csv", "G04", "parent_code", "D02",
     "a grid must sit under a community, but 'D02' is a district"),
    ("bad_boolean", "spot_checks.csv", "K003", "accurate", "yes", "not a boolean (0 or 1): 'yes'"),
    ("missing_required_cell", "needs.csv", "N004", "status", "", "required value is empty"),
    ("unknown_officer", "visits.csv", "V020", "officer_username", "nobody", "unknown user 'nobody'"),
    ("entry_before_visit", "visits.csv", "V012", "entered_at", "2025-04-03T15:00:00",
     "entry time is before the visit time"),
    ("need_visit_other_household", "needs.csv", "N001", "visit_code", "V002",
     "visit 'V002' belongs to household 'H002', not 'H001'"),
    ("unknown_indicator", "targets.csv", "info_accuracy", "indicator_code", "happiness",
     "unknown indicator 'happiness'"),
    ("unknown_scope", "users.csv", "leader", "scope_code", "X99", "unknown org unit 'X99'"),
    ("household_on_community", "households.csv", "H010", "grid_code", "M02", "'M02' is a community, not a grid"),
    ("wrong_more_than_checked", "spot_checks.csv", "K002", "fields_wrong", "9",
     "more wrong fields than checked fields"),
    # issue 17: the import is no looser than the forms
    ("visit_in_2099", "visits.csv", "V014", "visited_at", "2099-01-01T10:00:00",
     "in the future: 2099-01-01T10:00:00"),
    ("need_created_in_2099", "needs.csv", "N004", "created_at", "2099-06-01T08:00:00",
     "in the future: 2099-06-01T08:00:00"),
    ("registered_in_year_1", "households.csv", "H005", "registered_on", "0001-01-01", "before 1900-01-01: 0001-01-01"),
    ("check_in_1999", "spot_checks.csv", "K003", "checked_on", "1999-12-31", "before 2000-01-01: 1999-12-31"),
    ("nul_in_address", "households.csv", "H003", "address", "和平里\x001号楼",
     "contains a control or invisible character (U+0000)"),
    ("bidi_in_name", "residents.csv", "H001", "name", "张\u202e三", "contains a control or invisible character (U+202E)"),
    ("username_with_space", "users.csv", "leader", "username", "city leader",
     "not a valid username 'city leader' (lower-case letters, digits, '_', '.', '-'; 2–60 characters, "
     "starting with a letter or digit)"),
]


def test_a_username_is_taken_as_sign_in_takes_it(session, tmp_path):
    """"Officer_Li" in users.csv (and the visits that name it) becomes officer_li, as the admin form
    stores it and as sign-in looks it up; before, it was stored as typed and could never sign in."""
    d = copy_small(tmp_path)
    rows = read_csv(d / "users.csv")
    for r in rows[1:]:
        if r[0] == "officer_li":
            r[0] = "Officer_Li"
    write_csv(d / "users.csv", rows)
    rows = read_csv(d / "visits.csv")
    rows[1][2] = " OFFICER_LI "
    write_csv(d / "visits.csv", rows)
    report = import_dir(session, d)
    assert report.ok, report.messages()
    names = set(session.execute(select(User.username)).scalars())
    assert "officer_li" in names and "Officer_Li" not in names


def test_a_file_above_the_size_limit_is_refused_with_a_clear_message(session, tmp_path, monkeypatch):
    d = copy_small(tmp_path)
    size = (d / "visits.csv").stat().st_size
    monkeypatch.setenv("APP_IMPORT_MAX_MB", str(round((size - 1) / 1048576, 6)))
    targets_before = session.execute(select(func.count()).select_from(Target)).scalar_one()
    report = import_dir(session, d)
    assert not report.ok
    [msg] = [m for m in report.messages() if m.startswith("visits.csv")]
    assert msg.startswith(f"visits.csv: file is {size / 1048576:.1f} MB, larger than the import limit of ")
    assert msg.endswith("MB (APP_IMPORT_MAX_MB): split it into several imports")
    assert_nothing_written(session, targets_before)


def assert_nothing_written(session: Session, targets_before: int) -> None:
    # commit, not roll back: a failed import must leave nothing behind even for a caller that commits
    session.commit()
    assert all(n == 0 for n in table_counts(session).values()), table_counts(session)
    assert session.execute(select(func.count()).select_from(Target)).scalar_one() == targets_before
    assert tuple(target_value(session, "need_resolution", "rollout")) == (85.0, 61.0)  # reference value


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_bad_cell_aborts_whole_import(session, tmp_path, case):
    _, file, key, column, value, reason = case
    d = copy_small(tmp_path)
    line = edit_cell(d, file, key, column, value)
    targets_before = session.execute(select(func.count()).select_from(Target)).scalar_one()
    report = import_dir(session, d)
    assert not report.ok
    assert f"{file}:{line}: {column}: {reason}" in report.messages(), report.messages()
    assert_nothing_written(session, targets_before)


def test_missing_required_column(session, tmp_path):
    d = copy_small(tmp_path)
    drop_column(d, "households.csv", "address")
    targets_before = session.execute(select(func.count()).select_from(Target)).scalar_one()
    report = import_dir(session, d)
    assert "households.csv:1: address: missing required column" in report.messages()
    assert_nothing_written(session, targets_before)


def test_unknown_column_and_unknown_file(session, tmp_path):
    d = copy_small(tmp_path)
    rows = read_csv(d / "residents.csv")
    write_csv(d / "residents.csv", [r + ["x"] for r in rows[:1]] + [r + [""] for r in rows[1:]])
    (d / "visit.csv").write_text("visit_code\n", encoding="utf-8")
    msgs = import_dir(session, d).messages()
    assert any(m.startswith("residents.csv:1: x: unknown column") for m in msgs), msgs
    assert any(m.startswith("visit.csv: unknown file") for m in msgs), msgs
    assert_nothing_written(session, session.execute(select(func.count()).select_from(Target)).scalar_one())


def test_line_numbers_count_physical_lines(session, tmp_path):
    # a quoted address spanning two lines: the next record starts on line 4, not line 3
    d = copy_small(tmp_path)
    rows = read_csv(d / "households.csv")
    rows[1][2] = "和平里1号楼\n101室"
    rows[2][3] = "castle"
    write_csv(d / "households.csv", rows)
    msgs = import_dir(session, d).messages()
    assert "households.csv:4: category: unknown value 'castle' (expected one of ordinary, rental, special, " \
           "business)" in msgs, msgs


def test_geojson_errors(session, tmp_path):
    d = copy_small(tmp_path)
    doc = json.loads((d / "grids.geojson").read_text(encoding="utf-8"))
    doc["features"][1]["geometry"]["coordinates"][0][2] = [216.42, 39.91]
    doc["features"][2]["properties"]["code"] = "G77"
    doc["features"][3]["geometry"] = {"type": "Point", "coordinates": [116.4, 39.9]}
    (d / "grids.geojson").write_text(json.dumps(doc), encoding="utf-8")
    msgs = import_dir(session, d).messages()
    assert msgs == [
        "grids.geojson: features[1].geometry: position [216.42, 39.91] is outside WGS84 lon/lat range (G02)",
        "grids.geojson: features[2].properties.code: unknown org unit 'G77'",
        "grids.geojson: features[3].geometry: not a Polygon or MultiPolygon (G04)",
    ]


def test_codes_clashing_with_database_are_rejected(session, tmp_path):
    import_ok(session, SMALL)
    before = table_counts(session)
    report = import_dir(session, SMALL)
    msgs = report.messages(limit=1000)
    assert "orgunits.csv:2: code: org unit 'C01' already exists in the database" in msgs
    assert "users.csv:6: username: user 'officer_li' already exists in the database" in msgs
    assert "visits.csv:31: visit_code: visit 'V030' already exists in the database" in msgs
    session.commit()
    assert table_counts(session) == before


def test_import_referencing_existing_database_rows(session, tmp_path):
    """A second import may add records that point at org units/households/users already stored."""
    import_ok(session, SMALL)
    d = tmp_path / "more"
    d.mkdir()
    write_csv(d / "households.csv", [COLUMNS["households.csv"], ["H100", "G02", "和平东街13号", "rental", "", ""]])
    write_csv(d / "visits.csv", [COLUMNS["visits.csv"],
                                 ["V100", "H100", "officer_li", "2025-06-10T10:00:00", "1", "1",
                                  "2025-06-10T11:00:00", "", "4"],
                                 ["V101", "H001", "officer_li", "2025-06-11T10:00:00", "", "", "", "", ""]])
    write_csv(d / "needs.csv", [COLUMNS["needs.csv"],
                                ["N100", "H002", "V002", "其他", "2025-06-12T09:00:00", "", "", "open"]])
    write_csv(d / "spot_checks.csv", [COLUMNS["spot_checks.csv"], ["K100", "H100", "2025-06-12", "1", "", ""]])
    square = [[[116.5, 40.0], [116.6, 40.0], [116.6, 40.1], [116.5, 40.1], [116.5, 40.0]]]
    (d / "grids.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "D02"}, "geometry": {"type": "Polygon", "coordinates": square}}]}),
        encoding="utf-8")
    report = import_ok(session, d)
    assert report.counts == {"households.csv": 1, "visits.csv": 2, "needs.csv": 1, "spot_checks.csv": 1,
                             "grids.geojson": 1}
    assert json.loads(unit(session, "D02").geometry) == {"type": "Polygon", "coordinates": square}
    g02 = unit(session, "G02")
    assert visit(session, "V100").grid_id == g02.id
    assert visit(session, "V101").household_id == session.execute(
        select(Household.id).where(Household.code == "H001")).scalar_one()
    k = session.execute(select(SpotCheck).where(SpotCheck.code == "K100")).scalar_one()
    assert k.is_rental is True
    assert rollup_total(session, "visits") == 32
    assert rollup_total(session, "rental_checks") == 6


def test_bom_and_crlf_accepted(session, tmp_path):
    d = copy_small(tmp_path)
    for name in ("orgunits.csv", "visits.csv"):
        raw = (d / name).read_text(encoding="utf-8")
        (d / name).write_bytes(raw.replace("\n", "\r\n").encode("utf-8-sig"))
    import_ok(session, d)
    assert session.execute(select(func.count()).select_from(Visit)).scalar_one() == 30
    assert unit(session, "C01").name_zh == "示范市"


# --- command line --------------------------------------------------------------------------------

def test_cli_import_error_exit_code_and_message(use_db, tmp_path, capsys):
    d = copy_small(tmp_path)
    line = edit_cell(d, "visits.csv", "V014", "visited_at", "2025-13-01T10:00")
    assert main(["import", str(d)]) != 0
    err = capsys.readouterr().err
    assert f"visits.csv:{line}: visited_at: not an ISO datetime" in err
    assert "nothing was imported" in err
    with dbmod.session_scope() as s:
        assert all(n == 0 for n in table_counts(s).values())


def test_cli_import_then_export(use_db, tmp_path, capsys):
    assert main(["import", str(SMALL)]) == 0
    out = tmp_path / "out"
    assert main(["export", str(out), "--with-id-numbers", "--user", "admin"]) == 0
    assert read_csv(out / "residents.csv") == read_csv(SMALL / "residents.csv")
    assert main(["export", str(tmp_path / "o2"), "--with-id-numbers", "--user", "officer_li"]) == 1
    with dbmod.session_scope() as s:
        actions = s.execute(select(AuditLog.action, AuditLog.username).order_by(AuditLog.id)).all()
        assert [tuple(a) for a in actions] == [("data.import", "cli"), ("data.export", "admin")]
        assert audit.verify(s).ok


REPORTED = [COLUMNS["reported_values.csv"],
            ["og_dispute_resolution", "D01", "2025-01", "3.25", "考勤系统", "2025-02-06T09:30:00"],
            ["og_dispute_resolution", "D02", "2025-01", "2", "", ""],
            ["cp_budget_share", "C01", "2024", "5.5", "年度决算", "2025-01-10T16:00:00"]]


def test_reported_values_import_and_round_trip(session, second_engine, tmp_path):
    from data_access.programme.models import ReportedValue

    d = copy_small(tmp_path)
    write_csv(d / "reported_values.csv", REPORTED)
    import_ok(session, d, username="tester")
    stored = {(v.indicator_code, v.period, v.value): (v.note, v.origin, v.entered_at, v.period_end)
              for v in session.execute(select(ReportedValue)).scalars()}
    assert len(stored) == 3
    assert stored[("og_dispute_resolution", "2025-01", 3.25)] == (
        "考勤系统", "import", datetime(2025, 2, 6, 9, 30), date(2025, 1, 31))
    assert stored[("og_dispute_resolution", "2025-01", 2.0)][:2] == (None, "import")  # entered_at: the import
    assert stored[("cp_budget_share", "2024", 5.5)] == ("年度决算", "import", datetime(2025, 1, 10, 16),
                                                         date(2024, 12, 31))
    (detail,) = session.execute(select(AuditLog.detail).where(AuditLog.action == "reported.import")).scalars()
    assert json.loads(detail)["rows"] == 3
    a, b = tmp_path / "a", tmp_path / "b"
    export_dir(session, a, username="admin")
    session.commit()
    with Session(second_engine, expire_on_commit=False) as s2:
        import_ok(s2, a)
        export_dir(s2, b, username="admin")
        s2.commit()
    assert (a / "reported_values.csv").read_bytes() == (b / "reported_values.csv").read_bytes()
    assert read_csv(a / "reported_values.csv")[1][:5] == ["cp_budget_share", "C01", "2024", "5.5", "年度决算"]


@pytest.mark.parametrize("row,column,reason", [
    (["nope", "D01", "2025-01", "3", "", ""], "indicator_code", "unknown reported indicator 'nope'"),
    (["og_dispute_resolution", "S01", "2025-01", "3", "", ""], "unit_code",
     "og_dispute_resolution is entered by district units, 'S01' is a station"),
    (["og_dispute_resolution", "D01", "2025Q1", "3", "", ""], "period",
     "og_dispute_resolution is reported per month: '2025Q1'"),
    (["og_dispute_resolution", "D01", "2025-01", "101", "", ""], "value", None),
    (["og_dispute_resolution", "D01", "2025-01", "x", "", ""], "value", "not a number: 'x'"),
])
def test_bad_reported_value_aborts_whole_import(session, tmp_path, row, column, reason):
    d = copy_small(tmp_path)
    write_csv(d / "reported_values.csv", [COLUMNS["reported_values.csv"], REPORTED[1], row])
    targets_before = session.execute(select(func.count()).select_from(Target)).scalar_one()
    report = import_dir(session, d)
    assert not report.ok
    msgs = report.messages()
    assert any(m.startswith(f"reported_values.csv:3: {column}: " + (reason or "")) for m in msgs), msgs
    assert_nothing_written(session, targets_before)


# --- grid events and hazards (events.csv, hazards.csv) ------------------------------------------

EVENTS = [COLUMNS["events.csv"],
          ["E001", "G01", "urgent", "dispute", "2025-03-03T09:00:00", "2025-03-03T09:10:00", "2025-03-03T11:00:00",
           "confirmed", "H001"],
          ["E002", "G02", "general", "public_order", "2025-03-04T08:00:00", "", "", "open", ""]]
HAZARDS = [COLUMNS["hazards.csv"],
           ["Z001", "G01", "general", "2025-03-03T10:00:00", "2025-03-04T08:00:00", "H001", "V001"],
           ["Z002", "G03", "major", "2025-03-05T09:00:00", "", "", ""]]


def test_events_and_hazards_import_on_their_clocks_and_round_trip(session, second_engine, tmp_path):
    from data_access.fieldwork.models import GridEvent, Hazard

    d = copy_small(tmp_path)
    write_csv(d / "events.csv", EVENTS)
    write_csv(d / "hazards.csv", HAZARDS)
    import_ok(session, d)
    ev = {e.code: e for e in session.execute(select(GridEvent)).scalars()}
    e1, e2 = ev["E001"], ev["E002"]
    # urgent: due 15 min after creation; answered after 10 min; closed_at is both resolved and confirmed
    assert (e1.due_at, e1.response_seconds, e1.resolved_at, e1.confirmed_at, e1.status, e1.channel) == (
        datetime(2025, 3, 3, 9, 15), 600, datetime(2025, 3, 3, 11), datetime(2025, 3, 3, 11), "confirmed", "import")
    assert e1.household_id is not None and e1.created_month == 202503
    assert (e2.due_at, e2.responded_at, e2.household_id) == (datetime(2025, 3, 4, 10), None, None)
    hz = {h.code: h for h in session.execute(select(Hazard)).scalars()}
    # general: 24 h; rectified after 22 h. major: 48 h, still open
    assert (hz["Z001"].due_at, hz["Z001"].rectify_seconds, hz["Z001"].status) == (
        datetime(2025, 3, 4, 10), 22 * 3600, "rectified")
    assert hz["Z001"].visit_id is not None
    assert (hz["Z002"].due_at, hz["Z002"].status, hz["Z002"].rectified_at) == (datetime(2025, 3, 7, 9), "open", None)
    a, b = tmp_path / "a", tmp_path / "b"
    export_dir(session, a, username="admin")
    session.commit()
    with Session(second_engine, expire_on_commit=False) as s2:
        import_ok(s2, a)
        export_dir(s2, b, username="admin")
        s2.commit()
    for name, rows in (("events.csv", EVENTS), ("hazards.csv", HAZARDS)):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
        assert read_csv(a / name) == rows, name


@pytest.mark.parametrize("file,row,column,reason", [
    ("events.csv", ["E009", "M01", "urgent", "dispute", "2025-03-03T09:00:00", "", "", "open", ""], "grid_code",
     "'M01' is a community, not a grid"),
    ("events.csv", ["E009", "G02", "urgent", "dispute", "2025-03-03T09:00:00", "", "", "open", "H001"],
     "household_code", "household 'H001' is in grid 'G01', not 'G02'"),
    ("events.csv", ["E009", "G01", "urgent", "dispute", "2025-03-03T09:00:00", "2025-03-03T08:00:00", "", "accepted",
                    ""], "responded_at", "responded_at is before created_at"),
    ("events.csv", ["E009", "G01", "general", "dispute", "2025-03-03T09:00:00", "2025-03-03T09:30:00", "",
                    "resolved", ""], "closed_at", "a resolved event needs closed_at"),
    ("events.csv", ["E009", "G01", "fast", "dispute", "2025-03-03T09:00:00", "", "", "open", ""], "tier", None),
    ("events.csv", ["E001", "G01", "urgent", "dispute", "2025-03-03T09:00:00", "", "", "open", ""], "event_code",
     None),  # the same code twice in the file
    ("hazards.csv", ["Z009", "G01", "general", "2025-03-03T10:00:00", "", "H002", "V001"], "visit_code",
     "visit 'V001' belongs to household 'H001', not 'H002'"),
    ("hazards.csv", ["Z009", "G01", "general", "2025-03-03T10:00:00", "2025-03-02T10:00:00", "", ""], "rectified_at",
     "rectified_at is before found_at"),
    ("hazards.csv", ["Z009", "G09", "major", "2025-03-03T10:00:00", "", "", ""], "grid_code",
     "unknown org unit 'G09'"),
])
def test_a_bad_event_or_hazard_aborts_the_whole_import(session, tmp_path, file, row, column, reason):
    d = copy_small(tmp_path)
    rows = EVENTS if file == "events.csv" else HAZARDS
    write_csv(d / file, [*rows, row])
    targets_before = session.execute(select(func.count()).select_from(Target)).scalar_one()
    report = import_dir(session, d)
    assert not report.ok
    msgs = report.messages()
    assert any(m.startswith(f"{file}:4: {column}: " + (reason or "")) for m in msgs), msgs
    assert_nothing_written(session, targets_before)
