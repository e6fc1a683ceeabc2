"""我的账号 Account (every role): who I am (role, scope), my recent sign-ins, and changing my own
password (data_access.org.accounts.change_password: old password, new one typed twice, the policy)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.core import audit
from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import NotFound, PermissionDenied, ValidationError
from data_access.org import accounts
from ui import admin_forms as forms
from ui import auth
from ui import format as fmt
from ui.auth import require, roles_for
from ui.i18n import name_of, t

user = require(roles=roles_for("account"))  # any signed-in, active user

LOGIN_ACTIONS = ("login", "login_failed", "login_locked", "login_inactive", "account.lock", "account.unlock")
RECENT = 10

st.title(t("admin.account.title"))
forms.show_flash("acc")

c_who, c_pw = st.columns([1, 1], gap="large")
with c_who:
    st.subheader(t("admin.account.who"))
    sep = forms.colon()
    st.markdown(
        f"{t('admin.col.display_name')}{sep}**{fmt.md(user.name)}**  \n"
        f"{t('admin.col.username')}{sep}{fmt.md(user.username)}  \n"
        f"{t('admin.col.role')}{sep}{t('role.' + user.role)}  \n"
        f"{t('admin.col.scope')}{sep}{t('admin.unit_label', name=fmt.md(name_of(user.scope)), level=t('level.' + user.scope.level))}")
    st.subheader(t("admin.account.logins"))
    with session_scope() as s:
        # the user's own sign-in events, newest first (own rows only: filtered by username in SQL)
        events = audit.search(s, audit.AuditFilter(username=user.username, actions=LOGIN_ACTIONS), limit=RECENT)
    if events:
        st.dataframe(pd.DataFrame({
            t("admin.account.col.at"): [forms.when(e.at) for e in events],
            t("admin.account.col.result"): [t(f"admin.account.result.{e.action}") for e in events],
        }), hide_index=True, width="stretch", height=forms.table_height(len(events), RECENT))
    else:
        st.info(t("admin.account.no_logins"))
    with session_scope() as s:
        policy = accounts.lockout_policy(session=s)  # admin-editable (参数设置)
    st.caption(t("admin.account.lockout", threshold=policy.threshold,
                 window=int(policy.window.total_seconds() // 60),
                 minutes=int(policy.duration.total_seconds() // 60)))

with c_pw:
    st.subheader(t("admin.account.change"))
    nonce = forms.nonce("acc_pw")  # empty fields again after a change
    with st.form(f"acc_pw_form_{nonce}"):
        old = st.text_input(t("admin.account.old"), type="password", key=f"acc_old_{nonce}", max_chars=100)
        new = st.text_input(t("admin.account.new"), type="password", key=f"acc_new_{nonce}", max_chars=100)
        again = st.text_input(t("admin.account.new2"), type="password", key=f"acc_new2_{nonce}", max_chars=100)
        st.caption(forms.policy_text())
        submitted = st.form_submit_button(t("admin.account.submit"), type="primary")
    if submitted:
        problems = ([forms.error_text(ValidationError("old_password", "required"))] if not old else []) \
            + forms.password_errors("new_password", new, again)
        if problems:
            for p in problems:
                st.error(p)
        else:
            try:
                with session_scope() as s:
                    accounts.change_password(session=s, user=user.username, old_password=old, new_password=new,
                                             now=now_local())
            except (ValidationError, PermissionDenied, NotFound) as err:
                st.error(forms.error_text(err))
            else:
                # the change ended the user's other sessions (other tabs, other browsers, old cookies);
                # this one goes on with a fresh cookie. The new password applies at once.
                auth.keep_this_session()
                forms.flash("acc", t("admin.account.changed"))
                forms.bump("acc_pw")
                st.rerun()
