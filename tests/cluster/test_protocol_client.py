"""The load benchmark's browserless client (bench/st_client.py, bench/bench_load.py) against the `make
cluster` topology through nginx: it signs in through the login form, a leader's page shows what the tab
would show, an officer's visit is written exactly once, and a wrong password is refused — so the load
figures it records come from sessions that really did the work."""
from __future__ import annotations

import asyncio
import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from tiny_city import PASSWORD

from bench import bench_load as bl
from bench import st_client as sc
from data_access.core import db as dbmod

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("cluster")]


def _run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API (the other cluster tests, same worker)
    keeps an event loop running on the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _visits(cluster, code: str) -> int:
    eng = dbmod.make_engine(cluster.url())
    with eng.connect() as c:
        n = c.exec_driver_sql("SELECT COUNT(*) FROM visit v JOIN household h ON h.id = v.household_id "
                              "WHERE h.code = %s", (code,)).scalar()
    eng.dispose()
    return n


def test_leader_signs_in_and_sees_the_overview_gaps_and_map(cluster):
    async def go():
        s = sc.Session(cluster.http_url, timeout=60)
        try:
            await bl._p_login(s, "city", PASSWORD)
            assert "gp_route" in s.cookies  # nginx's sticky cookie, sent with the WebSocket handshake
            overview = await s.run(page="overview")
            gaps = await s.run(page="gaps")
            map_ = await s.run(page="map")
        finally:
            await s.close()
        return overview, gaps, map_

    overview, gaps, map_ = _run(go())
    assert overview.error() is None
    assert "信息准确率" in [e.metric.label for e in overview.of_type("metric")]
    assert bl._shows(gaps, "arrow_data_frame") and gaps.error() is None
    assert map_.of_type("heading") and map_.error() is None  # the tiny city has no grid boundaries to draw


def test_officer_session_logs_a_visit_exactly_once(cluster):
    code = "H-G1-1"
    before = _visits(cluster, code)
    rec = bl.Recorder()
    rec.measuring = True

    async def go():
        s = sc.Session(cluster.http_url, timeout=60)
        try:
            await bl._p_login(s, "officer", PASSWORD)
            # one round: the loop checks its deadline before each household
            await bl._p_officer(s, [code], rec, time.monotonic() + 0.5, random.Random(1))
        finally:
            await s.close()

    _run(go())
    assert rec.errors == []
    assert len(rec.times["visit_form"]) == 1 and len(rec.times["visit_submit"]) == 1
    assert rec.reruns >= 3  # the answers, each a run of the form's fragment
    assert _visits(cluster, code) == before + 1


def _kept(before, after, path) -> bool:
    """``after`` shows the very element ``before`` had at ``path``: the client kept it because the
    run that produced ``after`` did not draw it again."""
    return path in after.elements and path in before.elements and after.elements[path] is before.elements[path]


def _paths(screen, fragment: str) -> set:
    return {p for p in screen.elements if screen.fragments.get(p, "") == fragment}


def _saved_lines(screen, fragment: str) -> list[str]:
    """The "saved at" lines a part of the visit form (``fragment``) shows."""
    paths = _paths(screen, fragment)
    return [e.markdown.body for p, e in screen.elements.items()
            if p in paths and e.WhichOneof("type") == "markdown" and "本部分已于" in e.markdown.body]


def test_an_answer_reruns_its_part_of_the_visit_form_only(cluster):
    """Each part of the form is a fragment: a hazard answer's run redraws the hazard part; the page
    around it, the other parts and the submit button were not run again (the client keeps their
    elements, as a tab does), and the draft's state is shown under the part answered."""
    async def go():
        s = sc.Session(cluster.http_url, timeout=60)
        try:
            await bl._p_login(s, "officer", PASSWORD)
            page = await s.run(page="log_visit", query="household=H-G1-2")
            radio = next(r for r in page.widgets("radio") if "消防" in r.label)  # a hazard item
            after = await s.run(widgets=[sc.choice(radio, radio.options[0])], fragment=page.fragment_of(radio))
            return page, radio, after
        finally:
            await s.close()

    page, radio, after = _run(go())
    hazard = page.fragment_of(radio)
    visit = page.fragment_of(page.widget("radio", "满意度"))
    info = page.fragment_of(page.widget("text_input", "登记地址"))
    assert "" not in (hazard, visit, info) and len({hazard, visit, info}) == 3  # three parts, three fragments
    assert page.fragment_of(page.widget("button", "提交走访")) == ""  # submit is a whole run
    for fragment in ("", visit, info):  # the page, the other parts
        assert all(_kept(page, after, p) for p in _paths(page, fragment)), fragment
    redrawn = _paths(after, hazard)
    assert redrawn and not any(_kept(page, after, p) for p in redrawn)
    assert after.widget("radio", radio.label).id == radio.id and after.error() is None
    assert len(_saved_lines(after, hazard)) == 1, after.text()


def test_fixing_a_field_after_a_refused_submit_redraws_every_part(cluster):
    """After a refused submit every part shows its red notes; an answer that fixes one changes the
    messages, so the whole form runs again (not only the answered part) and that note is gone."""
    async def go():
        s = sc.Session(cluster.http_url, timeout=60)
        try:
            await bl._p_login(s, "officer", PASSWORD)
            page = await s.run(page="log_visit", query="household=H-G1-3")
            refused = await s.run(widgets=[sc.click(page.widget("button", "提交走访"))])
            radio = refused.widget("radio", "已出示证件")  # a process check: required
            fixed = await s.run(widgets=[sc.choice(radio, "是")], fragment=refused.fragment_of(radio))
            return refused, fixed
        finally:
            await s.close()

    refused, fixed = _run(go())

    def notes(screen):
        return [e.markdown.body for e in screen.of_type("markdown") if e.markdown.body.startswith(":red[")]

    assert refused.error() and len(notes(refused)) >= 3  # the process checks and the required items
    assert len(notes(fixed)) == len(notes(refused)) - 1
    assert not any(_kept(refused, fixed, p) for p in refused.elements)  # a whole run: nothing kept


def test_a_draft_that_cannot_be_saved_warns_under_its_part_and_the_form_stays(cluster):
    """The primary stops while the officer answers: the answer's part says the draft was not saved
    and the rest of the form stays as it was (a whole run would replace it by the database's
    message). Once the primary is back, the next answer is saved and the whole form is drawn again,
    the warning gone."""
    async def go():
        s = sc.Session(cluster.http_url, timeout=60)
        try:
            await bl._p_login(s, "officer", PASSWORD)
            page = await s.run(page="log_visit", query="household=H-G1-0")
            radio = page.widget("radio", "满意度")
            cluster._pg_ctl(cluster.primary_data, "-m", "fast", "-w", "stop")
            try:
                down = await s.run(widgets=[sc.choice(radio, radio.options[3])], fragment=page.fragment_of(radio))
            finally:
                cluster._pg_start(cluster.primary_data, cluster.pg_port)
            radio = down.widget("radio", "满意度")
            back = await s.run(widgets=[sc.choice(radio, radio.options[4])], fragment=down.fragment_of(radio))
            return page, down, back
        finally:
            await s.close()

    page, down, back = _run(go())

    def warnings(screen):
        return [e.alert.body for e in screen.of_type("alert") if "草稿未能保存" in e.alert.body]

    visit = page.fragment_of(page.widget("radio", "满意度"))
    assert len(warnings(down)) == 1 and down.error() is None
    assert all(_kept(page, down, p) for p in _paths(page, ""))  # the page and submit: not run again
    assert warnings(back) == [] and back.error() is None
    assert not any(_kept(down, back, p) for p in down.elements)  # a whole run
    assert len(_saved_lines(back, visit)) == 1


def test_wrong_password_is_refused(cluster):
    async def go():
        s = sc.Session(cluster.http_url, timeout=60)
        try:
            await bl._p_login(s, "city", "not-the-password")
        finally:
            await s.close()

    with pytest.raises(sc.ProtocolError, match="refused"):
        _run(go())


def _shared_results(cluster) -> dict[str, float]:
    eng = dbmod.make_engine(cluster.url())
    with eng.connect() as c:
        rows = dict(c.exec_driver_sql("SELECT key, computed_at FROM result_cache").all())
    eng.dispose()
    return rows


def test_a_replica_shows_the_figures_another_one_computed(cluster):
    """ui.swr's shared tier: the district leader's overview computed on one replica is published in
    result_cache, and a session on another replica, moments later, is served that result — same
    "统计结果生成于" time, no newer computation published — instead of computing it again."""
    first, second = (f"http://127.0.0.1:{p}" for p in cluster.app_ports[:2])  # two replicas, past nginx
    before = _shared_results(cluster)

    async def go():
        a, b = sc.Session(first, timeout=60), sc.Session(second, timeout=60)
        try:
            await bl._p_login(a, "district", PASSWORD)
            await bl._p_login(b, "district", PASSWORD)
            on_a = await a.run(page="overview")
            published = _shared_results(cluster)
            on_b = await b.run(page="overview")
            return on_a, published, on_b
        finally:
            await a.close()
            await b.close()

    on_a, published, on_b = _run(go())
    assert on_a.error() is None and on_b.error() is None
    new = {k: v for k, v in published.items() if before.get(k) != v}
    assert len(new) >= 2  # the overview's KPIs and its trend, pickled and signed

    def computed(screen):
        return [x for x in screen.text().splitlines() if "数据截至" in x]  # as of: computed less the replica's lag

    assert computed(on_a) and computed(on_b) == computed(on_a)
    assert {k: v for k, v in _shared_results(cluster).items() if k in new} == new  # b published nothing newer
