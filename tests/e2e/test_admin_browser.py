"""Browser (issue 5): the admin creates a user on 用户管理 and that user signs in with the given
password at once; the audit screen's chain check passes and names the new user's creation."""
from __future__ import annotations

import pytest
from e2e_server import AUDIT_KEY, click_until, new_context, settle, wait_idle
from sqlalchemy import create_engine
from sqlmodel import Session, select

from data_access.core import audit
from data_access.core.models import AuditLog
from data_access.core.settings import reset_settings
from data_access.demo.logins import DEMO_LOGINS
from tests.e2e.e2e_server import login

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}
NEW_USER, NEW_NAME, NEW_PW = "e2e.newbie", "端到端测试员", "Newbie#2026x"


def test_admin_creates_a_user_who_can_sign_in(e2e_app, page, browser, external, monkeypatch):
    login(page, e2e_app.url, "admin", PASSWORDS["admin"])
    page.goto(e2e_app.url + "/admin_users")
    settle(page, page.get_by_role("tab", name="新建用户"))
    page.get_by_role("tab", name="新建用户").click()
    wait_idle(page)

    def fill(label: str, value: str, exact: bool = False) -> None:
        box = page.get_by_label(label, exact=exact)
        box.click()
        box.press_sequentially(value)
        box.press("Enter")  # commit the value; wait for the run so the next keystrokes are not lost
        page.wait_for_timeout(300)
        wait_idle(page)

    fill("用户名（小写字母、数字、. _ -）", NEW_USER)
    fill("姓名", NEW_NAME, exact=True)
    fill("初始密码", NEW_PW, exact=True)
    fill("再次输入初始密码", NEW_PW, exact=True)
    page.wait_for_timeout(500)
    wait_idle(page)
    page.get_by_role("button", name="创建用户").click()
    page.get_by_text(f"已创建用户 {NEW_USER}。").wait_for(timeout=30_000)
    wait_idle(page)

    eng = create_engine(e2e_app.database_url)
    with Session(eng) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "user.create")).all()
        assert [r.username for r in rows if NEW_USER in (r.detail or "")] == ["admin"]
        assert NEW_PW not in "".join(r.detail or "" for r in rows)
        monkeypatch.setenv("AUDIT_KEY", AUDIT_KEY)  # the chain is keyed with the server's key
        reset_settings()
        try:
            assert audit.verify(s).ok
        finally:
            monkeypatch.delenv("AUDIT_KEY")
            reset_settings()
    eng.dispose()

    # the audit screen: chain check
    page.goto(e2e_app.url + "/audit")
    settle(page, page.get_by_role("button", name="校验哈希链"))
    click_until(page, page.get_by_role("button", name="校验哈希链"), page.get_by_text("哈希链完整"))

    # the new user signs in straight away (no waiting for a cache to expire)
    ctx = new_context(browser, external)
    other = ctx.new_page()
    other.goto(e2e_app.url + "/")
    settle(other, other.get_by_label("密码"))
    other.get_by_label("用户名").fill(NEW_USER)
    other.get_by_label("密码").fill(NEW_PW)
    other.get_by_role("button", name="登录").click()
    other.get_by_text(NEW_NAME).first.wait_for(timeout=60_000)
    wait_idle(other)
    assert other.get_by_text("用户名或密码不正确。").count() == 0
    ctx.close()
    assert external.urls == []
