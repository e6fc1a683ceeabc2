"""The demo city generator (data_access.demo.city) at scale S.

One S city is generated per module on SQLite (and one on PostgreSQL); the tests read it.
Expected values come from the raw rows or from the rules written here, never from the
generator's own bookkeeping.
"""
from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from data_access.analytics import rollups
from data_access.core import crypto
from data_access.core import db as dbmod
from data_access.core.settings import reset_settings
from data_access.demo import city as demo
from data_access.demo.logins import DEMO_LOGINS
from data_access.org.models import LEVELS
from data_access.org.passwords import verify_password

pytestmark = pytest.mark.xdist_group(name="demo")

SEED = 11
AS_OF = date(2026, 11, 25)


@pytest.fixture(scope="module")
def city(sqlite_template, tmp_path_factory):
    """An S city on SQLite, generated once for the module."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    eng = dbmod.make_engine(f"sqlite:///{path}")
    res = demo.generate(eng, "S", seed=SEED, as_of=AS_OF)
    yield eng, res
    eng.dispose()


def rows(eng, sql: str, **kw) -> list[tuple]:
    with eng.connect() as c:
        return [tuple(r) for r in c.execute(text(sql), kw).all()]


def one(eng, sql: str, **kw):
    return rows(eng, sql, **kw)[0][0]


def _fresh_sqlite(sqlite_template, tmp_path, name: str):
    path = tmp_path / name
    shutil.copy(sqlite_template, path)
    return dbmod.make_engine(f"sqlite:///{path}")


TABLES = ("org_unit", "app_user", "household", "resident", "visit", "need", "spot_check", "risk_change",
          "veto_event", "grid_assignment")


def _fingerprint(eng) -> dict:
    fp = {t: one(eng, f"SELECT COUNT(*) FROM {t}") for t in TABLES}
    fp["first_households"] = rows(eng, "SELECT code, address, category, risk_level FROM household ORDER BY id LIMIT 25")
    fp["units"] = rows(eng, "SELECT code, name_zh, pilot FROM org_unit ORDER BY id LIMIT 40")
    fp["accurate"] = one(eng, "SELECT SUM(CASE WHEN accurate THEN 1 ELSE 0 END) FROM spot_check")
    fp["ratings"] = one(eng, "SELECT SUM(satisfaction) FROM visit")
    fp["statuses"] = rows(eng, "SELECT status, COUNT(*) FROM need GROUP BY status ORDER BY status")
    fp["last_visit"] = str(one(eng, "SELECT MAX(visited_at) FROM visit"))[:19]
    return fp


# --- determinism -----------------------------------------------------------------------------

def test_same_seed_same_city_different_seed_different_city(sqlite_template, tmp_path):
    as_of = date(2024, 3, 1)  # a short history keeps this test fast
    fps = []
    for i, seed in enumerate((5, 5, 6)):
        eng = _fresh_sqlite(sqlite_template, tmp_path, f"d{i}.db")
        demo.generate(eng, "S", seed=seed, as_of=as_of)
        fps.append(_fingerprint(eng))
        eng.dispose()
    assert fps[0] == fps[1]
    assert fps[0]["first_households"][0][0] == "H0000001"
    assert fps[0]["first_households"] != fps[2]["first_households"]
    assert fps[0]["accurate"] != fps[2]["accurate"] or fps[0]["ratings"] != fps[2]["ratings"]


def test_postgresql_gives_the_same_city_as_sqlite(city, pg_cluster):
    eng_sqlite, _ = city
    url = pg_cluster.create_db("demo_pg")
    eng = dbmod.make_engine(url)
    try:
        dbmod.migrate(eng)
        demo.generate(eng, "S", seed=SEED, as_of=AS_OF)  # COPY path
        assert _fingerprint(eng) == _fingerprint(eng_sqlite)
        _assert_rollups_match_rebuild(eng)
        # sequences were moved past the explicit ids: an ORM insert still works
        with Session(eng) as s:
            s.execute(text("INSERT INTO veto_event (org_unit_id, occurred_on, kind, confirmed) "
                           "VALUES (1, '2026-01-01', 'complaints', false)"))
            s.commit()
        # the demo's veto events, the confirmed data leak's (issue 15) and the one inserted here
        leaks = one(eng, "SELECT COUNT(*) FROM security_incident WHERE leak_confirmed")
        assert leaks == 1
        assert one(eng, "SELECT COUNT(*) FROM veto_event") == len(demo.VETO_EVENTS) + leaks + 1
    finally:
        eng.dispose()


# --- structure -------------------------------------------------------------------------------

def test_scale_s_sizes(city):
    eng, res = city
    assert one(eng, "SELECT COUNT(*) FROM org_unit WHERE level='district'") == 3
    assert one(eng, "SELECT COUNT(*) FROM org_unit WHERE level='grid'") == 150
    assert 10_000 <= one(eng, "SELECT COUNT(*) FROM household") <= 14_000
    assert res.counts["household"] == one(eng, "SELECT COUNT(*) FROM household")
    assert one(eng, "SELECT COUNT(*) FROM org_unit WHERE level='district' AND pilot") == 1


def test_levels_nest_and_paths_match(city):
    eng, _ = city
    units = {r[0]: r for r in rows(eng, "SELECT id, parent_id, level, path, city_id, district_id, station_id, "
                                        "community_id, pilot FROM org_unit")}
    assert sum(1 for u in units.values() if u[2] == "city") == 1
    for uid, parent, level, path, *anc, pilot in units.values():
        if level == "city":
            assert parent is None and path == f"/{uid}/"
            continue
        p = units[parent]
        assert LEVELS.index(level) == LEVELS.index(p[2]) + 1
        assert path == p[3] + f"{uid}/"
        assert pilot == p[8] or p[2] == "city"  # pilot flag is inherited below a district
        chain = [int(x) for x in path.strip("/").split("/")][:4]
        assert list(anc) == chain + [None] * (4 - len(chain))  # city, district, station, community ids
    # dated assignment = current parent, open-ended
    got = rows(eng, "SELECT a.grid_id, a.community_id, a.to_month FROM grid_assignment a")
    assert sorted(got) == sorted((u[0], u[1], None) for u in units.values() if u[2] == "grid")


def _polygons(geom: str) -> list[list]:
    g = json.loads(geom)
    assert g["type"] in ("Polygon", "MultiPolygon")
    return [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]


def _area(geom: str) -> float:
    """Shoelace area in degrees²: exteriors count positive (CCW), holes negative."""
    return sum(0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))
               for poly in _polygons(geom) for ring in poly)


def test_every_unit_has_a_closed_polygon_inside_the_city_box(city):
    eng, _ = city
    for code, level, geom in rows(eng, "SELECT code, level, geometry FROM org_unit"):
        polys = _polygons(geom)
        if level == "grid":
            assert len(polys) == 1 and len(polys[0][0]) == 5, code  # a quadrilateral
        for poly in polys:
            for ring in poly:
                assert ring[0] == ring[-1] and len(ring) >= 4, code
                for lon, lat in ring:
                    assert 113.9 < lon < 114.7 and 30.3 < lat < 30.9, code


def test_child_polygons_tile_their_parent_without_gaps_or_overlap(city):
    """Shoelace areas: the children of every unit add up to the parent's polygon area."""
    eng, _ = city
    geoms = {uid: (parent, geom) for uid, parent, geom in rows(eng, "SELECT id, parent_id, geometry FROM org_unit")}
    children: dict[int, float] = {}
    for _uid, (parent, geom) in geoms.items():
        if parent is not None:
            children[parent] = children.get(parent, 0.0) + _area(geom)
    assert len(children) == len(geoms) - 150  # every non-grid unit has children
    for uid, total in children.items():
        assert _area(geoms[uid][1]) > 0
        assert total == pytest.approx(_area(geoms[uid][1]), rel=1e-6), uid


def test_districts_are_contiguous_blocks_and_pilots_central(city):
    eng, _ = city
    for (geom,) in rows(eng, "SELECT geometry FROM org_unit WHERE level IN ('district', 'station', 'community')"):
        assert len(_polygons(geom)) == 1  # one piece each

    def centre(geom: str) -> tuple[float, float]:
        ring = _polygons(geom)[0][0]
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)

    cx, cy = centre(one(eng, "SELECT geometry FROM org_unit WHERE level='city'"))
    dist = {pilot: [] for pilot in (0, 1)}
    for pilot, geom in rows(eng, "SELECT pilot, geometry FROM org_unit WHERE level='district'"):
        x, y = centre(geom)
        dist[int(pilot)].append((x - cx) ** 2 + (y - cy) ** 2)
    assert max(dist[1]) <= min(dist[0])


def test_one_officer_per_grid_and_visits_by_that_officer(city):
    eng, _ = city
    per_grid = rows(eng, "SELECT g.id, COUNT(u.id) FROM org_unit g LEFT JOIN app_user u "
                         "ON u.scope_id = g.id AND u.role = 'officer' WHERE g.level='grid' GROUP BY g.id")
    assert len(per_grid) == 150 and all(n == 1 for _, n in per_grid)
    wrong = one(eng, "SELECT COUNT(*) FROM visit v JOIN app_user u ON u.id = v.officer_id "
                     "WHERE u.scope_id <> v.grid_id")
    assert wrong == 0
    # one shared hash for grid officers (never thousands of bcrypt runs)
    assert one(eng, "SELECT COUNT(DISTINCT password_hash) FROM app_user WHERE role='officer'") == 1


def test_demo_logins_exist_with_roles_scopes_and_passwords(city):
    eng, res = city
    first_pilot = rows(eng, "SELECT id, name_zh FROM org_unit WHERE level='district' AND pilot ORDER BY code")[0]
    first_grid = rows(eng, "SELECT id, name_zh FROM org_unit WHERE level='grid' AND district_id=:d ORDER BY id",
                      d=first_pilot[0])[0]
    city_id = one(eng, "SELECT id FROM org_unit WHERE level='city'")
    station = one(eng, "SELECT station_id FROM org_unit WHERE id=:g", g=first_grid[0])
    want_scope = {"city": city_id, "first pilot district": first_pilot[0], "first grid of that district": first_grid[0],
                  "the officer's station": station}
    for username, password, role, scope in DEMO_LOGINS:
        got = rows(eng, "SELECT role, scope_id, password_hash, active FROM app_user WHERE username=:u", u=username)
        assert len(got) == 1, username
        r, scope_id, hashed, active = got[0]
        assert (r, scope_id, bool(active)) == (role, want_scope[scope], True), username
        assert verify_password(password, hashed)
        assert not verify_password(password + "x", hashed)
    assert one(eng, "SELECT COUNT(*) FROM visit v JOIN app_user u ON u.id=v.officer_id WHERE u.username='officer'") > 0
    assert [x[0] for x in res.logins] == [u for u, *_ in DEMO_LOGINS]
    assert dict((u, s) for u, _p, _r, s in res.logins)["officer"] == first_grid[1]


def test_residents_are_encrypted_with_the_app_keys(city):
    eng, _ = city
    for name, enc, h, masked, penc, pmasked in rows(
            eng, "SELECT name, id_number_enc, id_number_hash, id_number_masked, phone_enc, phone_masked "
                 "FROM resident ORDER BY id LIMIT 30"):
        idn = crypto.decrypt(enc)
        assert len(idn) == 18 and idn not in enc
        assert demo.id_number(idn[:6], date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14])),
                              int(idn[14:17])) == idn  # check digit valid
        assert h == crypto.lookup_hash(idn)
        assert masked == crypto.mask_id_number(idn)
        phone = crypto.decrypt(penc)
        assert len(phone) == 11 and phone[0] == "1" and pmasked == crypto.mask_phone(phone)
        assert 2 <= len(name) <= 3


def test_id_number_check_digit_matches_the_standard_example():
    # GB 11643-1999 example: 11010519491231002X
    assert demo.id_number("110105", date(1949, 12, 31), 2) == "11010519491231002X"


def test_addresses_name_district_street_and_community(city):
    eng, _ = city
    for addr, d, s, c, cat in rows(
            eng, "SELECT h.address, d.name_zh, st.name_zh, co.name_zh, h.category FROM household h "
                 "JOIN org_unit g ON g.id=h.grid_id JOIN org_unit d ON d.id=g.district_id "
                 "JOIN org_unit st ON st.id=g.station_id JOIN org_unit co ON co.id=g.community_id LIMIT 200"):
        street = s.removesuffix("街道派出所")
        assert addr.startswith(f"江城市{d}{street}街道"), addr
        if cat != "business":
            assert c in addr and "栋" in addr and "单元" in addr


# --- the story -------------------------------------------------------------------------------

def _accuracy(eng, where: str, **kw) -> float:
    n, ok = rows(eng, "SELECT COUNT(*), SUM(CASE WHEN s.accurate THEN 1 ELSE 0 END) FROM spot_check s "
                      "JOIN household h ON h.id = s.household_id JOIN org_unit g ON g.id = s.grid_id "
                      f"WHERE {where}", **kw)[0]
    assert n > 50
    return ok / n


def test_pilot_districts_are_more_accurate_in_2024(city):
    eng, _ = city
    period = "s.checked_on >= '2024-01-01' AND s.checked_on <= '2024-12-31'"
    pilot = _accuracy(eng, f"{period} AND g.pilot")
    other = _accuracy(eng, f"{period} AND NOT g.pilot")
    assert pilot > other + 0.03


def test_everyone_improves_from_the_2023_baseline(city):
    eng, _ = city
    base = _accuracy(eng, "s.checked_on < '2024-01-01'")
    assert 0.76 < base < 0.88  # baseline near 82.4 %
    assert _accuracy(eng, "s.checked_on >= '2026-01-01'") > base + 0.05


def test_rentals_are_less_accurate(city):
    eng, _ = city
    assert _accuracy(eng, "h.category = 'rental'") < _accuracy(eng, "h.category = 'ordinary'")


def test_process_compliance_improves(city):
    eng, _ = city

    def share(where: str) -> float:
        n, ok = rows(eng, f"SELECT COUNT(*), SUM(CASE WHEN compliant THEN 1 ELSE 0 END) FROM visit WHERE {where}")[0]
        return ok / n

    assert share("visited_at < '2024-01-01'") < 0.8
    assert share("visited_at >= '2026-06-01'") > 0.9


def test_backlog_of_open_and_overdue_needs_at_as_of(city):
    eng, _ = city
    cutoff = datetime.combine(AS_OF, datetime.min.time())
    overdue = one(eng, "SELECT COUNT(*) FROM need WHERE status IN ('open','accepted','in_progress') "
                       "AND responded_at IS NULL AND created_at < :t", t=cutoff - timedelta(hours=48))
    recent_open = one(eng, "SELECT COUNT(*) FROM need WHERE status IN ('open','accepted','in_progress') "
                           "AND created_at >= :t", t=cutoff - timedelta(days=30))
    assert overdue > 0 and recent_open > 0
    statuses = {s for (s,) in rows(eng, "SELECT DISTINCT status FROM need")}
    assert {"open", "in_progress", "resolved", "confirmed", "withdrawn", "duplicate"} <= statuses


def test_nothing_happens_on_or_after_as_of(city):
    eng, _ = city
    cutoff = datetime.combine(AS_OF, datetime.min.time())
    for sql in ("SELECT MAX(visited_at) FROM visit", "SELECT MAX(entered_at) FROM visit",
                "SELECT MAX(created_at) FROM need", "SELECT MAX(responded_at) FROM need",
                "SELECT MAX(resolved_at) FROM need"):
        assert str(one(eng, sql)) < str(cutoff), sql
    assert str(one(eng, "SELECT MAX(checked_on) FROM spot_check")) < AS_OF.isoformat()


def test_special_group_cadence_mostly_kept_and_better_than_before_the_programme(city):
    eng, _ = city

    def kept_share(day: date) -> float:
        at = datetime.combine(day, datetime.min.time())
        kept = total = 0
        for level, days in (("red", 7), ("yellow", 30), ("blue", 30)):
            total += one(eng, "SELECT COUNT(*) FROM household WHERE risk_level=:l AND registered_on < :d",
                         l=level, d=day - timedelta(days=days))
            kept += one(eng, "SELECT COUNT(DISTINCT h.id) FROM household h JOIN visit v ON v.household_id=h.id "
                             "WHERE h.risk_level=:l AND h.registered_on < :d AND v.visited_at >= :t AND v.visited_at < :u",
                        l=level, d=day - timedelta(days=days), t=at - timedelta(days=days), u=at)
        assert total > 20
        return kept / total

    now = kept_share(AS_OF)
    assert now > 0.85
    assert kept_share(date(2023, 12, 1)) < now - 0.2  # no cadence before the programme


def test_milestones_done_in_progress_and_late(city):
    eng, _ = city
    ms = rows(eng, "SELECT code, due, status, evidence, done_on FROM milestone")
    by_status = {}
    for code, due, status, evidence, done_on in ms:
        by_status.setdefault(status, []).append(code)
        due = date.fromisoformat(str(due)[:10])
        if status == "late":
            assert due < AS_OF and done_on is None
        if status == "done":
            assert evidence and done_on is not None and str(done_on) < AS_OF.isoformat()
        if due >= AS_OF:
            assert status in ("planned", "in_progress")
    assert by_status.get("late") and by_status.get("done")


def test_veto_events_and_audit_row(city):
    eng, res = city
    assert one(eng, "SELECT COUNT(*) FROM veto_event WHERE confirmed") >= 1
    detail = one(eng, "SELECT detail FROM audit_log WHERE action='demo.generate'")
    assert json.loads(detail)["counts"]["visit"] == one(eng, "SELECT COUNT(*) FROM visit")


# --- rollups ---------------------------------------------------------------------------------

def _assert_rollups_match_rebuild(eng) -> None:
    snap = rows(eng, "SELECT grid_id, period_month, event_month, metric, n FROM rollup ORDER BY 1, 2, 3, 4")
    weeks = rows(eng, "SELECT officer_id, week, households FROM officer_week ORDER BY 1, 2")
    with Session(eng) as s:
        rollups.rebuild(s)
        s.commit()
    assert snap == rows(eng, "SELECT grid_id, period_month, event_month, metric, n FROM rollup ORDER BY 1, 2, 3, 4")
    assert weeks == rows(eng, "SELECT officer_id, week, households FROM officer_week ORDER BY 1, 2")
    total = dict(rows(eng, "SELECT metric, SUM(n) FROM rollup GROUP BY metric"))
    assert total["visits"] == one(eng, "SELECT COUNT(*) FROM visit")
    assert total["checks_ok"] == one(eng, "SELECT COUNT(*) FROM spot_check WHERE accurate")
    assert total["needs"] == one(eng, "SELECT COUNT(*) FROM need WHERE status NOT IN ('withdrawn', 'duplicate')")


def test_rollups_equal_a_rebuild(city):
    eng, _ = city
    _assert_rollups_match_rebuild(eng)


# --- command line ----------------------------------------------------------------------------

@pytest.fixture
def cli_db(monkeypatch):
    def point(url: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        reset_settings()
        dbmod.dispose_engines()

    yield point
    dbmod.dispose_engines()
    reset_settings()


def test_cli_if_empty_prints_logins_and_leaves_data_alone(city, cli_db, capsys):
    eng, _ = city
    cli_db(eng.url.render_as_string(hide_password=False))
    before = one(eng, "SELECT COUNT(*) FROM household")
    assert demo.cli_demo(scale="S", seed=99, as_of="2026-01-01", if_empty=True) == 0
    out = capsys.readouterr().out
    assert all(u in out for u, *_ in DEMO_LOGINS) and "District#2026" in out
    assert one(eng, "SELECT COUNT(*) FROM household") == before
    # without --if-empty a populated database is refused
    assert demo.cli_demo(scale="S", seed=99, as_of="2026-01-01", if_empty=False) == 1


def test_cli_refuses_scale_l_on_sqlite(sqlite_url, cli_db, capsys):
    cli_db(sqlite_url)
    assert demo.cli_demo(scale="L", seed=1, as_of="2024-02-01") == 2
    assert "PostgreSQL" in capsys.readouterr().err
    eng = dbmod.make_engine(sqlite_url)
    assert one(eng, "SELECT COUNT(*) FROM org_unit") == 0
    eng.dispose()


def test_a_failed_generation_leaves_the_database_as_it_was(sqlite_template, tmp_path, monkeypatch):
    eng = _fresh_sqlite(sqlite_template, tmp_path, "fail.db")
    indexes = rows(eng, "SELECT name FROM sqlite_master WHERE type='index' ORDER BY name")

    def boom(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo._Gen, "veto_events", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.generate(eng, "S", seed=1, as_of=date(2023, 3, 1))
    assert rows(eng, "SELECT name FROM sqlite_master WHERE type='index' ORDER BY name") == indexes
    assert one(eng, "SELECT COUNT(*) FROM org_unit") == 0
    assert one(eng, "SELECT COUNT(*) FROM household") == 0
    eng.dispose()


# --- recent activity for the officers' screens -------------------------------------------------

def test_need_categories_are_the_trackers_codes(city):
    from data_access.fieldwork.needs import CATEGORIES

    eng, _ = city
    got = {c for (c,) in rows(eng, "SELECT DISTINCT category FROM need")}
    assert got and got <= set(CATEGORIES)


def test_need_histories_end_in_the_need_status(city):
    eng, _ = city
    mism = rows(eng, "SELECT n.code, n.status, e.to_status FROM need n JOIN need_event e ON e.need_id = n.id "
                     "WHERE e.id = (SELECT MAX(id) FROM need_event x WHERE x.need_id = n.id) AND e.to_status <> n.status")
    assert mism == []
    assert one(eng, "SELECT COUNT(DISTINCT need_id) FROM need_event") > 50
    # every history starts with the creation at the need's creation time
    firsts = rows(eng, "SELECT e.action, e.at, n.created_at FROM need n JOIN need_event e ON e.need_id = n.id "
                       "WHERE e.id = (SELECT MIN(id) FROM need_event x WHERE x.need_id = n.id)")
    assert all(a == "create" and str(at) == str(c) for a, at, c in firsts)


def test_recent_visits_have_form_answers_and_booked_night_visits(city):
    eng, _ = city
    items = {c for (c,) in rows(eng, "SELECT code FROM form_item WHERE active")}
    answered = {c for (c,) in rows(eng, "SELECT DISTINCT item_code FROM visit_answer")}
    assert answered and answered <= items
    cutoff = datetime.combine(AS_OF, datetime.min.time())
    planned = rows(eng, "SELECT scheduled_at, made_at FROM appointment WHERE status = 'planned'")
    assert planned and all(str(s) >= str(cutoff) > str(m) for s, m in planned)
    # a done appointment belongs to a night visit booked at least 24 h ahead
    bad = one(eng, "SELECT COUNT(*) FROM appointment a JOIN visit v ON v.id = a.visit_id "
                   "WHERE a.status = 'done' AND NOT (v.is_night AND v.appointment_made_at = a.made_at)")
    assert bad == 0


def test_privacy_complaints_include_an_overdue_one(city):
    from data_access.fieldwork.complaints import clock
    from data_access.fieldwork.models import PrivacyComplaint

    eng, _ = city
    now = datetime.combine(AS_OF, datetime.min.time())
    with Session(eng) as s:
        clocks = [clock(c, now) for c in s.exec(select(PrivacyComplaint)).all()]
    assert len(clocks) >= 3
    assert any(c.start_overdue or c.close_overdue for c in clocks)


def test_grid_events_and_hazards_tell_a_story(city):
    """A year of events and hazards on their clocks: most answered in time, some late, a backlog of
    open ones near as_of (the demo officer's grid always has some), nothing on or after as_of."""
    eng, _res = city
    n = one(eng, "SELECT COUNT(*) FROM grid_event")
    late = one(eng, "SELECT COUNT(*) FROM grid_event WHERE responded_at > due_at")
    in_time = one(eng, "SELECT COUNT(*) FROM grid_event WHERE responded_at <= due_at")
    assert n > 1000 and 0 < late < in_time
    assert one(eng, "SELECT COUNT(*) FROM grid_event WHERE status = 'open'") > 0
    assert one(eng, "SELECT COUNT(*) FROM grid_event e JOIN app_user u ON u.scope_id = e.grid_id "
                    "WHERE u.username = 'officer' AND e.status = 'open'") >= 2
    assert one(eng, "SELECT COUNT(*) FROM hazard WHERE rectified_at > due_at") > 0
    assert one(eng, "SELECT COUNT(*) FROM hazard WHERE status = 'rectified' AND evidence IS NULL") == 0
    assert one(eng, "SELECT COUNT(*) FROM grid_event WHERE created_at >= '2026-11-25'") == 0

def test_reported_values_every_indicator_some_late_or_missing_and_approval_in_progress(city):
    eng, res = city
    n_reported = rows(eng, "SELECT COUNT(*) FROM indicator WHERE kind = 'reported'")[0][0]
    with_values = rows(eng, "SELECT COUNT(DISTINCT indicator_code) FROM reported_value")[0][0]
    assert with_values == n_reported
    # every value is at its indicator's entry level, in range for a percent, entered after its period
    bad = rows(eng, "SELECT COUNT(*) FROM reported_value rv JOIN indicator i ON i.code = rv.indicator_code "
                    "JOIN org_unit o ON o.id = rv.org_unit_id WHERE o.level <> i.entry_level "
                    "OR (i.unit = '%' AND (rv.value < 0 OR rv.value > 100)) OR rv.entered_at <= rv.period_end")
    assert bad == [(0,)]
    # per district: share of monthly values entered more than 10 days after the month end
    late = dict(rows(eng, "SELECT o.code, AVG(CASE WHEN julianday(rv.entered_at) - julianday(rv.period_end) > 11 "
                          "THEN 1.0 ELSE 0.0 END) FROM reported_value rv JOIN org_unit o ON o.id = rv.org_unit_id "
                          "WHERE length(rv.period) = 7 AND o.level = 'district' GROUP BY o.code"))
    assert max(late.values()) == 1.0 and min(late.values()) == 0.0  # one district always late, others on time
    months = dict(rows(eng, "SELECT o.code, COUNT(DISTINCT rv.period) FROM reported_value rv "
                            "JOIN org_unit o ON o.id = rv.org_unit_id WHERE length(rv.period) = 7 "
                            "AND o.level = 'district' GROUP BY o.code"))
    assert len(set(months.values())) > 1  # someone is missing months
    statuses = dict(rows(eng, "SELECT status, COUNT(*) FROM reported_value rv JOIN indicator i "
                              "ON i.code = rv.indicator_code WHERE i.needs_approval GROUP BY status"))
    assert statuses.get("approved", 0) > 0 and statuses.get("entered", 0) > 0 and statuses.get("returned") == 1
    assert rows(eng, "SELECT COUNT(*) FROM reported_value rv JOIN indicator i ON i.code = rv.indicator_code "
                     "WHERE NOT i.needs_approval AND rv.status <> 'entered'") == [(0,)]
    assert res.counts["reported_awaiting_approval"] == statuses["entered"]


def test_accountability_story(city):
    """Issue 15: units lagging two months running with an interview on record, overdue ledger items,
    incidents with a missed clock and a confirmed leak, an erased resident with its request kept."""
    eng, _ = city
    assert one(eng, "SELECT COUNT(*) FROM lag_entry e JOIN lag_action a ON a.lag_entry_id = e.id "
                    "WHERE e.months_running >= 2 AND a.kind = 'interview'") >= 1
    assert one(eng, "SELECT COUNT(*) FROM rectification_item WHERE status <> 'closed' AND due < :d",
               d=AS_OF.isoformat()) >= 2
    assert one(eng, "SELECT COUNT(*) FROM rectification_item WHERE status = 'closed' AND evidence IS NOT NULL") >= 1
    assert one(eng, "SELECT COUNT(*) FROM security_incident WHERE plan_started_at > plan_due_at "
                    "OR trace_done_at > trace_due_at") >= 2
    assert one(eng, "SELECT COUNT(*) FROM security_incident WHERE leak_confirmed AND veto_event_id IS NOT NULL") == 1
    erased = rows(eng, "SELECT r.name, r.id_number_hash, r.phone_enc FROM data_rights_request d "
                       "JOIN resident r ON r.id = d.resident_id WHERE d.kind = 'erasure' AND d.status = 'done'")
    assert erased == [("（已删除）", None, None)]
    for table, col in (("lag_action", "recorded_at"), ("rectification_item", "created_at"),
                       ("security_incident", "created_at"), ("data_rights_request", "created_at"),
                       ("audit_log", "at")):
        if table == "audit_log":
            assert str(one(eng, "SELECT MAX(at) FROM audit_log WHERE action <> 'demo.generate'")) < AS_OF.isoformat()
        else:
            assert str(one(eng, f"SELECT MAX({col}) FROM {table}")) < AS_OF.isoformat(), table
def test_staffing_story(city):
    """issue 14 (staffing): some uncertified staff (never a lead), some understaffed grids and
    communities, visit durations, office hours, joint meetings with some months missing."""
    eng, _res = city
    assert one(eng, "SELECT COUNT(*) FROM staff WHERE NOT certified") > 0
    assert one(eng, "SELECT COUNT(*) FROM staff_assignment a JOIN staff s ON s.id = a.staff_id "
                    "WHERE a.lead AND NOT s.certified") == 0
    assert one(eng, "SELECT COUNT(*) FROM staff WHERE staff_type = 'officer' AND user_id IS NULL") == 0
    assert one(eng, "SELECT COUNT(*) FROM grid_profile WHERE area_type = 'rural'") > 0
    from data_access.staffing import roster

    with Session(eng) as s:
        rules = {b.rule for b in roster.grid_breaches(session=s, user="admin", day=AS_OF - timedelta(days=1))}
    assert {"no_lead", "uncertified_on_post", "grid_workers_lt2"} <= rules
    assert one(eng, "SELECT COUNT(*) FROM visit WHERE duration_min IS NULL") == 0
    assert one(eng, "SELECT MIN(duration_min) FROM visit") >= 15
    assert one(eng, "SELECT COUNT(*) FROM office_session") > 0
    n_comm = one(eng, "SELECT COUNT(*) FROM org_unit WHERE level = 'community'")
    held = one(eng, "SELECT COUNT(*) FROM (SELECT DISTINCT community_id, month FROM joint_meeting) x")
    assert 0.6 * 12 * n_comm < held < 13 * n_comm  # most months, not all
