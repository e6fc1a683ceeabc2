"""ui.format (pure) and the ui.i18n catalogue."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from ui import format as fmt
from ui.i18n import CATALOGUE, LANGS

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


@pytest.mark.parametrize("value,unit,expected", [
    (88.04, "%", "88.0%"),
    (88.05001, "%", "88.1%"),
    (100.0, "%", "100.0%"),
    (0.0, "%", "0.0%"),  # zero is a value, not "no data"
    (None, "%", "—"),
    (85.25, "score", "85.2"),  # round half to even at one decimal, no percent sign
    (15.0, "count", "15.0"),
    (1234.56, "count", "1,234.6"),
])
def test_value(value, unit, expected):
    assert fmt.value(value, unit) == expected


@pytest.mark.parametrize("value,unit,lang,expected", [
    (3.46, "%", "en", "+3.5 pp"),
    (-1.2, "%", "en", "−1.2 pp"),  # U+2212 minus
    (-1.2, "%", "zh", "−1.2 个百分点"),
    (2.0, "score", "zh", "+2.0 分"),
    (-0.04, "%", "en", "0.0 pp"),  # rounds to zero: no sign
    (None, "%", "en", "—"),
])
def test_signed(value, unit, lang, expected):
    assert fmt.signed(value, unit, lang) == expected


def test_signed_ascii_minus_for_streamlit_delta_colour():
    assert fmt.signed(-8.2, "%", "en", ascii_minus=True) == "-8.2 pp"


@pytest.mark.parametrize("lo,hi,unit,expected", [
    (85.123, 90.25, "%", "85.1–90.2%"),
    (None, 90.0, "%", "—"),
    (64.6, 100.0, "score", "64.6–100.0"),
])
def test_interval(lo, hi, unit, expected):
    assert fmt.interval(lo, hi, unit) == expected


def test_count_and_day():
    assert fmt.count(12345) == "12,345"
    assert fmt.count(None) == "—"
    assert fmt.day(date(2026, 3, 5)) == "2026-03-05"


def test_every_catalogue_entry_has_both_languages_and_english_is_ascii_clean():
    for key, entry in CATALOGUE.items():
        assert set(entry) == set(LANGS), key
        assert entry["zh"] and entry["en"], key
        assert not CJK.search(entry["en"]), key


def test_every_literal_key_used_in_the_code_is_catalogued():
    used: set[str] = set()
    for path in [ROOT / "app.py", *ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if not k.endswith(".") and k not in CATALOGUE)
    assert used and missing == []


def test_keys_built_from_data_are_catalogued():
    from data_access.org.models import LEVELS, ROLES
    from metrics.definitions import STATUSES

    for role in ROLES:
        assert f"role.{role}" in CATALOGUE
    for level in LEVELS:
        assert f"level.{level}" in CATALOGUE
    for status in (*STATUSES, "incomplete"):
        assert f"status.{status}" in CATALOGUE
