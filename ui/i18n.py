"""Every UI string, in one catalogue: ``{key: {"zh": ..., "en": ...}}``.

The language lives in ``st.session_state["lang"]`` (default zh) and is mirrored to the URL
query parameter ``lang``. Data names (units, indicators, phases) come from the rows'
``name_zh``/``name_en`` via ``name_of`` so a screen never mixes languages.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
# Shown in their own language in the switch (the one place both scripts appear).
LANG_NAMES = {"zh": "简体中文", "en": "English"}

CATALOGUE: dict[str, dict[str, str]] = {
    # --- frame ---
    "app.title": {"zh": "网格警务", "en": "Grid Policing"},
    "app.subtitle": {"zh": "入户访查工作看板", "en": "Household-visit programme dashboard"},
    "lang.label": {"zh": "语言", "en": "Language"},
    "nav.section.dashboards": {"zh": "指挥看板", "en": "Dashboards"},
    "nav.section.account": {"zh": "账号", "en": "Account"},
    "nav.login": {"zh": "登录", "en": "Sign in"},
    "nav.overview": {"zh": "总览", "en": "Overview"},
    # --- login ---
    "login.form": {"zh": "登录", "en": "Sign in"},
    "login.username": {"zh": "用户名", "en": "Username"},
    "login.password": {"zh": "密码", "en": "Password"},
    "login.submit": {"zh": "登录", "en": "Sign in"},
    "login.failed": {"zh": "用户名或密码不正确。", "en": "Wrong username or password."},
    "login.locked": {"zh": "登录失败次数过多，账号已锁定至 {until}，请稍后再试或联系管理员解锁。",
                     "en": "Too many failed sign-ins: the account is locked until {until}. Try again later or ask "
                           "an administrator to unlock it."},
    "login.error": {"zh": "无法登录，请联系管理员。", "en": "Sign-in failed; please contact an administrator."},
    "login.intro": {"zh": "请使用分配给您的账号登录。", "en": "Sign in with the account you were given."},
    "logout": {"zh": "退出登录", "en": "Sign out"},
    "user.scope": {"zh": "辖区：{unit}", "en": "Scope: {unit}"},
    # --- guard ---
    "auth.login_required": {"zh": "请先登录后再查看此页面。", "en": "Please sign in to view this page."},
    "auth.go_login": {"zh": "前往登录", "en": "Go to sign-in"},
    "auth.forbidden": {"zh": "您的角色无权查看此页面。", "en": "Your role may not open this page."},
    "auth.inactive": {"zh": "该账号已停用或不存在，请联系管理员。",
                      "en": "This account is inactive or unknown; please contact an administrator."},
    "auth.out_of_scope": {"zh": "所请求的单位不在您的辖区内，已改为显示您的辖区。",
                          "en": "The requested unit is outside your scope; showing your own unit instead."},
    "auth.unknown_unit": {"zh": "未找到所请求的单位，已改为显示您的辖区。",
                          "en": "The requested unit does not exist; showing your own unit instead."},
    # --- roles and levels ---
    "role.admin": {"zh": "系统管理员", "en": "Administrator"},
    "role.city_leader": {"zh": "市局领导", "en": "City leader"},
    "role.district_leader": {"zh": "分局领导", "en": "District leader"},
    "role.station_leader": {"zh": "派出所领导", "en": "Station leader"},
    "role.coordinator": {"zh": "试点协调员", "en": "Pilot coordinator"},
    "role.officer": {"zh": "社区民警", "en": "Community officer"},
    "level.city": {"zh": "市", "en": "City"},
    "level.district": {"zh": "分局", "en": "District"},
    "level.station": {"zh": "派出所", "en": "Station"},
    "level.community": {"zh": "社区", "en": "Community"},
    "level.grid": {"zh": "网格", "en": "Grid"},
    # --- overview ---
    "overview.title": {"zh": "总览", "en": "Overview"},
    "overview.unit": {"zh": "单位", "en": "Unit"},
    "overview.phase": {"zh": "阶段", "en": "Phase"},
    "overview.phase_range": {"zh": "{name}（{start} 至 {end}）", "en": "{name} ({start} to {end})"},
    "overview.data_date": {"zh": "数据截至 {date}", "en": "Data as of {date}"},
    "overview.loading": {"zh": "正在计算指标…", "en": "Computing indicators…"},
    "overview.headline": {"zh": "核心指标", "en": "Headline indicators"},
    "overview.children": {"zh": "下级单位（{level}）", "en": "Units below ({level})"},
    "overview.children_detail": {"zh": "指标明细", "en": "Indicator detail"},
    "overview.no_children": {"zh": "该单位没有下级单位。", "en": "This unit has no units below it."},
    "overview.phase_not_started": {"zh": "该阶段尚未开始（{start} 开始），暂无数据。",
                                   "en": "This phase has not started yet (it starts {start}); no data."},
    "overview.no_kpis": {"zh": "本阶段该单位暂无任何指标数据。",
                         "en": "No indicator data for this unit in this phase yet."},
    "overview.no_phase": {"zh": "尚未配置任何阶段。", "en": "No phases are configured."},
    "overview.legend": {"zh": "状态颜色：绿色已达标，蓝色按期可达，橙色有风险，红色偏离目标；灰色为时尚早"
                              "（本阶段已结束的月份不足 3 个，还看不出趋势）或无数据。",
                        "en": "Status colours: green met, blue on track, orange at risk, red off track; grey too "
                              "early (fewer than 3 finished months in this phase, no trend yet) or no data."},
    # --- KPI card ---
    "kpi.target": {"zh": "目标", "en": "Target"},
    "kpi.baseline": {"zh": "基线", "en": "Baseline"},
    "kpi.vetoed_note": {"zh": "本阶段内本单位或下级单位有经确认的一票否决事件（如隐私泄露）。",
                        "en": "A confirmed one-vote veto event (e.g. a privacy breach) in this unit or below "
                              "during this phase."},
    "kpi.gap_behind": {"zh": "还差 {gap}", "en": "{gap} to go"},
    "kpi.gap_ahead": {"zh": "超出 {gap}", "en": "{gap} ahead"},
    "kpi.gap_none": {"zh": "恰好达到", "en": "exactly on target"},
    "kpi.vs_target": {"zh": "较目标", "en": "vs target"},
    "kpi.n": {"zh": "样本量", "en": "n"},
    "kpi.ci": {"zh": "95% 区间", "en": "95% interval"},
    "kpi.required_gain": {"zh": "每月需提升", "en": "Needed per month"},
    "kpi.components": {"zh": "分项", "en": "Components"},
    "kpi.component": {"zh": "{name} {value} × {weight}", "en": "{name} {value} × {weight}"},
    "kpi.no_target": {"zh": "本阶段无目标", "en": "No target this phase"},
    "unit.pp": {"zh": "个百分点", "en": "pp"},
    "unit.points": {"zh": "分", "en": "pts"},
    "unit.households": {"zh": "户", "en": "households"},
    # --- status and flags ---
    "status.met": {"zh": "已达标", "en": "Met"},
    "status.on_track": {"zh": "按期可达", "en": "On track"},
    "status.at_risk": {"zh": "有风险", "en": "At risk"},
    "status.off_track": {"zh": "偏离目标", "en": "Off track"},
    "status.too_early": {"zh": "为时尚早", "en": "Too early"},
    "status.no_data": {"zh": "无数据", "en": "No data"},
    "status.no_target": {"zh": "无目标", "en": "No target"},
    "status.not_started": {"zh": "未开始", "en": "Not started"},
    "status.incomplete": {"zh": "不完整", "en": "Incomplete"},
    "status.unknown": {"zh": "—", "en": "—"},
    "flag.incomplete": {"zh": "不完整", "en": "Incomplete"},
    "flag.vetoed": {"zh": "一票否决", "en": "Vetoed"},
    "flag.small_sample": {"zh": "样本量小", "en": "Small sample"},
    # --- empty states per indicator ---
    "empty.info_accuracy": {"zh": "本阶段尚无双随机抽查记录。", "en": "No spot checks in this phase yet."},
    "empty.rental_accuracy": {"zh": "本阶段尚无出租屋抽查记录。", "en": "No spot checks of rentals in this phase yet."},
    "empty.need_resolution": {"zh": "本阶段尚无群众需求。", "en": "No residents' needs raised in this phase yet."},
    "empty.need_response_48h": {"zh": "尚无满 48 小时或已响应的需求。",
                                "en": "No needs whose 48-hour window has ended yet."},
    "empty.satisfaction": {"zh": "本阶段尚无群众评价。", "en": "No resident ratings in this phase yet."},
    "empty.process_compliance": {"zh": "本阶段尚无走访记录。", "en": "No visits in this phase yet."},
    "empty.visit_coverage": {"zh": "尚无登记住户。", "en": "No registered households yet."},
    "empty.special_visit_compliance": {"zh": "辖区内没有重点人员户。", "en": "No households with a risk level."},
    "empty.night_visit_compliance": {"zh": "本阶段没有夜间走访。", "en": "No night visits in this phase."},
    "empty.officer_weekly_visits": {"zh": "本阶段尚无走访记录。", "en": "No visits in this phase yet."},
    "empty.assessment_score": {"zh": "分项数据不全，暂不计算得分。",
                               "en": "A component has no data; no score yet."},
    "empty.default": {"zh": "暂无数据。", "en": "No data yet."},
    # --- table columns ---
    "col.unit": {"zh": "单位", "en": "Unit"},
    "col.code": {"zh": "编码", "en": "Code"},
    "col.indicator": {"zh": "指标", "en": "Indicator"},
    "col.value": {"zh": "实际", "en": "Actual"},
    "col.target": {"zh": "目标", "en": "Target"},
    "col.gap": {"zh": "差距", "en": "Gap"},
    "col.n": {"zh": "样本量", "en": "n"},
    "col.ci": {"zh": "95% 区间", "en": "95% interval"},
    "col.status": {"zh": "状态", "en": "Status"},
    "col.required_gain": {"zh": "每月需提升", "en": "Needed / month"},
}


def _merge_parts() -> None:
    """Add the per-screen parts in ui/strings/ to the catalogue; a key may be defined once only."""
    from .strings import parts

    for name, strings in parts():
        clash = CATALOGUE.keys() & strings.keys()
        if clash:
            raise RuntimeError(f"ui/strings/{name}.py redefines catalogue keys: {sorted(clash)}")
        CATALOGUE.update(strings)


_merge_parts()


def lang() -> str:
    """Current UI language ("zh" or "en")."""
    value = st.session_state.get("lang")
    return value if value in LANGS else DEFAULT_LANG


def init_lang() -> str:
    """Set the session language once (from ``?lang=`` if valid, else zh) and mirror it to the URL."""
    if st.session_state.get("lang") not in LANGS:
        q = st.query_params.get("lang")
        st.session_state["lang"] = q if q in LANGS else DEFAULT_LANG
    sync_url()
    return lang()


_TRANSLATED = "_i18n_translated_choices"


def translated(key: str) -> str:
    """``key``, noted as the key of a choice widget (select box, radio) whose options show translated.

    Streamlit sends such a widget's value back as the text it shows. After a language switch the
    browser still held the old language's text, which matches no option any more: the box kept
    showing it (a mixed-language screen) and the choice was lost at the next interaction. The
    switch (``set_lang``) sets each noted widget's value again through the session state, so
    Streamlit sends it in the new language. Only for widgets drawn without an ``index`` other than
    0 (Streamlit warns about a widget given both a default and a session-state value)."""
    st.session_state.setdefault(_TRANSLATED, set()).add(key)
    return key


def set_lang(value: str) -> None:
    """Switch the language (the language radio's callback); see ``translated``."""
    if value in LANGS:
        st.session_state["lang"] = value
        state = st.session_state
        kept = {key for key in state.get(_TRANSLATED, ()) if key in state}  # a widget drawn again notes itself again
        for key in kept:
            state[key] = state[key]  # sent again, in the new language
        state[_TRANSLATED] = kept
        sync_url()


def sync_url() -> None:
    if st.query_params.get("lang") != lang():
        st.query_params["lang"] = lang()


def t(key: str, **fmt: Any) -> str:
    """The catalogue text for ``key`` in the current language, formatted with ``fmt``."""
    entry = CATALOGUE.get(key)
    if entry is None:
        raise KeyError(f"missing UI string {key!r}")
    text = entry[lang()]
    return text.format(**fmt) if fmt else text


def t_opt(key: str, default_key: str, **fmt: Any) -> str:
    """Like ``t`` but falls back to ``default_key`` when ``key`` is not catalogued."""
    return t(key if key in CATALOGUE else default_key, **fmt)


def name_of(row: Any, field: str = "name") -> str:
    """``row.name_zh`` / ``row.name_en`` (or dict keys) by language; English falls back to the code."""
    def get(attr: str):
        return row.get(attr) if isinstance(row, dict) else getattr(row, attr, None)

    if lang() == "en":
        return get(f"{field}_en") or get("code") or ""
    return get(f"{field}_zh") or ""


def risk_label(level: str | None) -> str:
    """A household's risk level standing alone ("红色风险", "无风险等级"); an unknown code as it is."""
    if not level or level == "none":
        return t("risk.alone_none")
    return t("risk.alone", level=t(f"risk.{level}")) if f"risk.{level}" in CATALOGUE else str(level)


@st.cache_data(ttl=60, show_spinner=False)
def need_categories() -> list[tuple[str, str, str, bool]]:
    """``[(code, name_zh, name_en, active)]``: the admin's need categories in their order (every
    replica reads them from the database; an admin's change clears this cache in its process,
    the others within a minute)."""
    from data_access.core.db import session_scope
    from data_access.fieldwork.visit_form import need_categories as load

    try:
        with session_scope() as s:
            return [(c.code, c.name_zh, c.name_en, bool(c.active)) for c in load(session=s, include_inactive=True)]
    except Exception:  # noqa: BLE001 — a label never fails a page: the code is shown instead
        return []


def need_category_label(code: str | None) -> str:
    """Tracker category code → its name (the catalogue's, else the admin's); free text as typed."""
    if not code:
        return "—"
    key = f"need_cat.{code}"
    if key in CATALOGUE:
        return t(key)
    for c, zh, en, _active in need_categories():
        if c == code:
            return zh if lang() == "zh" else en
    return code


def language_switch(container=None) -> None:
    """Radio in the sidebar (or ``container``) switching the language; its label follows the language."""
    box = container if container is not None else st.sidebar
    box.radio(
        t("lang.label"), LANGS, index=LANGS.index(lang()), format_func=LANG_NAMES.get, horizontal=True,
        key="lang_switch", on_change=lambda: set_lang(st.session_state["lang_switch"]),
    )
