"""网格警务 — entry point: page config, language, login, navigation. No queries here."""
from __future__ import annotations

import streamlit as st

from ui import auth, brand, errors
from ui import format as fmt
from ui.i18n import init_lang, language_switch, name_of, t

init_lang()  # session state and URL only: nothing is drawn before the page config
st.set_page_config(page_title=t("app.title"), page_icon=brand.icon(), layout="wide",
                   initial_sidebar_state="expanded")
auth.apply_secrets()
side_user, side_lang, side_logout, side_cookie = (st.sidebar.container() for _ in range(4))
with errors.database_guard():  # the database restarting or down: one translated message, no traceback
    auth.ensure_db()
    with side_cookie:  # the cookie component renders here, out of the page's way
        authenticator = auth.authenticator()

    user = auth.current_user()
    if (user is None and auth.signed_in_username()) or (user is not None and auth.session_ended(authenticator,
                                                                                                 user.username)):
        # signed in with a stale cookie, deactivated since, or a session ended since it began (a sign-out,
        # password change or reset, new role or scope), or by a cookie from before that
        st.session_state.pop(auth.SIGNED_IN_AT, None)  # the next sign-in starts a new session
        authenticator.logout(location="unrendered")
        user = None

if user is not None:
    if st.session_state.pop("_set_auth_cookie", False):
        with side_cookie:  # the login run ended in a rerun before the browser stored the cookie
            authenticator.cookie_controller.set_cookie()
    with side_logout:
        authenticator.logout(t("logout"), location="main", key="logout_button", use_container_width=True)
    if auth.signed_in_username() is None:  # just signed out
        auth.record_sign_out(user.username)
        user = None

with side_user:
    st.markdown(f"### {t('app.title')}")
    if user is not None:
        st.markdown(f"**{fmt.md(user.name)}** · {t('role.' + user.role)}")
        st.caption(t("user.scope", unit=fmt.md(name_of(user.scope))))
with side_lang:
    language_switch(side_lang)

errors.run_page(auth.navigation(user, authenticator))
