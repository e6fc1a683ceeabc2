"""Login, the page table and the ONE guard every page calls first.

* ``PAGES`` is the role → pages table: a later screen is one more row.
* ``require(roles=...)`` stops the script (``st.stop``) before any data access unless the
  visitor is signed in, active and of an allowed role; it returns the ``CurrentUser``
  whose scope unit bounds every query of the page.
* ``resolve_unit`` turns a requested unit code (widget or ``?unit=``) into a unit inside
  the user's scope, falling back to the scope itself.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import get_engine, migrate, run_in_transaction, session_scope
from data_access.core.settings import get_settings, key_file, reset_settings
from data_access.org import users
from data_access.org.models import ROLES
from data_access.org.users import UnitRef, UserInfo, in_scope

from .i18n import t

ROOT = Path(__file__).resolve().parent.parent
ALL_ROLES = frozenset(ROLES)
LEADERS = frozenset({"admin", "city_leader", "district_leader", "station_leader", "coordinator"})
COOKIE_NAME = "gridpolice_auth"
# The login cookie is written by streamlit-authenticator's cookie component from JavaScript, so it
# cannot be HttpOnly: a script injected into the page could read it. It is signed (HS256, cookie
# key), SameSite=Strict, Secure behind TLS (``cookie_secure``), refused after a sign-out, password
# change or reset, deactivation or new role, and lives 4 hours instead of half a day (README).
COOKIE_EXPIRY_DAYS = 4 / 24


# One screen: its script, title key, section key, icon and the roles that may open it.
@dataclass(frozen=True)
class PageSpec:
    key: str
    script: str  # path relative to the repo root
    title_key: str
    section_key: str
    icon: str
    roles: frozenset[str]

    @property
    def url_path(self) -> str:
        return self.key


PAGES: tuple[PageSpec, ...] = (
    # officers land on their work list: st.navigation opens the first page a role may see
    PageSpec("my_work", "pages/my_work.py", "nav.my_work", "nav.section.work", ":material/checklist:",
             frozenset({"officer"})),
    PageSpec("log_visit", "pages/log_visit.py", "nav.log_visit", "nav.section.work", ":material/edit_note:",
             frozenset({"officer"})),
    PageSpec("overview", "pages/overview.py", "nav.overview", "nav.section.dashboards", ":material/dashboard:",
             ALL_ROLES),
    PageSpec("plans", "pages/plans.py", "nav.plans", "nav.section.dashboards", ":material/account_tree:", LEADERS),
    PageSpec("gaps", "pages/gaps.py", "nav.gaps", "nav.section.dashboards", ":material/leaderboard:", LEADERS),
    PageSpec("map", "pages/map.py", "nav.map", "nav.section.dashboards", ":material/map:", LEADERS | {"officer"}),
    PageSpec("milestones", "pages/milestones.py", "nav.milestones", "nav.section.dashboards", ":material/flag:", LEADERS),
    PageSpec("pilot", "pages/pilot.py", "nav.pilot", "nav.section.dashboards", ":material/compare_arrows:", LEADERS),
    PageSpec("report", "pages/report.py", "nav.report", "nav.section.dashboards", ":material/summarize:", LEADERS),
    PageSpec("accountability", "pages/accountability.py", "nav.accountability", "nav.section.dashboards",
             ":material/assignment_late:", LEADERS),
    PageSpec("data_entry", "pages/data_entry.py", "nav.data_entry", "nav.section.casework", ":material/edit_square:",
             LEADERS),
    PageSpec("needs", "pages/needs.py", "nav.needs", "nav.section.casework", ":material/assignment:",
             frozenset({"officer", "station_leader", "district_leader", "city_leader", "admin", "coordinator"})),
    PageSpec("events", "pages/events.py", "nav.events", "nav.section.casework", ":material/notification_important:",
             frozenset({"officer", "station_leader", "district_leader", "city_leader", "admin", "coordinator"})),
    PageSpec("staffing", "pages/staffing.py", "nav.staffing", "nav.section.casework", ":material/badge:",
             frozenset({"admin", "city_leader", "district_leader", "station_leader", "coordinator"})),
    PageSpec("special_groups", "pages/special_groups.py", "nav.special_groups", "nav.section.casework",
             ":material/group:", frozenset({"officer", "station_leader", "district_leader", "city_leader", "admin"})),
    PageSpec("assistance", "pages/assistance.py", "nav.assistance", "nav.section.casework", ":material/diversity_3:",
             frozenset({"officer", "coordinator", "admin", "station_leader", "district_leader", "city_leader"})),
    PageSpec("complaints", "pages/complaints.py", "nav.complaints", "nav.section.casework", ":material/shield_person:",
             frozenset({"admin", "district_leader", "station_leader", "city_leader", "officer", "coordinator"})),
    PageSpec("incidents", "pages/incidents.py", "nav.incidents", "nav.section.casework", ":material/crisis_alert:",
             LEADERS),
    PageSpec("admin_users", "pages/admin_users.py", "nav.admin_users", "nav.section.system",
             ":material/manage_accounts:", frozenset({"admin"})),
    PageSpec("audit", "pages/audit.py", "nav.audit", "nav.section.system", ":material/policy:", frozenset({"admin"})),
    PageSpec("data_rights", "pages/data_rights.py", "nav.data_rights", "nav.section.system", ":material/person_remove:",
             frozenset({"admin"})),
    PageSpec("admin_targets", "pages/admin_targets.py", "nav.admin_targets", "nav.section.system",
             ":material/target:", frozenset({"admin"})),
    PageSpec("admin_settings", "pages/admin_settings.py", "nav.admin_settings", "nav.section.system",
             ":material/tune:", frozenset({"admin"})),
    PageSpec("admin_org", "pages/admin_org.py", "nav.admin_org", "nav.section.system",
             ":material/account_tree:", frozenset({"admin"})),
    PageSpec("account", "pages/account.py", "nav.account", "nav.section.account", ":material/account_circle:",
             ALL_ROLES),
)


def page(key: str) -> PageSpec:
    return next(p for p in PAGES if p.key == key)


def roles_for(key: str) -> frozenset[str]:
    """Roles that may open page ``key`` (pages pass this to ``require``)."""
    return page(key).roles


def pages_for(role: str) -> dict[str, list[PageSpec]]:
    """Sections (catalogue keys) → the pages ``role`` may open, in table order."""
    out: dict[str, list[PageSpec]] = {}
    for p in PAGES:
        if role in p.roles:
            out.setdefault(p.section_key, []).append(p)
    return out


# --- the signed-in user -------------------------------------------------------------------------

@dataclass(frozen=True)
class CurrentUser:
    username: str
    name: str
    role: str
    scope: UnitRef  # the org unit that bounds everything this user may see

    @property
    def scope_code(self) -> str:
        return self.scope.code

    def can_see(self, unit: UnitRef) -> bool:
        return in_scope(self.scope, unit)


def _from_info(info: UserInfo) -> CurrentUser:
    return CurrentUser(username=info.username, name=info.display_name, role=info.role, scope=info.scope)


# --- configuration, database --------------------------------------------------------------------

_SECRET_ENV = {"cookie_key": "COOKIE_KEY", "app_secret_key": "APP_SECRET_KEY", "database_url": "DATABASE_URL",
               "app_data_dir": "APP_DATA_DIR"}


def apply_secrets() -> None:
    """Copy ``.streamlit/secrets.toml`` values into the environment (env wins) for data_access.core.settings."""
    try:
        secrets = {k.lower(): v for k, v in st.secrets.to_dict().items()}
    except Exception:  # no secrets file: environment and key files only
        return
    changed = False
    for key, env in _SECRET_ENV.items():
        if key in secrets and not os.environ.get(env):
            os.environ[env] = str(secrets[key])
            changed = True
    if changed:
        reset_settings()


@st.cache_resource(show_spinner=False)
def _migrated(url: str) -> bool:
    migrate(get_engine(url))
    return True


def ensure_db() -> None:
    """Migrate the configured database to head once per process (the app's first step)."""
    _migrated(get_settings().database_url)


def cookie_key() -> str:
    """Signing key of the login cookie: COOKIE_KEY from secrets/env, else a key file generated in
    APP_DATA_DIR (never committed); stretched to a 256-bit HMAC key whatever its length."""
    raw = get_settings().cookie_key or key_file("cookie.key")
    return hashlib.sha256(f"gridpolice-login-cookie:{raw}".encode()).hexdigest()


@st.cache_data(ttl=5, show_spinner=False)
def _credential(url: str, username: str) -> dict | None:
    with session_scope(get_engine(url)) as s:
        return users.credential(session=s, username=username)


@st.cache_data(ttl=5, show_spinner=False)
def _user(url: str, username: str) -> UserInfo | None:
    with session_scope(get_engine(url)) as s:
        return users.get_user(session=s, username=username)


def forget_users() -> None:
    """Drop the cached users so a new password, role or deactivation applies at the next click."""
    _credential.clear()
    _user.clear()


def _lock_state(username: str):
    from data_access.org import accounts

    with session_scope() as s:
        return accounts.lock_state(session=s, username=username, now=now_local())


def record_login(username: str, ok: bool):
    """Record a form login attempt (audited; the 5th failure in 15 minutes locks the account)."""
    from data_access.org import accounts

    now = now_local()
    # many browsers sign in at once: a transaction that lost a race to another is run again
    return run_in_transaction(lambda s: accounts.record_login_attempt(session=s, username=username, ok=ok, now=now))


def authenticator():
    """streamlit-authenticator built for this run, holding the credentials (pre-hashed) of the users
    this run may need only: the session's, the login cookie's, the one typed into the login form.
    Handing it every user cost a fifth of a replica's CPU at L (each run unpickled thousands of
    officers' rows from the cache)."""
    import streamlit_authenticator as stauth

    auth = stauth.Authenticate(
        {"usernames": {}}, cookie_name=COOKIE_NAME, cookie_key=cookie_key(),
        cookie_expiry_days=COOKIE_EXPIRY_DAYS, auto_hash=False, login_sleep_time=0,
    )
    # A forged or malformed cookie (e.g. "alg": "none") is no cookie: the library only catches a bad
    # signature and would let the page fail. The cookie is written Secure behind TLS.
    cm = auth.cookie_controller.cookie_model
    cm._token_decode = lambda: decode_cookie(cm.token, cm.cookie_key)
    cm.set_cookie = lambda: _set_cookie(cm)
    model = auth.authentication_controller.authentication_model
    known = model.credentials["usernames"]
    url = get_settings().database_url

    def admit(username) -> None:  # where the library looks the user up (it writes into the entry)
        name = username.lower().strip() if isinstance(username, str) else ""
        if name and name not in known and (entry := _credential(url, name)) is not None:
            known[name] = {**entry, "roles": list(entry["roles"])}

    admit(st.session_state.get("username"))
    token = auth.cookie_controller.get_cookie()  # a cookie re-login looks its user up too
    admit(token.get("username") if isinstance(token, dict) else None)
    # Every form login goes through the lockout rule and is recorded (the check runs only when
    # the form is submitted; a cookie re-login does not call it).
    check = model.check_credentials

    def checked(username: str, password: str) -> bool:
        admit(username)
        st.session_state.pop("login_locked_until", None)
        if _lock_state(username).locked:
            state = record_login(username, False)  # audited as login_locked, not counted
            st.session_state["login_locked_until"] = state.until
            return False
        ok = bool(check(username, password))
        if ok:
            st.session_state[SIGNED_IN_AT] = users.utc_now()  # signed in by the form: its cookie is a new one
        state = record_login(username, ok)
        if not ok and state.locked:
            st.session_state["login_locked_until"] = state.until
        return ok

    model.check_credentials = checked
    return auth


def decode_cookie(token, key: str) -> dict | bool:
    """The login cookie's claims, or False for anything but an HS256 token signed with ``key``
    holding a username and a numeric expiry."""
    import jwt

    try:
        claims = jwt.decode(token, key, algorithms=["HS256"])
    except (jwt.InvalidTokenError, TypeError, ValueError):
        return False
    if (not isinstance(claims, dict) or not isinstance(claims.get("username"), str)
            or not isinstance(claims.get("exp_date"), (int, float)) or isinstance(claims.get("exp_date"), bool)):
        return False
    return claims


def cookie_secure() -> bool:
    """Whether the login cookie gets the Secure flag: COOKIE_SECURE=1, or the request came over
    HTTPS (directly, or through a proxy that sets X-Forwarded-Proto)."""
    if os.environ.get("COOKIE_SECURE", "").strip().lower() in ("1", "true", "yes"):
        return True
    try:
        proto = (st.context.headers.get("X-Forwarded-Proto") or "").split(",")[0].strip().lower()
        url = str(getattr(st.context, "url", "") or "")
    except Exception:  # no request context (tests, scripts)
        return False
    return proto == "https" or url.startswith("https://")


def _set_cookie(cm) -> None:
    """streamlit-authenticator's set_cookie, plus Secure behind TLS and SameSite=Strict."""
    from datetime import timedelta

    if not cm.cookie_expiry_days:
        return
    cm.exp_date = cm._set_exp_date()
    cm.cookie_manager.set(cm.cookie_name, cm._token_encode(),
                          expires_at=datetime.now() + timedelta(days=cm.cookie_expiry_days),
                          secure=cookie_secure() or None, same_site="strict")


def login_fields() -> dict[str, str]:
    return {"Form name": t("login.form"), "Username": t("login.username"), "Password": t("login.password"),
            "Login": t("login.submit")}


SIGNED_IN_AT = "_signed_in_at_utc"  # session state: when this session signed in (naive UTC)


def record_sign_out(username: str) -> None:
    """The user pressed sign out: cookies issued before now stop working (the browser deletes
    its cookie after the run, but a reload may come first or the deletion may not happen)."""
    st.session_state.pop(SIGNED_IN_AT, None)
    with session_scope(get_engine(get_settings().database_url)) as s:
        users.record_sign_out(session=s, username=username, at_utc=users.utc_now())


def session_ended(authenticator, username: str) -> bool:
    """Whether this session has been ended since it signed in: by a sign-out elsewhere, a password
    change or reset, a deactivation or a new role or scope (``users.end_sessions``). Checked on every
    run, from the cached user row (``forget_users`` makes an admin's change apply at the next click).
    A session signed in by a cookie began when that cookie was issued."""
    began = st.session_state.get(SIGNED_IN_AT)
    if began is None:
        token = authenticator.cookie_controller.get_cookie()
        if token and "exp_date" in token:
            began = users.cookie_issued_utc(float(token["exp_date"]), COOKIE_EXPIRY_DAYS)
        else:
            began = users.utc_now()
        st.session_state[SIGNED_IN_AT] = began
    info = _user(get_settings().database_url, username)
    return info is None or users.session_ended(began, info.sessions_end_utc)


def keep_this_session() -> None:
    """After the user ended their other sessions themselves (password change): this one goes on,
    with a login cookie issued now."""
    forget_users()
    st.session_state[SIGNED_IN_AT] = users.utc_now()
    st.session_state["_set_auth_cookie"] = True


def signed_in_username() -> str | None:
    if st.session_state.get("authentication_status") is True and st.session_state.get("username"):
        return str(st.session_state["username"])
    return None


def current_user() -> CurrentUser | None:
    """The signed-in, active user, or None (anonymous, unknown or deactivated)."""
    username = signed_in_username()
    if username is None:
        return None
    info = _user(get_settings().database_url, username)
    if info is None or not info.active:
        return None
    return _from_info(info)


def _leave_v1_wrapper() -> None:
    """Hand the run to app.py when Streamlit ran a page script directly.

    Because a ``pages/`` folder sits next to app.py, Streamlit wraps the first script run of a
    process in its old multipage mode (it lists and runs pages/*.py by URL itself) until the
    first ``st.navigation`` call; a page URL opened before anyone loaded "/" would then run
    without app.py's login, language and navigation. Switching to app.py (query string kept)
    restores the one router.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.switch_page(str(ROOT / "app.py"), query_params=st.query_params.to_dict())


def require(roles: frozenset[str] | set[str] | tuple[str, ...] | None = None) -> CurrentUser:
    """The shared guard: signed in, active, role allowed — otherwise a message and ``st.stop()``."""
    _leave_v1_wrapper()
    if signed_in_username() is None:
        st.info(t("auth.login_required"))
        st.stop()
    user = current_user()
    if user is None:
        st.error(t("auth.inactive"))
        st.stop()
    if roles is not None and user.role not in roles:
        st.error(t("auth.forbidden"))
        st.stop()
    return user


# --- data scope ---------------------------------------------------------------------------------

@st.cache_data(ttl=60, show_spinner=False)
def _unit(url: str, code: str) -> UnitRef | None:
    with session_scope(get_engine(url)) as s:
        return users.unit_by_code(session=s, code=code)


@st.cache_data(ttl=60, show_spinner=False)
def scope_units(scope_code: str, max_level: str = "community") -> list[UnitRef]:
    """The scope unit and its descendants down to ``max_level`` (cached per scope)."""
    url = get_settings().database_url
    root = _unit(url, scope_code)
    if root is None:
        return []
    with session_scope(get_engine(url)) as s:
        return users.units_under(session=s, root=root, max_level=max_level)


@st.cache_resource(ttl=60, max_entries=1000, show_spinner=False)
def picker_units(scope_code: str, current_code: str, max_level: str = "community") -> tuple[UnitRef, ...]:
    """A unit picker's choices in ``scope_code`` around ``current_code`` (``users.picker_units``):
    a few dozen units per run, not the scope's whole subtree. Read on every dashboard run, so kept
    as one shared, read-only tuple of frozen units (``st.cache_data`` unpickled a copy each time:
    3 % of a loaded replica); ``forget_units`` drops it after an admin's change."""
    units = scope_units(scope_code, max_level)
    current = next((u for u in units if u.code == current_code), None) or _unit(get_settings().database_url,
                                                                               current_code)
    return tuple(users.picker_units(units, current) if current is not None else units)


def forget_units() -> None:
    """Drop the cached unit choices (names, units or their order changed)."""
    picker_units.clear()


def resolve_unit(user: CurrentUser, code: str | None) -> tuple[UnitRef, str | None]:
    """The unit ``code`` if it is inside the user's scope, else the scope (and a message key why)."""
    if not code or code == user.scope.code:
        return user.scope, None
    unit = _unit(get_settings().database_url, code)
    if unit is None:
        return user.scope, "auth.unknown_unit"
    if not user.can_see(unit):
        return user.scope, "auth.out_of_scope"
    return unit, None


def assert_in_scope(user: CurrentUser, unit: UnitRef) -> None:
    """Stop the page if ``unit`` lies outside the user's scope (defence in depth before a query)."""
    if not user.can_see(unit):
        st.error(t("auth.out_of_scope"))
        st.stop()


# --- the frame: login page, stand-ins, navigation --------------------------------------------------

def login_page(authenticator):
    """The sign-in screen (a page function bound to this run's authenticator)."""
    from streamlit_authenticator.utilities import LoginError

    def login() -> None:
        st.title(t("app.title"))
        st.caption(t("app.subtitle"))
        try:
            authenticator.login(location="main", fields=login_fields(), key="login")
        except LoginError:
            st.error(t("login.error"))
        status = st.session_state.get("authentication_status")
        if status is True and current_user() is not None:
            st.session_state["_set_auth_cookie"] = True
            st.rerun()  # rebuild the navigation with the user's pages
        elif status is False and st.session_state.get("login_locked_until"):
            st.error(t("login.locked", until=st.session_state["login_locked_until"].strftime("%H:%M")))
        elif status is False:
            st.error(t("login.failed"))
        else:
            st.caption(t("login.intro"))

    return login


def forbidden_page() -> None:
    st.error(t("auth.forbidden"))


def stand_in(render, spec: PageSpec) -> st.Page:
    """A hidden page at ``spec``'s URL that renders ``render`` instead (login form or refusal), so a
    deep link never meets Streamlit's own (English) "page not found" dialog and survives the login."""
    def page() -> None:
        render()

    page.__name__ = f"{spec.key}_stand_in"
    return st.Page(page, title=t(spec.title_key), url_path=spec.url_path, visibility="hidden")


def navigation(user: CurrentUser | None, authenticator):
    """``st.navigation`` with only the pages ``user``'s role may open (anonymous: the login)."""
    if user is None:
        login = login_page(authenticator)
        return st.navigation(
            [st.Page(login, title=t("nav.login"), icon=":material/login:", url_path="login", default=True)]
            + [stand_in(login, p) for p in PAGES],
            position="hidden")
    sections = {
        t(section): [st.Page(str(ROOT / p.script), title=t(p.title_key), icon=p.icon, url_path=p.url_path)
                     for p in pages]
        for section, pages in pages_for(user.role).items()
    }
    # hidden stand-ins answer direct URLs of pages this role may not open
    refused = [stand_in(forbidden_page, p) for p in PAGES if user.role not in p.roles]
    if not sections:
        return st.navigation([st.Page(forbidden_page, title=t("app.title"), url_path="none", default=True)]
                             + refused, position="hidden")
    if refused:
        sections[next(reversed(sections))] += refused
    # every page listed: Streamlit would otherwise fold the list after ten under its own English "View more"
    return st.navigation(sections, expanded=True)
