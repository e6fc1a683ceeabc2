"""Smoke test of the `make cluster` topology (deploy/cluster.py, deploy/nginx/gridpolice.conf) in a
real browser: sessions spread over the replicas and stay on theirs (a cookie, not the client IP:
every browser here is 127.0.0.1), the dashboards read from the streaming replica and say how
current it is, and killing a replica neither signs its users out nor stops new sign-ins."""
from __future__ import annotations

import time

import pytest
from e2e_server import ExternalRequests, login, new_context, settle
from tiny_city import PASSWORD

from data_access.core import db as dbmod

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("cluster")]


def _route(ctx) -> str:
    return next(c["value"] for c in ctx.cookies() if c["name"] == "gp_route")


def _replica_of(cluster, route: str) -> str:
    served = cluster.routes()[route]
    assert len(served) == 1, served  # sticky: every request of this browser went to one replica
    return next(iter(served))


def test_the_streaming_replica_has_the_city_and_catches_up(cluster):
    eng = dbmod.make_engine(cluster.read_url)
    deadline = time.monotonic() + 30
    while True:
        with eng.connect() as c:
            n = c.exec_driver_sql("SELECT COUNT(*) FROM org_unit").scalar()
        if n == 10 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert n == 10
    assert dbmod.replica_lag_s(eng) < 5
    with eng.connect() as c:
        assert c.exec_driver_sql("SELECT pg_is_in_recovery()").scalar() is True
    eng.dispose()


def test_sessions_spread_over_replicas_and_stick_to_theirs(cluster, browser):
    seen: dict[str, str] = {}
    contexts = []
    try:
        for _ in range(12):  # all 12 on one of 3 replicas by chance: p ≈ 6e-6
            ctx = new_context(browser, ExternalRequests())
            contexts.append(ctx)
            page = ctx.new_page()
            page.goto(cluster.http_url + "/")
            settle(page, page.get_by_label("密码"))
            page.reload()  # a second page load with the cookie: same replica
            settle(page, page.get_by_label("密码"))
            route = _route(ctx)
            seen[route] = _replica_of(cluster, route)
            if len(set(seen.values())) >= 2 and len(seen) >= 3:
                break
        assert len(set(seen.values())) >= 2, seen
    finally:
        for ctx in contexts:
            ctx.close()


def test_killed_replica_leader_is_back_after_reload_and_new_sign_ins_work(cluster, browser):
    ctx = new_context(browser, ExternalRequests())
    page = ctx.new_page()
    login(page, cluster.http_url, "city", PASSWORD)
    settle(page, page.get_by_test_id("stMetricValue"))
    assert "数据截至" in page.get_by_test_id("stMain").inner_text()  # read from the streaming replica
    victim = _replica_of(cluster, _route(ctx))
    port = int(victim.rsplit(":", 1)[1])
    cluster.kill_app(port)
    try:
        page.reload()
        settle(page, page.get_by_test_id("stMetricValue"))  # signed in again by the cookie elsewhere
        assert page.get_by_label("密码").count() == 0
        assert "信息准确率" in page.get_by_test_id("stMain").inner_text()
        served = cluster.routes()[_route(ctx)]
        assert served - {victim}, served  # answered by another replica now

        # a browser that has never been here signs in while one replica is down (whichever its cookie hashes to)
        for _ in range(3):
            other = new_context(browser, ExternalRequests())
            p2 = other.new_page()
            login(p2, cluster.http_url, "district", PASSWORD)
            settle(p2, p2.get_by_test_id("stMetricValue"))
            assert "李东海" in p2.get_by_test_id("stSidebar").inner_text()
            other.close()
    finally:
        ctx.close()
        cluster.start_app(port)
