"""Helpers shared by the admin's configuration screens (目标值, 参数设置, 组织与网格): the reason field,
one write in its own transaction with the refusals shown as messages, the version a form showed
(kept until it is saved, so a concurrent edit is detected), field-named error texts."""
from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st

from data_access.core.db import session_scope
from data_access.core.errors import ConcurrentEdit, FormInvalid, NotFound, PermissionDenied, ValidationError

from . import swr, vega
from .admin_forms import flash, show_flash  # noqa: F401  (re-exported for the pages)
from .auth import forget_units
from .errors import message
from .i18n import CATALOGUE, t

REASON_MAX = 500


def field_label(field: str) -> str | None:
    """The label of a service field ("targets.0.target" → 目标值, "time_limits.urgent" → 紧急事项)."""
    parts = [p for p in field.split(".") if not re.fullmatch(r"\d+", p)]
    for p in reversed(parts):
        # a setting's part ("night_window.start") is named as on the form; a lone field by its label
        order = ("sub", "field", "setting") if len(parts) > 1 else ("field", "sub", "setting")
        for key in (f"cfg.{kind}.{p}" for kind in order):
            if key in CATALOGUE:
                return t(key)
    return None


def error_text(err: Exception) -> str:
    if isinstance(err, ValidationError):
        label = field_label(err.field)
        if label and not err.field.startswith("paste"):
            return t("cfg.field_error", field=label, message=message(err))
    return message(err)


def reason_input(key: str) -> str:
    return st.text_input(t("cfg.reason"), key=key, max_chars=REASON_MAX)


def shown_version(key: str, current: int) -> int:
    """The version the admin first saw for ``key`` (kept across reruns until forget_version)."""
    return int(st.session_state.setdefault(f"cfgv_{key}", current))


def forget_version(key: str) -> None:
    st.session_state.pop(f"cfgv_{key}", None)


def forget_versions() -> None:
    for k in [k for k in st.session_state if str(k).startswith("cfgv_")]:
        del st.session_state[k]


def run_write(fn: Callable, prefix: str, done: str) -> bool:
    """Run ``fn(session)`` in one transaction; a flash on success, each refusal as st.error (nothing written)."""
    try:
        with session_scope() as s:
            fn(s)
    except ConcurrentEdit:
        forget_versions()
        st.error(t("cfg.concurrent"))
        return False
    except FormInvalid as e:
        for x in e.errors:
            st.error(error_text(x))
        return False
    except (ValidationError, NotFound, PermissionDenied) as e:
        st.error(error_text(e))
        return False
    forget_versions()
    st.cache_data.clear()  # names, targets and KPIs are cached by the dashboards
    forget_units()
    swr.clear_all()
    vega.clear()
    flash(prefix, t("cfg.saved", what=done))
    return True


NEW_FILL = [30, 136, 229, 110]
CURRENT_FILL = [158, 158, 158, 90]


def boundary_deck(current: dict[str, dict], new: dict[str, dict], names: dict[str, str]):
    """The uploaded boundaries (blue) over the stored ones of the same communities (grey, outlined), no basemap."""
    from data_access.org import geometry as geo

    from . import map as umap

    def rows(geoms: dict[str, dict], fill: list[int]) -> list[dict]:
        out = []
        for code, g in geoms.items():
            polys = [g["coordinates"]] if g.get("type") == "Polygon" else list(g.get("coordinates") or [])
            for rings in polys:
                out.append({"polygon": rings, "fill": fill, "name": names.get(code, code), "code": code})
        return out

    # the stored boundaries as grey fills under dark outlines, the uploaded ones in blue on top
    outlines = [{"path": r["polygon"][0]} for r in rows(current, CURRENT_FILL)]
    data = rows(current, CURRENT_FILL) + rows(new, NEW_FILL)
    bounds = geo.bounds(list(current.values()) + list(new.values()))
    return umap.build_deck(data, bounds, outlines, tooltip_spec={"text": "{name}"}, height=420)
