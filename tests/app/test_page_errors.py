"""An unexpected error in a page shows one message in the user's language with a log reference
(ui.errors.run_page), not Streamlit's English error box; st.stop passes through."""
from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest


def _script(failure: str, lang: str) -> None:
    import streamlit as st

    from ui.errors import run_page

    st.session_state["lang"] = lang

    class Page:
        url_path = "broken"

        def run(self):
            st.write("before")
            if failure == "error":
                raise ValueError("secret detail 4711")
            st.stop()

    run_page(Page())
    st.write("after")


def _run(failure: str, lang: str = "zh") -> AppTest:
    at = AppTest.from_function(_script, args=(failure, lang), default_timeout=30)
    at.run()
    return at


def test_an_unexpected_error_becomes_one_translated_message_with_a_reference(caplog):
    at = _run("error")
    assert not at.exception
    (err,) = at.error
    ref = re.search(r"编号 ([0-9a-f]{8}) ", err.value).group(1)
    assert "secret detail" not in err.value
    assert [m.value for m in at.markdown] == ["before", "after"]
    logged = [r for r in caplog.records if ref in r.getMessage()]
    assert logged and "secret detail 4711" in str(logged[0].exc_info[1])
    en = _run("error", "en")
    assert en.error[0].value.startswith("This page failed")


def test_st_stop_is_not_an_error():
    at = _run("stop")
    assert not at.exception and not at.error
    assert [m.value for m in at.markdown] == ["before"]
