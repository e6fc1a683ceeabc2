"""Shared widgets of the screens (auth guard, i18n, maps, charts, formatting).

pandas keeps text columns in Python strings here, not pyarrow-backed ones (pandas 3's default
when pyarrow is installed): the frames the screens draw are small, and Streamlit hands a styled
table's display values over cell by cell, which costs a pyarrow-backed column a new array per
update: a third of a status-tinted table's drawing time (23 → 15 ms for a 15 × 10 table in
isolation; the gaps page, with two such tables, about 15 % less CPU per run). What is shown is the
same (``tests/unit/test_string_storage.py``).
"""
import pandas as pd

pd.set_option("mode.string_storage", "python")
