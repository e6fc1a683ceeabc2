"""assisted_persons.csv, person_visits.csv, counselling.csv (interchange.md, seed 004): import all or
nothing, export, round trip — SQLite and PostgreSQL. Built on tests/data/interchange_small plus the
three files below (written in export form).

    BF1  H002 (one resident, 张… → linked)  high   helper officer_li   registered 2025-01-06
    BF2  H001 (two residents → no link)     medium no helper           registered 2025-02-01
    BF1's counselling: missed, missed, attended, missed, missed, missed → one alert (at the 6th
    session), open; BF2's: missed ×3 then attended → one alert, acknowledged by the attended session.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from sqlmodel import Session, select
from test_interchange import SMALL, import_ok, read_csv, second_engine  # noqa: F401  (fixture)

from data_access.assistance.models import AssistedPerson, CounsellingAlert, CounsellingSession, PersonVisit
from data_access.interchange.files import export_dir, import_dir

FILES = {
    "assisted_persons.csv": [
        "person_code,household_code,group,risk,helper_username,registered_on",
        "BF1,H002,community_correction,high,officer_li,2025-01-06",
        "BF2,H001,released_prisoner,medium,,2025-02-01"],
    "person_visits.csv": [
        "person_code,visited_at,officer_username",
        "BF1,2025-03-03T10:00:00,officer_li",
        "BF1,2025-03-10T09:30:00,officer_li",
        "BF2,2025-03-05T15:00:00,"],
    "counselling.csv": [
        "person_code,scheduled_at,attended",
        "BF1,2025-02-03T15:00:00,0", "BF1,2025-02-17T15:00:00,0", "BF1,2025-03-03T15:00:00,1",
        "BF1,2025-03-17T15:00:00,0", "BF1,2025-03-31T15:00:00,0", "BF1,2025-04-14T15:00:00,0",
        "BF2,2025-02-10T15:00:00,0", "BF2,2025-02-24T15:00:00,0", "BF2,2025-03-10T15:00:00,0",
        "BF2,2025-03-24T15:00:00,1"],
}


def folder(tmp_path: Path, **replace) -> Path:
    d = tmp_path / "in"
    shutil.copytree(SMALL, d)
    for name, lines in {**FILES, **replace}.items():
        (d / name).write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return d


def test_import_links_counts_and_raises_alerts(session, tmp_path):
    import_ok(session, folder(tmp_path))
    persons = {p.code: p for p in session.exec(select(AssistedPerson)).all()}
    assert persons["BF1"].resident_id is not None and persons["BF2"].resident_id is None
    assert str(persons["BF1"].last_visit_at) == "2025-03-10 09:30:00"
    assert len(session.exec(select(PersonVisit)).all()) == 3
    assert len(session.exec(select(CounsellingSession)).all()) == 10
    alerts = {persons_code: a for a in session.exec(select(CounsellingAlert)).all()
              for persons_code, p in persons.items() if p.id == a.person_id}
    assert alerts["BF1"].acknowledged_at is None and alerts["BF1"].misses == 3
    assert str(alerts["BF2"].acknowledged_at) == "2025-03-24 15:00:00"


def test_a_bad_row_aborts_the_whole_import(session, tmp_path):
    bad = FILES["counselling.csv"] + ["BF9,2025-02-03T15:00:00,1"]  # unknown person
    report = import_dir(session, folder(tmp_path, **{"counselling.csv": bad}))
    assert not report.ok
    assert any("BF9" in m and "counselling.csv" in m for m in report.messages())
    session.rollback()
    assert session.exec(select(AssistedPerson)).all() == []
    helper = FILES["assisted_persons.csv"][:2] + ["BF3,H003,migrant,low,coord_heping,2025-01-01"]
    report = import_dir(session, folder(tmp_path / "x", **{"assisted_persons.csv": helper}))
    assert any("not an officer" in m for m in report.messages())


def test_round_trip(session, second_engine, tmp_path):  # noqa: F811
    src = folder(tmp_path)
    import_ok(session, src)
    a, b = tmp_path / "a", tmp_path / "b"
    export_dir(session, a)
    session.commit()
    for name in FILES:  # the files were written in export form: the export gives them back
        assert read_csv(a / name) == read_csv(src / name), name
    with Session(second_engine, expire_on_commit=False) as s2:
        import_ok(s2, a)
        export_dir(s2, b)
        s2.commit()
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
