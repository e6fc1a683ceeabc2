"""``ui`` keeps pandas text in Python strings (``mode.string_storage``) to make Streamlit's hand-over
of a styled table's display values cheaper. What a table shows must not depend on it: the same
status-tinted table (text, floats with gaps, nullable integers, formatters, tints — as the gaps
and overview tables are built) is marshalled under both storages and decoded as the browser gets it."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData

import ui  # noqa: F401 - sets the storage this test compares against pyarrow's


def _styled() -> pd.io.formats.style.Styler:
    frame = pd.DataFrame({
        "单位": ["松柏街道派出所", "白马街道派出所", "Ningbo <b>Station</b>", None],
        "实际": [0.9812, np.nan, 0.5, 1.0],
        "样本量": pd.array([57, pd.NA, 3, 0], dtype="Int64"),
        "状态": ["已达标", "无数据", "有风险", "已达标"],
    })
    tints = pd.DataFrame("", index=frame.index, columns=frame.columns)
    tints["实际"] = ["background-color: #e3f1e6", "", "background-color: #fbefd9", "background-color: #e3f1e6"]
    return frame.style.set_uuid("t").apply(lambda _: tints, axis=None).format({
        "实际": lambda v: "—" if pd.isna(v) else f"{v:.1%}",
        "样本量": lambda v: "—" if pd.isna(v) else f"{int(v):,}",
    })


def _shown(storage: str) -> tuple[list, str]:
    with pd.option_context("mode.string_storage", storage):
        proto = ArrowData()
        marshall_styler(proto, _styled(), "t")
    table = pa.ipc.open_stream(io.BytesIO(proto.styler.display_values)).read_all()
    return table.to_pylist(), proto.styler.styles


def test_the_app_keeps_text_in_python_strings():
    assert pd.get_option("mode.string_storage") == "python"
    assert type(pd.Series(["a"]).array).__name__ == "StringArray"


def test_a_styled_table_shows_the_same_under_either_storage():
    rows, styles = _shown("python")
    assert (rows, styles) == _shown("pyarrow")
    assert [r["实际"] for r in rows] == ["98.1%", "—", "50.0%", "100.0%"]
    assert [r["样本量"] for r in rows] == ["57", "—", "3", "0"]
    assert rows[2]["单位"] == "Ningbo <b>Station</b>"  # text is passed through, not interpreted
    assert "#T_t_row0_col1, #T_t_row3_col1 { background-color: #e3f1e6 }" in styles  # the tinted cells
