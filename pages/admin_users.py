"""用户管理 Users (admin): list and filter accounts, create users, change role/scope, deactivate or
reactivate, reset passwords and lift login locks. Every write goes through data_access.org.accounts
(validated and audited there); the form checks the same rules first so mistakes show before a write."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import NotFound, PermissionDenied, ValidationError
from data_access.org import accounts
from data_access.org.models import ROLES
from ui import admin_forms as forms
from ui import auth
from ui import format as fmt
from ui.auth import require, roles_for, scope_units
from ui.i18n import lang, name_of, t

user = require(roles=roles_for("admin_users"))  # admins only; stops before any data access

st.title(t("admin.users.title"))
forms.show_flash("au")

now = now_local()
with session_scope() as s:
    rows = accounts.list_users(session=s, actor=user.username, now=now)
units = {u.code: u for u in scope_units(user.scope_code, "grid")}


def unit_label(code: str) -> str:
    u = units.get(code)
    return code if u is None else t("admin.unit_label", name=name_of(u), level=t("level." + u.level))


# --- filters and the list ------------------------------------------------------------------------
ALL = "*"
c_role, c_scope, c_active, c_locked = st.columns([2, 3, 2, 2])
f_role = c_role.selectbox(t("admin.users.filter_role"), [ALL, *ROLES], key=f"au_f_role_{lang()}",
                          format_func=lambda r: t("admin.all") if r == ALL else t("role." + r))
f_scope = c_scope.selectbox(t("admin.users.filter_scope"), [ALL, *units], key=f"au_f_scope_{lang()}",
                            format_func=lambda c: t("admin.all") if c == ALL else unit_label(c))
f_active = c_active.selectbox(t("admin.users.filter_active"), [ALL, "active", "inactive"],
                              key=f"au_f_active_{lang()}",
                              format_func=lambda v: t("admin.all") if v == ALL else t("admin." + v))
f_locked = c_locked.selectbox(t("admin.users.filter_locked"), [ALL, "locked", "not_locked"],
                              key=f"au_f_locked_{lang()}",
                              format_func=lambda v: t("admin.all") if v == ALL else t("admin." + v))


def shown(r: accounts.UserRow) -> bool:
    if f_role != ALL and r.role != f_role:
        return False
    if f_scope != ALL:
        u = units.get(r.scope_code)
        if u is None or not u.path.startswith(units[f_scope].path):
            return False
    if f_active != ALL and r.active != (f_active == "active"):
        return False
    return f_locked == ALL or (r.locked_until is not None) == (f_locked == "locked")


visible = [r for r in rows if shown(r)]
st.caption(t("admin.users.count", n=len(rows), shown=len(visible)))
if visible:
    table = pd.DataFrame({
        t("admin.col.username"): [r.username for r in visible],
        t("admin.col.display_name"): [r.display_name for r in visible],
        t("admin.col.role"): [t("role." + r.role) for r in visible],
        t("admin.col.scope"): [unit_label(r.scope_code) for r in visible],
        t("admin.col.status"): [t("admin.active" if r.active else "admin.inactive") for r in visible],
        t("admin.col.locked_until"): [forms.when(r.locked_until) for r in visible],
        t("admin.col.password"): [t("admin.password_set" if r.has_password else "admin.password_unset")
                                  for r in visible],
    })
    st.dataframe(table, hide_index=True, width="stretch", height=forms.table_height(len(visible), 10))
else:
    st.info(t("admin.users.none"))


def scope_choices(role: str) -> list[str]:
    """Units whose level fits ``role`` (accounts.ROLE_SCOPE_LEVELS), in tree order."""
    levels = accounts.ROLE_SCOPE_LEVELS[role]
    return [c for c, u in units.items() if u.level in levels]


def scope_hint(role: str) -> str:
    sep = "、" if lang() == "zh" else ", "
    return t("admin.users.scope_hint", levels=sep.join(t("level." + lv) for lv in accounts.ROLE_SCOPE_LEVELS[role]))


def run_write(fn, done_key: str, username: str, prefix: str) -> bool:
    """Run one accounts write in its own transaction; a flash on success, st.error on a refusal."""
    try:
        with session_scope() as s:
            fn(s)
    except (ValidationError, PermissionDenied, NotFound) as err:
        st.error(forms.error_text(err))
        return False
    # the login and the page guard cache users for 5 s: a deactivation, role change or new password
    # takes effect at the user's next click, not 5 s later
    auth.forget_users()
    forms.flash(prefix, t(done_key, username=username))
    return True


tab_manage, tab_create = st.tabs([t("admin.users.tab_manage"), t("admin.users.tab_create")])

# --- manage one user -------------------------------------------------------------------------------
with tab_manage:
    if not visible:
        st.info(t("admin.users.none"))
    else:
        ids = [r.id for r in visible]
        labels = {r.id: f"{r.username} · {r.display_name}" for r in visible}
        uid = st.selectbox(t("admin.users.pick"), ids, key="au_pick", format_func=labels.get)
        target = next(r for r in visible if r.id == uid)
        status = t("admin.active" if target.active else "admin.inactive")
        st.markdown(t("admin.users.summary", role=t("role." + target.role), scope=fmt.md(unit_label(target.scope_code)),
                      status=status))
        if target.locked_until is not None:
            st.warning(t("admin.users.locked_until", until=forms.when(target.locked_until)))
        c_role, c_status, c_reset = st.columns(3, border=True)
        with c_role:
            st.markdown(f"**{t('admin.users.role_scope')}**")
            role = st.selectbox(t("admin.users.role"), ROLES, index=ROLES.index(target.role),
                                key=f"au_role_{uid}_{lang()}", format_func=lambda r: t("role." + r))
            choices = scope_choices(role)
            if choices:
                current = target.scope_code if target.scope_code in choices else choices[0]
                scope_code = st.selectbox(t("admin.users.scope"), choices, index=choices.index(current),
                                          key=f"au_scope_{uid}_{role}_{lang()}", format_func=unit_label,
                                          help=scope_hint(role))
                if st.button(t("admin.users.save_role"), key=f"au_save_role_{uid}"):
                    if run_write(lambda s: accounts.set_role(session=s, actor=user.username, user_id=uid, role=role,
                                                            scope_id=units[scope_code].id, now=now_local()),
                                 "admin.users.role_saved", target.username, "au"):
                        st.rerun()
            else:
                st.info(t("admin.users.no_scope"))
        with c_status:
            st.markdown(f"**{t('admin.users.status')}**")
            if target.active:
                own = target.username == user.username  # the service refuses it too ("self")
                if st.button(t("admin.users.deactivate"), key=f"au_deactivate_{uid}", disabled=own,
                             help=t("admin.users.no_self_deactivate") if own else None):
                    if run_write(lambda s: accounts.set_active(session=s, actor=user.username, user_id=uid,
                                                              active=False, now=now_local()),
                                 "admin.users.deactivated", target.username, "au"):
                        st.rerun()
            elif st.button(t("admin.users.activate"), key=f"au_activate_{uid}"):
                if run_write(lambda s: accounts.set_active(session=s, actor=user.username, user_id=uid, active=True,
                                                          now=now_local()),
                             "admin.users.activated", target.username, "au"):
                    st.rerun()
            st.markdown(f"{t('admin.col.locked_until')}{forms.colon()}{forms.when(target.locked_until)}")
            if st.button(t("admin.users.unlock"), key=f"au_unlock_{uid}", disabled=target.locked_until is None):
                if run_write(lambda s: accounts.unlock(session=s, actor=user.username, user_id=uid, now=now_local()),
                             "admin.users.unlocked", target.username, "au"):
                    st.rerun()
        with c_reset:
            st.markdown(f"**{t('admin.users.reset')}**")
            nonce = forms.nonce("au_reset")
            pw1 = st.text_input(t("admin.users.new_password"), type="password", key=f"au_pw1_{uid}_{nonce}",
                                max_chars=100)
            pw2 = st.text_input(t("admin.users.new_password2"), type="password", key=f"au_pw2_{uid}_{nonce}",
                                max_chars=100)
            st.caption(forms.policy_text())
            if st.button(t("admin.users.do_reset"), key=f"au_do_reset_{uid}_{nonce}"):
                problems = forms.password_errors("password", pw1, pw2)
                if problems:
                    for p in problems:
                        st.error(p)
                elif run_write(lambda s: accounts.reset_password(session=s, actor=user.username, user_id=uid,
                                                                 new_password=pw1, now=now_local()),
                               "admin.users.reset_done", target.username, "au"):
                    forms.bump("au_reset")
                    st.rerun()

# --- create a user ---------------------------------------------------------------------------------
with tab_create:
    nonce = forms.nonce("au_new")  # a new set of empty widgets after each user created
    c1, c2 = st.columns(2)
    username = c1.text_input(t("admin.users.username"), key=f"au_new_username_{nonce}", max_chars=60)
    display = c2.text_input(t("admin.users.display_name"), key=f"au_new_display_{nonce}", max_chars=80)
    c3, c4 = st.columns(2)
    role = c3.selectbox(t("admin.users.role"), ROLES, index=ROLES.index("officer"),
                        key=f"au_new_role_{nonce}_{lang()}", format_func=lambda r: t("role." + r))
    choices = scope_choices(role)
    scope_code = c4.selectbox(t("admin.users.scope"), choices, key=f"au_new_scope_{nonce}_{role}_{lang()}",
                              format_func=unit_label, help=scope_hint(role)) if choices else None
    c5, c6 = st.columns(2)
    pw1 = c5.text_input(t("admin.users.password"), type="password", key=f"au_new_pw1_{nonce}", max_chars=100)
    pw2 = c6.text_input(t("admin.users.password2"), type="password", key=f"au_new_pw2_{nonce}", max_chars=100)
    st.caption(f"{forms.policy_text()} {t('admin.users.audited')}")
    if st.button(t("admin.users.create"), type="primary", key=f"au_create_{nonce}"):
        problems = forms.user_errors(username, display) + forms.password_errors("password", pw1, pw2)
        if scope_code is None:
            problems.append(t("admin.users.no_scope"))
        if problems:
            for p in problems:
                st.error(p)
        elif run_write(lambda s: accounts.create_user(
                session=s, actor=user.username, username=username, display_name=display, role=role,
                scope_id=units[scope_code].id, password=pw1, now=now_local()),
                "admin.users.created", username.strip().lower(), "au"):
            forms.bump("au_new")
            st.rerun()
