"""网格警务 — entry point: page config, language, login, navigation. No queries here."""
from __future__ import annotations

import streamlit as st
from streamlit_authenticator.utilities import LoginError

from ui import auth, brand
from ui.i18n import init_lang, language_switch, name_of, t

init_lang()  # session state and URL only: nothing is drawn before the page config
st.set_page_config(page_title=t("app.title"), page_icon=brand.icon(), layout="wide",
                   initial_sidebar_state="expanded")
auth.apply_secrets()
auth.ensure_db()

side_user, side_lang, side_logout, side_cookie = (st.sidebar.container() for _ in range(4))
with side_cookie:  # the cookie component renders here, out of the page's way
    authenticator = auth.authenticator()


def login_page() -> None:
    st.title(t("app.title"))
    st.caption(t("app.subtitle"))
    try:
        authenticator.login(location="main", fields=auth.login_fields(), key="login")
    except LoginError:
        st.error(t("login.error"))
    status = st.session_state.get("authentication_status")
    if status is True and auth.current_user() is not None:
        st.session_state["_set_auth_cookie"] = True
        st.rerun()  # rebuild the navigation with the user's pages
    elif status is False and st.session_state.get("login_locked_until"):
        st.error(t("login.locked", until=st.session_state["login_locked_until"].strftime("%H:%M")))
    elif status is False:
        st.error(t("login.failed"))
    else:
        st.caption(t("login.intro"))


user = auth.current_user()
if user is None and auth.signed_in_username():
    # signed in with a stale cookie, or deactivated since: end the session
    authenticator.logout(location="unrendered")

if user is not None:
    if st.session_state.pop("_set_auth_cookie", False):
        with side_cookie:  # the login run ended in a rerun before the browser stored the cookie
            authenticator.cookie_controller.set_cookie()
    with side_logout:
        authenticator.logout(t("logout"), location="main", key="logout_button", use_container_width=True)
    if auth.signed_in_username() is None:  # just signed out
        user = None

with side_user:
    st.markdown(f"### {t('app.title')}")
    if user is not None:
        st.markdown(f"**{user.name}** · {t('role.' + user.role)}")
        st.caption(t("user.scope", unit=name_of(user.scope)))
with side_lang:
    language_switch(side_lang)

def forbidden_page() -> None:
    st.error(t("auth.forbidden"))


def stand_in(render, spec: auth.PageSpec) -> st.Page:
    """A hidden page at ``spec``'s URL that renders ``render`` instead (login form or refusal), so a
    deep link never meets Streamlit's own "page not found" dialog and survives the login."""
    def page() -> None:
        render()

    page.__name__ = f"{spec.key}_stand_in"
    return st.Page(page, title=t(spec.title_key), url_path=spec.url_path, visibility="hidden")


if user is None:
    pg = st.navigation(
        [st.Page(login_page, title=t("nav.login"), icon=":material/login:", url_path="login", default=True)]
        + [stand_in(login_page, p) for p in auth.PAGES],
        position="hidden")
else:
    allowed = auth.pages_for(user.role)
    sections = {
        t(section): [st.Page(str(auth.ROOT / p.script), title=t(p.title_key), icon=p.icon, url_path=p.url_path)
                     for p in pages]
        for section, pages in allowed.items()
    }
    refused = [stand_in(forbidden_page, p) for p in auth.PAGES if user.role not in p.roles]
    if refused:  # hidden: they only answer direct URLs of pages this role may not open
        sections[next(reversed(sections))] += refused
    pg = st.navigation(sections)
pg.run()
