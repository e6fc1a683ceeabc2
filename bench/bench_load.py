"""load: signed-in sessions through nginx against the `make cluster` topology.

    BENCH_SCALE=S python -m bench load
    BENCH_LOAD_CLIENTS=protocol,browser python -m bench load    # both clients, one after the other

Starts the cluster of deploy/cluster.py in ``data/bench-cluster-<scale>`` (PostgreSQL primary +
streaming replica, the demo city at BENCH_SCALE generated on first use and kept for reruns, app
replicas, nginx), then for 3 replicas and for 1 replica (fresh app processes each time) signs in
BENCH_LOAD_SESSIONS (default 50) sessions through the login form, all from 127.0.0.1, and lets them
work for BENCH_LOAD_SECONDS (default 120):

  * leaders (city, district, coordinator in turn): overview → gaps → map, 2–5 s apart
    (BENCH_LOAD_THINK="min,max" seconds);
  * officers (o0001 … one per grid): open a household of their grid in 走访登记, answer the form
    (a rerun of the form per answer; 0.3–1 s apart with the protocol client), submit, 2–5 s apart.

Two clients (BENCH_LOAD_CLIENTS, default ``protocol``):
  * ``protocol`` — bench/st_client.py speaks Streamlit's WebSocket protocol as a tab does (the
    same reruns, widget states and sessions on the server) without drawing anything, so the
    servers keep the machine's cores: what a bureau's users on their own PCs cost the servers.
    Leaders drill down as well: each round of three pages is on their own unit or, half the
    time, on one of its children (?unit=). Page time = the rerun request until the script has
    finished (after any st.rerun), measured by the client.
  * ``browser`` — one headless Chromium with a context per session (page.goto per page, a fresh
    Streamlit session each time); its renderers run on the same cores as the servers, so on a
    small machine it measures mostly itself.

Recorded: page time p50/p95 per page kind and overall, sign-in times, errors (an error alert or an
exception on a page, a missing element, a failed submit, a timeout), RSS per app replica before
and after the sessions and the increase per session, the client's own CPU time, the load average,
and the streaming replica's lag sampled every second. Nothing asserts a time (the budget — 0
errors, p95 ≤ 3 s at 50 sessions — is compared in README).
"""
from __future__ import annotations

import asyncio
import os
import random
import statistics
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IDLE = '[data-test-script-state="notRunning"]'
LEADERS = (("city", "City#2026"), ("district", "District#2026"), ("coord", "Coord#2026"))
OFFICER_PW = "Officer#2026"
LEADER_PAGES = (("overview", "stMetricValue"), ("gaps", "stDataFrame"), ("map", "stDeckGlJsonChart"))
TIMEOUT_MS = 60_000


def _think() -> tuple[float, float]:
    """Seconds a user spends on a page before the next one (BENCH_LOAD_THINK="min,max", default 2–5 s)."""
    lo, hi = (float(x) for x in os.environ.get("BENCH_LOAD_THINK", "2,5").split(","))
    if not 0 <= lo <= hi:
        raise ValueError(f"BENCH_LOAD_THINK: min,max seconds, not {lo},{hi}")
    return lo, hi


THINK_S = _think()
# seconds the sessions work before the measured window starts (BENCH_LOAD_WARMUP, default 0: a
# window right after the replicas started, every unit's first view on each replica computed cold)
WARMUP_S = float(os.environ.get("BENCH_LOAD_WARMUP", "0"))


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))], 3)


def _summary(xs: list[float]) -> dict:
    return {"n": len(xs), "p50_s": _pct(xs, 0.5), "p95_s": _pct(xs, 0.95), "max_s": round(max(xs), 3) if xs else None,
            "mean_s": round(statistics.fmean(xs), 3) if xs else None}


def _rss_mb(pid: int | None) -> float | None:
    if not pid:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _cpu_s(app_pids: list[int | None]) -> dict[str, float]:
    """CPU seconds used so far by the app replicas and by PostgreSQL (every ``postgres`` process,
    plus what the postmasters' exited children used: backends come and go)."""
    hz = os.sysconf("SC_CLK_TCK")
    out, pg = {"app": 0.0, "postgres": 0.0}, {}
    for pid in Path("/proc").iterdir():
        if not pid.name.isdigit():
            continue
        try:
            comm = (pid / "comm").read_text().strip()
            f = (pid / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid.name) in app_pids:
            out["app"] += (int(f[11]) + int(f[12])) / hz
        elif comm == "postgres":
            pg[int(pid.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / hz, (int(f[13]) + int(f[14])) / hz)
    for ppid, own, children in pg.values():
        out["postgres"] += own + (children if ppid not in pg else 0.0)  # a postmaster: its reaped backends
    return {k: round(v, 1) for k, v in out.items()}


class Recorder:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.logins: list[float] = []
        self.measuring = False
        self.reruns = 0  # script runs besides the recorded pages (the officers' answers)

    def page(self, kind: str, seconds: float) -> None:
        if self.measuring:
            self.times.setdefault(kind, []).append(seconds)

    def error(self, what: str) -> None:
        if self.measuring:
            self.errors.append(what[:300])

    def rerun(self) -> None:
        if self.measuring:
            self.reruns += 1


async def _idle(page) -> None:
    await page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)


async def _settle(page, locator) -> None:
    await locator.first.wait_for(timeout=TIMEOUT_MS)
    await _idle(page)
    await page.wait_for_timeout(500)
    await _idle(page)


async def _login(page, base: str, user: str, pw: str) -> None:
    await page.goto(base + "/", wait_until="commit")  # then wait for the form itself
    await _settle(page, page.get_by_label("密码"))
    await page.get_by_label("用户名").fill(user)
    await page.get_by_label("密码").fill(pw)
    await page.get_by_role("button", name="登录").click()
    await page.get_by_test_id("stSidebar").get_by_text("辖区").first.wait_for(timeout=TIMEOUT_MS)
    await _idle(page)
    for _ in range(120):  # the login cookie is stored after the run
        if "gridpolice_auth" in [c["name"] for c in await page.context.cookies()]:
            break
        await page.wait_for_timeout(250)


async def _has_error(page) -> str | None:
    err = page.get_by_test_id("stAlertContentError")
    if await err.count():
        return (await err.first.inner_text())[:200]
    exc = page.get_by_test_id("stException")
    if await exc.count():
        return "exception: " + (await exc.first.inner_text())[:200]
    return None


async def _leader(page, base: str, rec: Recorder, stop: float, rng: random.Random) -> None:
    i = rng.randrange(len(LEADER_PAGES))
    while time.monotonic() < stop:
        kind, testid = LEADER_PAGES[i % len(LEADER_PAGES)]
        i += 1
        t0 = time.perf_counter()
        try:
            await page.goto(f"{base}/{kind}", wait_until="commit")
            await page.get_by_test_id(testid).first.wait_for(timeout=TIMEOUT_MS)
            await _idle(page)
            rec.page(kind, time.perf_counter() - t0)
            if (msg := await _has_error(page)) is not None:
                rec.error(f"{kind}: {msg}")
        except Exception as exc:  # a timeout counts as an error
            rec.error(f"{kind}: {type(exc).__name__}: {exc}")
        await asyncio.sleep(rng.uniform(*THINK_S))


async def _officer(page, base: str, households: list[str], rec: Recorder, stop: float, rng: random.Random) -> None:
    n = 0
    while time.monotonic() < stop:
        code = households[n % len(households)]
        n += 1
        try:
            t0 = time.perf_counter()
            await page.goto(f"{base}/log_visit?household={code}", wait_until="commit")
            await page.get_by_text("一、信息核查").first.wait_for(timeout=TIMEOUT_MS)
            await _idle(page)
            rec.page("visit_form", time.perf_counter() - t0)
            if await page.get_by_role("button", name="清除草稿").count():
                await page.get_by_role("button", name="清除草稿").click()
                await page.get_by_text("草稿已清除").first.wait_for(timeout=TIMEOUT_MS)
                await _idle(page)
            for label, option in (("已出示证件", "是"), ("执法记录仪已开启", "是"), ("群众满意度", "5 很满意")):
                group = page.get_by_test_id("stRadio").filter(has_text=label).first
                await group.get_by_text(option, exact=True).click()
                await _idle(page)
            radios = page.get_by_test_id("stRadio")
            for k in range(await radios.count()):
                r = radios.nth(k)
                label = (await r.get_by_test_id("stWidgetLabel").inner_text()).strip()
                if label.endswith("*") and not await r.locator("input:checked").count():
                    await r.get_by_test_id("stRadioOption").first.click()
                    await _idle(page)
            just = page.get_by_label("未预约的情况说明")
            if await just.count():  # an evening run: a night visit without appointment needs a reason
                await just.fill("群众下班后才在家，临时上门核查登记信息并了解需求，已征得同意。")
                await just.press("Control+Enter")
                await _idle(page)
            t0 = time.perf_counter()
            await page.get_by_role("button", name="提交走访").click()
            ok = page.get_by_test_id("stAlertContentSuccess").or_(page.get_by_test_id("stAlertContentError"))
            await ok.first.wait_for(timeout=TIMEOUT_MS)
            await _idle(page)
            rec.page("visit_submit", time.perf_counter() - t0)
            if (msg := await _has_error(page)) is not None:
                rec.error(f"visit: {msg}")
        except Exception as exc:
            rec.error(f"visit: {type(exc).__name__}: {exc}")
        await asyncio.sleep(rng.uniform(*THINK_S))


async def _drive(plan: list, sign_in, work, rec: Recorder, on_signed_in, seconds: float) -> dict:
    """Sign every planned session in (4 at a time: bcrypt and a first page each), then let each
    work until the deadline. ``sign_in(kind, who, user, pw)`` returns the session's handle,
    ``work(kind, who, handle, stop, rng)`` is its loop."""
    gate = asyncio.Semaphore(4)

    async def one(kind, who):
        async with gate:
            t0 = time.perf_counter()
            user, pw = (who[0], OFFICER_PW) if kind == "officer" else who
            handle = await sign_in(kind, who, user, pw)
            rec.logins.append(time.perf_counter() - t0)
        return kind, who, handle

    signed = await asyncio.gather(*(one(k, w) for k, w in plan), return_exceptions=True)
    ok = [x for x in signed if not isinstance(x, BaseException)]
    stop = time.monotonic() + WARMUP_S + seconds
    rng = random.Random(7)

    async def measure():  # after the warm-up (the replicas' caches filled as in steady use), if any
        await asyncio.sleep(WARMUP_S)
        on_signed_in()
        rec.measuring = True

    await asyncio.gather(measure(), *(work(kind, who, h, stop, random.Random(rng.random())) for kind, who, h in ok))
    rec.measuring = False
    return {"sessions": len(ok), "officers": sum(1 for k, _ in plan if k == "officer"),
            "failed_logins": [repr(x) for x in signed if isinstance(x, BaseException)]}


async def _run_sessions(base: str, sessions: int, seconds: float, officers: list[tuple[str, list[str]]],
                        rec: Recorder, on_signed_in) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                          args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                                "--disable-background-networking"])
        contexts = []

        async def sign_in(kind, who, user, pw):
            ctx = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            ctx.set_default_timeout(TIMEOUT_MS)
            ctx.set_default_navigation_timeout(TIMEOUT_MS)
            contexts.append(ctx)
            page = await ctx.new_page()
            await _login(page, base, user, pw)
            return page

        async def work(kind, who, page, stop, rng):
            if kind == "leader":
                await _leader(page, base, rec, stop, rng)
            else:
                await _officer(page, base, who[1], rec, stop, rng)

        info = await _drive(_plan(sessions, officers), sign_in, work, rec, on_signed_in, seconds)
        for ctx in contexts:
            await ctx.close()
        await browser.close()
    return info


# --- the same workload over the WebSocket protocol (bench/st_client.py): no renderer on this machine ---
# what a leader expects on each page (an element type), as LEADER_PAGES does for the browser
PROTOCOL_EXPECT = {"overview": "metric", "gaps": "arrow_data_frame", "map": "deck_gl_json_chart"}
VISIT_CHOICES = (("已出示证件", "是"), ("执法记录仪已开启", "是"), ("群众满意度", "5 很满意"))


def _shows(screen, kind: str) -> bool:
    return bool(screen.of_type(kind)) or (kind == "arrow_data_frame" and bool(screen.of_type("dataframe")))


async def _p_login(s, user: str, pw: str) -> None:
    from bench import st_client as sc

    await s.connect()
    screen = await s.run(page="")
    u, p, b = (screen.widget("text_input", "用户名"), screen.widget("text_input", "密码"),
               screen.widget("button", "登录", exact=True))
    if None in (u, p, b):
        raise sc.ProtocolError(f"no login form: {screen.error() or screen.text()[:200]}")
    screen = await s.run(widgets=[sc.text(u, user), sc.text(p, pw), sc.click(b)])
    if screen.widget("button", "登录", exact=True) is not None or screen.error():
        raise sc.ProtocolError(f"sign-in refused for {user}: {screen.error()}")


async def _p_leader(s, rec: Recorder, stop: float, rng: random.Random, units: list[str] = ()) -> None:
    """overview → gaps → map in turn, THINK_S apart; each round on the leader's own unit (half the
    rounds) or one of its direct children (?unit=, a drill-down), so the caches see many keys."""
    kinds = list(PROTOCOL_EXPECT)
    i = rng.randrange(len(kinds))
    query = ""
    while time.monotonic() < stop:
        kind = kinds[i % len(kinds)]
        if i % len(kinds) == 0 and len(units) > 1:
            query = "" if rng.random() < 0.5 else f"unit={rng.choice(units[1:])}"
        i += 1
        t0 = time.perf_counter()
        try:
            screen = await s.run(page=kind, query=query)
            rec.page(kind, time.perf_counter() - t0)
            if (msg := screen.error()) is not None:
                rec.error(f"{kind}: {msg}")
            elif not _shows(screen, PROTOCOL_EXPECT[kind]):
                rec.error(f"{kind}: no {PROTOCOL_EXPECT[kind]} on the page")
        except Exception as exc:  # a timeout or a lost connection counts as an error
            rec.error(f"{kind}: {type(exc).__name__}: {exc}")
        await asyncio.sleep(rng.uniform(*THINK_S))


async def _p_officer(s, households: list[str], rec: Recorder, stop: float, rng: random.Random) -> None:
    """Open a household in 走访登记, answer each radio as the tab would (one rerun per click, outside a
    form, 0.3–1 s apart), give the night-visit reason if asked, submit."""
    from bench import st_client as sc

    n = 0
    while time.monotonic() < stop:
        code = households[n % len(households)]
        n += 1
        try:
            t0 = time.perf_counter()
            screen = await s.run(page="log_visit", query=f"household={code}")
            rec.page("visit_form", time.perf_counter() - t0)
            if screen.widget("button", "提交走访") is None:
                rec.error(f"visit: no form for {code}: {screen.error() or screen.text()[:200]}")
                await asyncio.sleep(rng.uniform(*THINK_S))
                continue
            states: dict[str, object] = {}
            wanted = dict(VISIT_CHOICES)
            for radio in screen.widgets("radio"):
                label = radio.label.replace("\\", "").rstrip(" *")
                option = next((o for k, o in wanted.items() if k in label), None)
                if option is None and radio.label.rstrip().endswith("*") and not radio.HasField("default"):
                    option = radio.options[0]
                if option is not None:
                    states[radio.id] = sc.choice(radio, option)
                    if not radio.form_id:  # a click outside a form reruns the script (or its fragment)
                        await asyncio.sleep(rng.uniform(0.3, 1.0))  # reading the question
                        screen = await s.run(widgets=list(states.values()), fragment=screen.fragment_of(radio))
                        rec.rerun()
            just = screen.widget("text_area", "未预约的情况说明")
            if just is not None:  # an evening run: a night visit without appointment needs a reason
                states[just.id] = sc.text(just, "群众下班后才在家，临时上门核查登记信息并了解需求，已征得同意。")
                screen = await s.run(widgets=list(states.values()), fragment=screen.fragment_of(just))
                rec.rerun()
            submit = screen.widget("button", "提交走访")
            t0 = time.perf_counter()
            screen = await s.run(widgets=[*states.values(), sc.click(submit)], fragment=screen.fragment_of(submit))
            rec.page("visit_submit", time.perf_counter() - t0)
            if (msg := screen.error()) is not None:
                rec.error(f"visit: {msg}")
            elif not (screen.alerts(sc.ALERT_SUCCESS) or screen.alerts(sc.ALERT_INFO)):
                rec.error(f"visit: no confirmation after submit: {screen.text()[:200]}")
        except Exception as exc:
            rec.error(f"visit: {type(exc).__name__}: {exc}")
        await asyncio.sleep(rng.uniform(*THINK_S))


async def _run_sessions_protocol(base: str, sessions: int, seconds: float, officers: list[tuple[str, list[str]]],
                                 rec: Recorder, on_signed_in, leader_units: dict[str, list[str]] | None = None) -> dict:
    from bench import st_client as sc

    open_sessions = []

    async def sign_in(kind, who, user, pw):
        s = sc.Session(base, timeout=TIMEOUT_MS / 1000)
        open_sessions.append(s)
        await _p_login(s, user, pw)
        return s

    async def work(kind, who, s, stop, rng):
        if kind == "leader":
            await _p_leader(s, rec, stop, rng, (leader_units or {}).get(who[0], []))
        else:
            await _p_officer(s, who[1], rec, stop, rng)

    try:
        return await _drive(_plan(sessions, officers), sign_in, work, rec, on_signed_in, seconds)
    finally:
        for s in open_sessions:
            await s.close()


def _plan(sessions: int, officers: list[tuple[str, list[str]]]) -> list[tuple[str, tuple]]:
    """30 % officers (one per grid, up to the officers there are), the rest leaders in turn."""
    n_officers = min(len(officers), max(1, round(sessions * 0.3)))
    plan = [("officer", officers[i]) for i in range(n_officers)]
    return plan + [("leader", LEADERS[i % len(LEADERS)]) for i in range(sessions - n_officers)]


def _codes_by_user(url: str, sql: str) -> dict[str, list[str]]:
    """(username, code) rows of ``sql`` grouped by user, in order."""
    from sqlalchemy import text

    from data_access.core import db as dbmod

    eng = dbmod.make_engine(url)
    with eng.connect() as c:
        rows = c.execute(text(sql)).all()
    eng.dispose()
    out: dict[str, list[str]] = {}
    for user, code in rows:
        out.setdefault(user, []).append(code)
    return out


def _leader_units(url: str) -> dict[str, list[str]]:
    """Each demo leader's own unit first, then its direct children (the units it drills into)."""
    return _codes_by_user(url, "SELECT u.username, o.code FROM app_user u JOIN org_unit o ON o.id = u.scope_id "
                               "OR o.parent_id = u.scope_id WHERE u.username IN ('city', 'district', 'coord') "
                               "ORDER BY u.username, o.id <> u.scope_id, o.code")


def _officers(url: str, n: int) -> list[tuple[str, list[str]]]:
    """Up to ``n`` demo officers with up to 40 households of their grid each (chosen in the database:
    at L the officers' grids hold 4 M households)."""
    return list(_codes_by_user(url, (
        "SELECT username, code FROM (SELECT u.username, h.code, ROW_NUMBER() OVER (PARTITION BY u.username "
        "ORDER BY h.code) AS k FROM (SELECT username, scope_id FROM app_user WHERE role = 'officer' AND active "
        f"AND username LIKE 'o%' ORDER BY username LIMIT {int(n)}) u JOIN household h ON h.grid_id = u.scope_id) x "
        "WHERE k <= 40 ORDER BY username, code")).items())


def _one(cluster, ports: tuple[int, ...], sessions: int, seconds: float, client: str = "protocol") -> dict:
    from data_access.core import db as dbmod

    cluster.stop_apps()
    for p in ports:
        cluster.start_app(p, wait=False)
    for p in ports:
        cluster.wait_app(p)  # start_app of a started replica returns at once: wait for its health here
    cluster.app_ports = ports
    cluster.start_nginx()  # its servers.conf lists just these replicas
    log = cluster.nginx_dir / "access.log"
    if log.exists():
        log.write_text("")  # routes_per_replica counts this run only
    rss_before = {p: _rss_mb(cluster.app_pid(p)) for p in ports}
    rec = Recorder()
    lag: list[float] = []
    replay_lag: list[float] = []
    done = threading.Event()
    rss_signed: dict[int, float | None] = {}

    def sample_lag():  # every second of the measured window, from both ends of the replication
        eng, primary = dbmod.make_engine(cluster.read_url), dbmod.make_engine(cluster.url())
        while not done.is_set():
            if rec.measuring:
                try:
                    lag.append(dbmod.replica_lag_s(eng))  # what the dashboards show: an upper bound
                    with primary.connect() as c:  # the primary's own measure (0 when the replica has caught up)
                        replay_lag.append(float(c.exec_driver_sql(
                            "SELECT COALESCE(MAX(EXTRACT(EPOCH FROM replay_lag)), 0)::float8 "
                            "FROM pg_stat_replication").scalar_one()))
                except Exception:
                    pass
            done.wait(1.0)
        eng.dispose()
        primary.dispose()

    def signed_in():  # the measured window starts
        rss_signed.update({p: _rss_mb(cluster.app_pid(p)) for p in ports})
        server0.update(_cpu_s(pids))

    load_before = round(os.getloadavg()[0], 2)  # other work on the machine skews every number below
    th = threading.Thread(target=sample_lag, daemon=True)
    th.start()
    pids = [cluster.app_pid(p) for p in ports]
    server0: dict[str, float] = {}
    t0, cpu0 = time.perf_counter(), time.process_time()
    officers = _officers(cluster.url(), sessions)
    if client == "protocol":
        info = asyncio.run(_run_sessions_protocol(cluster.http_url, sessions, seconds, officers, rec, signed_in,
                                                  _leader_units(cluster.url())))
    else:
        info = asyncio.run(_run_sessions(cluster.http_url, sessions, seconds, officers, rec, signed_in))
    wall, client_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    server = {k: round(v - server0.get(k, 0.0), 1) for k, v in _cpu_s(pids).items()}
    rss_after = {p: _rss_mb(cluster.app_pid(p)) for p in ports}
    done.set()
    th.join()
    all_times = [x for xs in rec.times.values() for x in xs]
    grow = sum((rss_after[p] or 0) - (rss_before[p] or 0) for p in ports)
    spread: dict[str, int] = {}
    for _route, ups in cluster.routes().items():
        for u in ups:
            spread[u] = spread.get(u, 0) + 1
    return {
        "replicas": len(ports), "client": client, **info, "loadavg_1m_start": load_before,
        "loadavg_1m_end": round(os.getloadavg()[0], 2), "measured_s": seconds, "wall_s": round(wall, 1),
        "client_cpu_s": round(client_cpu, 1),  # this process (the protocol client); Chromium's own is not counted
        "server_cpu_s": server,  # the replicas and PostgreSQL over the measured window
        "script_runs": len(all_times) + rec.reruns,  # pages and the officers' answer reruns
        "server_cpu_per_run_s": round(sum(server.values()) / max(1, len(all_times) + rec.reruns), 3),
        "pages": {k: _summary(v) for k, v in sorted(rec.times.items())}, "all_pages": _summary(all_times),
        "pages_per_s": round(len(all_times) / seconds, 2),
        "sign_in": _summary(rec.logins), "errors": len(rec.errors), "error_samples": rec.errors[:10],
        "rss_mb": {"before": rss_before, "signed_in": rss_signed, "after": rss_after},
        "rss_per_session_mb": round(grow / max(1, info["sessions"]), 1),
        # as the dashboards compute it from the replica (now − the last replayed commit while replay
        # is behind: an upper bound, large when WAL without commits arrives after a quiet spell) ...
        "replica_lag_s": {"samples": len(lag), "max": round(max(lag), 2) if lag else None,
                          "p95": _pct(lag, 0.95)},
        # ... and as the primary measures it (pg_stat_replication.replay_lag)
        "replay_lag_primary_s": {"samples": len(replay_lag), "max": round(max(replay_lag), 2) if replay_lag else None,
                                 "p95": _pct(replay_lag, 0.95)},
        "routes_per_replica": spread,
    }


def run() -> dict:
    from deploy.cluster import Cluster

    scale = os.environ.get("BENCH_SCALE", "L")
    sessions = int(os.environ.get("BENCH_LOAD_SESSIONS", "50"))
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "120"))
    base = Path(os.environ.get("BENCH_CLUSTER_DIR", ROOT / "data" / f"bench-cluster-{scale}"))
    # fixed ports: the replica's recovery settings name the primary's port
    pg, rep, http = (int(os.environ.get(k, d)) for k, d in (("BENCH_PG_PORT", "5451"), ("BENCH_REPLICA_PORT", "5452"),
                                                             ("BENCH_HTTP_PORT", "8090")))
    apps = [int(x) for x in os.environ.get("BENCH_APP_PORTS", "8521,8522,8523").split(",")]
    counts = [int(n) for n in os.environ.get("BENCH_LOAD_REPLICAS", f"{len(apps)},1").split(",") if n]
    if not counts or not all(1 <= n <= len(apps) for n in counts):
        raise ValueError(f"BENCH_LOAD_REPLICAS: replica counts from 1 to {len(apps)}, not {counts}")
    clients = [c for c in os.environ.get("BENCH_LOAD_CLIENTS", "protocol").split(",") if c]
    if not set(clients) <= {"protocol", "browser"}:
        raise ValueError(f"BENCH_LOAD_CLIENTS: protocol and/or browser, not {clients}")
    c = Cluster(base=base, pg_port=pg, replica_port=rep, app_ports=tuple(apps), http_port=http, scale=scale)
    t0 = time.perf_counter()
    try:
        c.base.mkdir(parents=True, exist_ok=True)
        os.chmod(c.base, 0o755)
        c.start_postgres()
        c.seed()
        setup_s = time.perf_counter() - t0
        runs = [_one(c, tuple(apps[:n]), sessions, seconds, client) for n in counts for client in clients]
    finally:
        c.app_ports = tuple(apps)
        c.stop()
    return {"scale": scale, "sessions": sessions, "think_s": list(THINK_S), "warmup_s": WARMUP_S,
            "setup_s": round(setup_s, 1), "runs": runs}
