"""Faults (issue 16): PostgreSQL restarted while an officer submits a visit, and a database that
refuses writes (read-only / disk full). The form says so in the user's language, keeps every entry,
writes nothing partial, and the resubmit writes the visit exactly once.

PostgreSQL here is a cluster of this module's own (tests/pg.py), so stopping it disturbs no other test.
"""
from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import sqlalchemy.exc as sa_exc
from sqlalchemy import event, func, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest
from test_officer_pages import box, fill_valid, key, run
from tiny_city import serving

from data_access.core import db as dbmod
from data_access.core.models import AuditLog
from data_access.fieldwork.models import Need, Visit, VisitDraft
from ui.errors import db_problem
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
LOG_VISIT = str(ROOT / "pages" / "log_visit.py")
UNAVAILABLE = CATALOGUE["error.db_unavailable"]
READ_ONLY = CATALOGUE["error.db_read_only"]


@pytest.fixture(scope="module")
def own_pg():
    from pg import PgCluster

    c = PgCluster().start()
    yield c
    c.stop()


@pytest.fixture
def pg_app(own_pg, monkeypatch, request):
    name = f"faults_{request.node.name[-20:].lower().replace('[', '_').replace(']', '')}"
    url = own_pg.create_db(name)
    eng = dbmod.make_engine(url)
    dbmod.migrate(eng)
    eng.dispose()
    with serving(url, monkeypatch):
        yield url


FRAMED = f"""
import runpy
from ui import errors

class _Page:  # the visit form run the way app.py runs every page: inside errors.run_page
    url_path = "log_visit"

    def run(self):
        runpy.run_path({LOG_VISIT!r}, run_name="__main__")

errors.run_page(_Page())
"""


def run_app(username: str, household: str) -> AppTest:
    """The officer's visit form inside ``errors.run_page`` (as app.py runs it in the browser)."""
    at = AppTest.from_string(FRAMED, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.query_params["household"] = household
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["lv"]["code"] == household
    return at


def counts(url: str) -> tuple[int, int, int]:
    eng = dbmod.make_engine(url)
    with Session(eng) as s:
        out = tuple(s.exec(select(func.count()).select_from(m)).one()[0] for m in (Visit, Need, AuditLog))
    eng.dispose()
    return out


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def answers(at: AppTest) -> tuple:
    return (at.radio(key=key(at, "id_shown")).value, at.radio(key=key(at, "sat")).value,
            at.session_state["lv"]["token"])


def test_postgres_restarted_during_submit_message_nothing_lost_resubmit_writes_once(pg_app, own_pg):
    at = run_app("officer", "H-G1-1")
    fill_valid(at, pg_app)
    at.button(key=key(at, "add_need")).click().run()
    box(at, "n1_cat").set_value("lighting").run()
    before = answers(at)
    assert before[0] == "yes" and before[1] == 5
    visits0, needs0, audit0 = counts(pg_app)

    own_pg.stop_server()  # the restart begins: every pooled connection is cut
    try:
        at.button(key="lv_submit").click().run()
        assert not at.exception, [e.value for e in at.exception]
        shown = errors(at)
        assert any(UNAVAILABLE["zh"] in m or CATALOGUE["error.db_unavailable_page"]["zh"] in m for m in shown), shown
        assert not at.success
        at.run()  # the officer clicks around while it is still down: the page says so, no traceback
        assert not at.exception, [e.value for e in at.exception]
    finally:
        own_pg.start_server()

    at.run()  # back up: the form is drawn again with every entry and the same token
    assert not at.exception, [e.value for e in at.exception]
    assert answers(at) == before
    assert box(at, "n1_cat").value == "lighting"
    assert counts(pg_app) == (visits0, needs0, audit0)  # nothing partial was written

    at.button(key="lv_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success, errors(at)
    at.button(key="lv_submit").click().run()  # and once more for good measure: still one visit
    v, n, _ = counts(pg_app)
    assert (v, n) == (visits0 + 1, needs0 + 1)
    eng = dbmod.make_engine(pg_app)
    with Session(eng) as s:
        tokens = [r[0] for r in s.exec(select(Visit.client_token)).all()]
    eng.dispose()
    assert tokens.count(before[2]) == 1


def test_read_only_postgres_refuses_the_visit_with_a_clear_message_and_no_partial_write(pg_app, own_pg):
    at = run(LOG_VISIT, "officer", household="H-G1-2", )
    fill_valid(at, pg_app)
    before = counts(pg_app)
    db = pg_app.rsplit("/", 1)[1]
    with psycopg.connect(f"host=127.0.0.1 port={own_pg.port} user=postgres dbname=postgres", autocommit=True) as c:
        c.execute(f'ALTER DATABASE "{db}" SET default_transaction_read_only = on')
    dbmod.dispose_engines()  # new sessions pick the setting up
    try:
        at.button(key="lv_submit").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert READ_ONLY["zh"] in errors(at)
        assert counts(pg_app) == before
        assert answers(at)[0] == "yes"  # the entries are still there
    finally:
        with psycopg.connect(f"host=127.0.0.1 port={own_pg.port} user=postgres dbname=postgres",
                             autocommit=True) as c:
            c.execute(f'ALTER DATABASE "{db}" RESET default_transaction_read_only')
        dbmod.dispose_engines()
    at.button(key="lv_submit").click().run()
    assert at.success, errors(at)
    assert counts(pg_app)[0] == before[0] + 1


def test_read_only_sqlite_refuses_in_english_too(app_env):
    at = run(LOG_VISIT, "officer", household="H-G1-3")
    at.session_state["lang"] = "en"
    at.run()
    fill_valid(at, app_env)
    drafts_before = _drafts(app_env)
    before = counts(app_env)
    dbmod.dispose_engines()
    eng = dbmod.get_engine(app_env)
    event.listen(eng, "connect", lambda conn, _r: conn.execute("PRAGMA query_only = ON"))
    at.button(key="lv_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert READ_ONLY["en"] in errors(at)
    assert counts(app_env) == before and _drafts(app_env) == drafts_before


def _drafts(url: str) -> int:
    eng = dbmod.make_engine(url)
    with Session(eng) as s:
        n = s.exec(select(func.count()).select_from(VisitDraft)).one()[0]
    eng.dispose()
    return n


@pytest.mark.parametrize(("orig", "expected"), [
    (psycopg.errors.DiskFull("could not extend file: No space left on device"), "db_read_only"),
    (psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"), "db_read_only"),
    (psycopg.OperationalError("connection failed: Connection refused"), "db_unavailable"),
    (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), "db_unavailable"),
    (psycopg.errors.UniqueViolation("duplicate key"), None),
])
def test_database_errors_are_told_apart(orig, expected):
    wrapped = sa_exc.DBAPIError.instance("INSERT …", {}, orig, psycopg.Error)
    assert db_problem(wrapped) == expected
    assert db_problem(ValueError("x")) is None
