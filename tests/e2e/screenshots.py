"""Screenshots for the README: ``python -m tests.e2e.screenshots`` (or ``make screenshots``).

Builds the S demo city in a temporary APP_DATA_DIR (fixed as-of date), starts the app, logs in
as each demo role through the real form and saves full-page PNGs (1366 px wide, the officers'
laptop width) to docs/screenshots/. Requests to other hosts are blocked; the script fails if
the page tries any.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from data_access.demo.logins import DEMO_LOGINS
from tests.e2e.e2e_server import (
    ROOT,
    ExternalRequests,
    build_demo,
    full_page_screenshot,
    launch,
    login,
    new_context,
    run_server,
    settle,
    wait_idle,
)

OUT = ROOT / "docs" / "screenshots"
# Screens per role beyond the overview: (url path, file suffix).
EXTRA_SCREENS: dict[str, list[tuple[str, str]]] = {
    "district_leader": [("/map", "map"), ("/report", "report"), ("/gaps", "gaps"),
                        ("/needs?deadline=overdue", "needs"), ("/special_groups", "special_groups"),
                        ("/complaints", "complaints"), ("/events", "events"), ("/plans", "plans"),
                        ("/data_entry", "data_entry"), ("/staffing", "staffing"), ("/accountability", "accountability"),
                        ("/incidents", "incidents"), ("/assistance", "assistance")],
    "station_leader": [("/events", "events")],
    "city_leader": [("/gaps", "gaps")],
    "coordinator": [("/milestones", "milestones"), ("/pilot", "pilot")],
    "admin": [("/admin_users", "admin_users"), ("/audit", "audit"), ("/account", "account"),
              ("/admin_targets", "admin_targets"), ("/admin_settings", "admin_settings"), ("/admin_org", "admin_org"),
              ("/data_rights", "data_rights")],
    # the officer's login lands on 我的任务, so the overview is shot explicitly too
    "officer": [("/map", "map"), ("/needs", "needs"), ("/my_work", "my_work"), ("/events", "events"),
                ("/log_visit?household=H0000001", "log_visit"), ("/overview", "overview"),
                ("/assistance", "assistance")],
}


def shoot(out: Path = OUT) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved: list[Path] = []
    external = ExternalRequests()
    with tempfile.TemporaryDirectory(prefix="gridpolice-shots-") as tmp:
        data_dir = Path(tmp)
        print("building the demo city (S) …", flush=True)
        build_demo(data_dir)
        with run_server(data_dir) as server, sync_playwright() as p:
            browser = launch(p)
            # the login screen
            ctx = new_context(browser, external)
            page = ctx.new_page()
            page.goto(server.url + "/")
            settle(page, page.get_by_label("密码"))
            path = out / "login.png"
            page.screenshot(path=str(path))
            saved.append(path)
            ctx.close()
            for username, password, role, _scope in DEMO_LOGINS:
                ctx = new_context(browser, external)
                page = ctx.new_page()
                login(page, server.url, username, password)
                path = out / f"overview_{role}.png"
                full_page_screenshot(page, path)
                saved.append(path)
                for url, suffix in EXTRA_SCREENS.get(role, []):
                    page.goto(server.url + url)
                    # the first run of a fresh page load is anonymous until the login cookie is read
                    settle(page, page.get_by_role("button", name="退出登录"))
                    if page.locator('[data-testid="stDeckGlJsonChart"]').count():
                        page.wait_for_timeout(3000)  # deck.gl draws after the run ends
                    path = out / f"{suffix}_{role}.png"
                    full_page_screenshot(page, path)
                    saved.append(path)
                if role == "district_leader":  # one English example
                    if EXTRA_SCREENS.get(role):  # back to the overview first
                        page.goto(server.url + "/")
                        settle(page, page.get_by_test_id("stMetricValue"))
                    page.get_by_text("English", exact=True).click()
                    page.get_by_role("heading", name="Overview").wait_for(timeout=30_000)
                    wait_idle(page)
                    path = out / f"overview_{role}_en.png"
                    full_page_screenshot(page, path)
                    saved.append(path)
                ctx.close()
            browser.close()
    if external.urls:
        raise SystemExit(f"the app tried to reach other hosts: {sorted(set(external.urls))}")
    return saved


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.e2e.screenshots", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default docs/screenshots)")
    args = ap.parse_args(argv)
    for path in shoot(args.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
