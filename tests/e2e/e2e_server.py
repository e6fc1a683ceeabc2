"""A real Streamlit server on a fresh demo database, and a Playwright browser that may only talk
to it (every request to another host is aborted and counted).

Used by the browser tests (``conftest.py``) and by ``python -m tests.e2e.screenshots``.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-03-15"  # fixed 'today' so the numbers on screen do not drift
FAKE_NOW = f"{AS_OF}T10:00:00"
SEED = 7
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
IDLE = '[data-test-script-state="notRunning"]'
AUDIT_KEY = "e2e-audit-key-not-for-production"  # the server's audit chain key (tests verify with it)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(APP_DATA_DIR=str(data_dir), APP_FAKE_NOW=FAKE_NOW, PYTHONPATH=str(ROOT),
               COOKIE_KEY="e2e-cookie-key-not-for-production", APP_SECRET_KEY="e2e-secret-key-not-for-production",
               AUDIT_KEY=AUDIT_KEY,
               # dashboards fresh 5–10 s (deployments: 30–120 s), so a leader sees another session's
               # write within a test's patience
               DASHBOARD_FRESH_S="5", DASHBOARD_MAX_FRESH_S="10")
    return env


def build_demo(data_dir: Path, scale: str = "S") -> None:
    """``python -m data_access demo --scale S --seed 7 --as-of AS_OF`` into a fresh APP_DATA_DIR."""
    data_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "data_access", "demo", "--scale", scale, "--seed", str(SEED),
                    "--as-of", AS_OF], cwd=ROOT, env=app_env(data_dir), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@dataclass
class Server:
    url: str
    data_dir: Path
    process: subprocess.Popen

    @property
    def database_url(self) -> str:
        return f"sqlite:///{(self.data_dir / 'app.db').as_posix()}"


@contextmanager
def run_server(data_dir: Path, timeout: float = 60.0) -> Iterator[Server]:
    """``streamlit run app.py`` on a free port with the demo environment; stopped on exit."""
    port = free_port()
    log = open(data_dir / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1"],
        cwd=ROOT, env=app_env(data_dir), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}; see {data_dir / 'streamlit.log'}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("streamlit did not become healthy")
            time.sleep(0.3)
        yield Server(url=url, data_dir=data_dir, process=proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@dataclass
class ExternalRequests:
    """Requests to non-local hosts, aborted by the route handler."""
    urls: list[str] = field(default_factory=list)

    def handler(self, route) -> None:
        m = re.match(r"^[a-z]+://(\[[^\]]+\]|[^/:]+)", route.request.url)
        host = m.group(1) if m else ""
        if m and host not in LOCAL_HOSTS:
            self.urls.append(route.request.url)
            route.abort()
        else:
            route.continue_()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def new_context(browser, external: ExternalRequests, width: int = 1366, height: int = 768):
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    ctx.route("**/*", external.handler)
    return ctx


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until the script run has finished (Streamlit marks the app element)."""
    page.wait_for_selector(IDLE, timeout=timeout)


def settle(page, locator, timeout: float = 60_000) -> None:
    """Wait for ``locator`` and for the app to be idle, twice: the cookie component's first value
    triggers one more script run right after the page loads, and input typed during a run can be lost."""
    locator.first.wait_for(timeout=timeout)
    wait_idle(page, timeout)
    page.wait_for_timeout(1500)
    wait_idle(page, timeout)


def login(page, base_url: str, username: str, password: str, path: str = "/") -> None:
    """Sign in through the real login form (Chinese labels: the default language)."""
    page.goto(base_url + path)
    settle(page, page.get_by_label("密码"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("stMetricValue").first.wait_for(timeout=60_000)
    wait_idle(page)
    # the cookie component stores the login cookie in the browser after the run; a test that
    # opens another URL right away would start a session without it (and meet the login form)
    for _ in range(120):
        if "gridpolice_auth" in [c["name"] for c in page.context.cookies()]:
            break
        page.wait_for_timeout(250)


def full_page_screenshot(page, path: Path, width: int = 1366, min_height: int = 768) -> None:
    """Streamlit scrolls inside its main section: grow the viewport to the content, then shoot."""
    h = 0
    for _ in range(10):  # charts and grids reach their final height a moment after the run ends
        new = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        if new == h:
            break
        h = new
        page.set_viewport_size({"width": width, "height": max(min_height, int(h))})
        page.wait_for_timeout(500)
    wait_idle(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": min_height})


def repeat_until(page, action, expect, attempts: int = 3, timeout: float = 20_000) -> None:
    """Run ``action`` (a click, a file choice) until ``expect`` shows, for actions that are safe to
    repeat (a check, a write with an idempotency token, a navigation, choosing the same file). Under
    load an input that lands while a script run is ending can be dropped by Streamlit (the trigger
    is reset with that run); a user does it again, and so does this."""
    for attempt in range(attempts):
        wait_idle(page)
        action()
        try:
            expect.first.wait_for(timeout=timeout)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError; the last attempt re-raises
            if attempt == attempts - 1:
                raise


def click_until(page, button, expect, attempts: int = 3, timeout: float = 20_000) -> None:
    """Click ``button`` until ``expect`` shows (``repeat_until`` with a click)."""
    repeat_until(page, button.click, expect, attempts, timeout)


def choose(page, box, option_name: str, timeout: float = 5_000) -> None:
    """Open the select box ``box`` until its option ``option_name`` shows, and choose it. A click
    while the box's part or expander is still being drawn can leave the list shut (or a rerun
    closes it again): the list is closed and opened once more (``repeat_until``)."""
    option = page.get_by_role("option", name=option_name)

    def open_list() -> None:
        page.keyboard.press("Escape")
        box.click()

    repeat_until(page, open_list, option, timeout=timeout)
    option.click()
    wait_idle(page)
