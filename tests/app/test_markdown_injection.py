"""Issue 17, finding 2: user-supplied text is shown as text. Hostile markdown in every free-text
field that reaches a screen — household addresses, unit names, display names, need descriptions,
categories and resolutions, complaint summaries — is swept through the pages of every role; no
element that renders markdown (text, captions, alerts, headings, widget labels and options) may
carry it unescaped: no outside image (a beacon), no link, no ``:red[…]``, no autolink."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from pagerun import open_page
from sqlmodel import Session, select
from tiny_city import TODAY

from data_access.core.db import make_engine
from data_access.fieldwork import complaints, needs
from data_access.fieldwork.models import Household, Need, PrivacyComplaint
from data_access.org.models import OrgUnit, User
from ui import format as fmt

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
NOW = datetime.fromisoformat(TODAY)
RAW = ("](http", ":red[", "www.evil", "**bold", "<img", "://")  # what must never reach a markdown element


def hostile(field: str) -> str:
    return (f"![{field}](http://evil.example/{field}.png) [{field}](http://evil.example) :red[{field}] "
            f"**bold{field}** www.evil.example <img src=x>")


@pytest.fixture
def hostile_city(app_env):
    eng = make_engine(app_env)
    with Session(eng) as s:
        for h in s.exec(select(Household)).all():
            h.address = hostile("addr")
            s.add(h)
        for u in s.exec(select(OrgUnit)).all():
            u.name_zh, u.name_en = hostile("unit"), hostile("unit")
            s.add(u)
        for u in s.exec(select(User)).all():
            u.display_name = hostile("name")
            s.add(u)
        h = s.exec(select(Household).where(Household.code == "H-G1-0")).one()
        n = needs.create_need(session=s, user="admin", household_id=h.id, category="![c](http://e.x/c.png)",
                              now=NOW, created_at=NOW, code="NX", description=hostile("desc"))
        n.note = hostile("note")
        n.assignee_id = s.exec(select(User.id).where(User.username == "officer")).one()
        s.add(n)
        complaints.receive(session=s, user="officer", received_at=NOW, summary=hostile("pc"),
                           org_unit_id=h.grid_id, now=NOW, household_id=h.id, code="PX")
        s.commit()
        assert s.exec(select(Need).where(Need.code == "NX")).one().description == hostile("desc")
        assert s.exec(select(PrivacyComplaint).where(PrivacyComplaint.code == "PX")).one()
    yield app_env
    eng.dispose()


def markdown_texts(at) -> list[str]:
    """Every string of the run that Streamlit renders as markdown."""
    out: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in ("button", "radio", "selectbox", "multiselect", "text_input", "text_area", "number_input",
                 "checkbox", "toggle", "metric", "expander", "tabs", "date_input"):
        for w in getattr(at, kind, []):
            out.append(str(getattr(w, "label", "")))
    for r in at.radio:
        out += [str(o) for o in r.options]
    return out


def plain_texts(at) -> str:
    parts = [str(e.value) for e in at.text]
    for df in at.dataframe:
        parts += [str(x) for x in df.value.to_numpy().ravel()]
    return "\n".join(parts)


PAGES = [  # (username, script, query)
    ("district", APP, {}),
    ("officer", "pages/my_work.py", {}),
    ("officer", "pages/log_visit.py", {"household": "H-G1-0"}),
    ("officer", "pages/needs.py", {"need": "NX"}),
    ("district", "pages/needs.py", {"need": "NX"}),
    ("district", "pages/complaints.py", {"complaint": "PX"}),
    ("district", "pages/overview.py", {}),
    ("district", "pages/gaps.py", {}),
    ("district", "pages/map.py", {}),
    ("district", "pages/report.py", {}),
    ("district", "pages/pilot.py", {}),
    ("district", "pages/special_groups.py", {}),
    ("officer", "pages/account.py", {}),
    ("admin", "pages/admin_users.py", {}),
    ("admin", "pages/audit.py", {}),
]


def test_hostile_markdown_in_free_text_is_shown_as_text_on_every_page(hostile_city):
    seen_escaped: set[str] = set()
    seen_plain: set[str] = set()
    leaks: list[tuple[str, str]] = []
    for username, script, query in PAGES:
        at = open_page(script if script == APP else str(ROOT / script), username, query=query)
        for text in markdown_texts(at):
            if any(r in re.sub(r"\\.", "", text, flags=re.S) for r in RAW):  # escaped characters dropped
                leaks.append((script, text[:160]))
            for f in ("addr", "unit", "name", "desc", "note", "pc"):
                if fmt.md(hostile(f)) in text:
                    seen_escaped.add(f)
        plain = plain_texts(at)
        seen_plain |= {f for f in ("desc", "note", "pc", "addr") if hostile(f) in plain}
    assert leaks == []
    # the sweep reached the fields: shown escaped in markdown, or whole in plain text elements
    assert {"addr", "unit", "name"} <= seen_escaped, seen_escaped
    assert {"desc", "note", "pc"} <= seen_plain, seen_plain


def test_escaped_text_reads_as_typed():
    s = "![b](http://x/b.png) :red[r] $x$ a_b*c www.x.cn a@b.cn H-G1-0 1.5 (东门) 北京路1号\n# 第二行\n- 三"
    out = fmt.md(s)
    for raw in ("![", "[b]", ":red[", "$x$", "_b*", "www.x", "://", "a@b", "\n#", "\n-"):
        assert raw not in out, raw
    assert "H-G1-0 1.5 (东门) 北京路1号" in out  # ordinary punctuation is left alone
    assert re.sub(r"\\(.)", r"\1", out).replace("  \n", "\n").replace("\u2060", "") == s


def test_hostile_text_on_the_events_screen_is_shown_as_text(hostile_city):
    """Events & hazards (issue 14): an event's description, a hazard's department, the grid's name."""
    from data_access.fieldwork import events

    eng = make_engine(hostile_city)
    with Session(eng) as s:
        g1 = s.exec(select(OrgUnit).where(OrgUnit.code == "G1")).one()
        e = events.report_event(session=s, user="officer", grid_id=g1.id, tier="urgent", category="dispute",
                                channel="resident", now=NOW, description=hostile("evdesc"))
        h = events.record_hazard(session=s, user="officer", grid_id=g1.id, level="major", handler="officer",
                                 department="[d](http://e.x) :red[d] www.evil.cn", now=NOW)
        s.commit()
        cases = (f"event:{e.id}", f"hazard:{h.id}")
    eng.dispose()
    for case in cases:
        at = open_page(str(ROOT / "pages" / "events.py"), "district", query={"case": case})
        leaks = [t for t in markdown_texts(at) if any(r in re.sub(r"\\.", "", t, flags=re.S) for r in RAW)]
        assert leaks == []
        assert any(fmt.md(hostile("unit")) in t for t in markdown_texts(at))  # the grid's name, escaped
    assert hostile("evdesc") in plain_texts(open_page(str(ROOT / "pages" / "events.py"), "district",
                                                      query={"case": cases[0]}))
