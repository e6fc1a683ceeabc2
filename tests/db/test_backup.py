"""``python -m data_access backup DIR`` / ``restore DIR`` on SQLite and PostgreSQL: what was there
at backup time comes back exactly, later writes are gone, and a refused restore changes nothing."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

import factories as f
from data_access.__main__ import main
from data_access.core import backup as bk
from data_access.core import db as dbmod
from data_access.fieldwork.models import Household, Visit


def _seed(url: str) -> None:
    eng = dbmod.make_engine(url)
    with Session(eng) as s:
        city = f.unit(s, "C1")
        grid = f.chain(s, city, "D1", "S1", "M1", "G1")[-1]
        off = f.officer(s, grid, "bk_officer")
        for i in range(3):
            hh = f.household(s, grid, code=f"BK{i}")
            f.visit(s, hh, off, datetime(2025, 3, 1 + i, 10))
        s.commit()
    eng.dispose()


def _counts(url: str) -> tuple[int, int, list[str]]:
    eng = dbmod.make_engine(url)
    with Session(eng) as s:
        hh = s.exec(select(func.count()).select_from(Household)).one()[0]
        vs = s.exec(select(func.count()).select_from(Visit)).one()[0]
        codes = sorted(r[0] for r in s.exec(select(Household.code)).all())
    eng.dispose()
    return hh, vs, codes


def test_backup_then_restore_brings_back_exactly_the_backed_up_rows(use_db, tmp_path):
    _seed(use_db)
    before = _counts(use_db)
    assert before[:2] == (3, 3)
    assert main(["backup", str(tmp_path / "b")]) == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["engine"] in ("sqlite", "postgresql") and manifest["revision"]

    # after the backup: one household more and one visit deleted
    eng = dbmod.get_engine()
    with Session(eng) as s:
        grid_id = s.exec(select(Household.grid_id)).first()[0]
        s.add(Household(code="LATER", grid_id=grid_id, address="x", category="ordinary", risk_level="none"))
        s.delete(s.exec(select(Visit)).first()[0])
        s.commit()
    assert _counts(use_db) != before

    assert main(["restore", str(tmp_path / "b")]) == 0
    dbmod.dispose_engines()
    assert _counts(use_db) == before


def test_backup_refuses_a_non_empty_folder(use_db, tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "other").write_text("x")
    assert main(["backup", str(tmp_path / "b")]) == 1


def test_restore_under_another_key_is_refused_and_changes_nothing(use_db, tmp_path, monkeypatch):
    _seed(use_db)
    assert main(["backup", str(tmp_path / "b")]) == 0
    with Session(dbmod.get_engine()) as s:
        grid_id = s.exec(select(Household.grid_id)).first()[0]
        s.add(Household(code="LATER", grid_id=grid_id, address="x", category="ordinary", risk_level="none"))
        s.commit()
    after = _counts(use_db)
    monkeypatch.setenv("APP_SECRET_KEY", "another-key")
    from data_access.core.settings import reset_settings

    reset_settings()
    with pytest.raises(bk.BackupError, match="another APP_SECRET_KEY"):
        bk.restore(dbmod.get_engine(), tmp_path / "b")
    assert _counts(use_db) == after


def test_restore_of_a_backup_of_the_other_engine_is_refused(use_db, tmp_path):
    (tmp_path / "b").mkdir()
    other = "postgresql" if use_db.startswith("sqlite") else "sqlite"
    (tmp_path / "b" / "manifest.json").write_text(json.dumps({"engine": other, "file": "x"}))
    with pytest.raises(bk.BackupError, match="backup is of"):
        bk.restore(dbmod.get_engine(), tmp_path / "b")


def test_the_replicas_shared_results_are_not_backed_up(pg_url, monkeypatch, tmp_path):
    """result_cache is a cache: a PostgreSQL backup keeps its table, not its rows (results signed for
    one secret and one code version, recomputed within a minute anyway)."""
    from sqlalchemy import text

    from data_access.core import result_cache
    from data_access.core.settings import reset_settings

    monkeypatch.setenv("DATABASE_URL", pg_url)
    reset_settings()
    dbmod.dispose_engines()
    try:
        _seed(pg_url)
        result_cache.default().save("pages/overview.py:load_overview", (("C1",), ()), ("kpis",), 1000.0, 0.5)
        assert main(["backup", str(tmp_path / "b")]) == 0
        assert main(["restore", str(tmp_path / "b")]) == 0
        dbmod.dispose_engines()
        with dbmod.get_engine().connect() as c:
            assert c.execute(text("SELECT count(*) FROM result_cache")).scalar() == 0
        assert _counts(pg_url)[:2] == (3, 3)
    finally:
        dbmod.dispose_engines()
        reset_settings()
