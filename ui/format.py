"""Number formatting for every screen: one decimal, "—" for no data.

Pure functions (no Streamlit): ``lang`` is passed in so tests and reports can call them.
"""
from __future__ import annotations

import re
from datetime import date

NONE = "—"
MINUS = "−"  # U+2212, so a negative sign is not mistaken for a dash

_PP = {"zh": "个百分点", "en": "pp"}
_PTS = {"zh": "分", "en": "pts"}


def _num(v: float, decimals: int = 1) -> str:
    s = f"{abs(v):,.{decimals}f}"
    return (MINUS + s) if v < 0 and s.strip("0.,") else s


def value(v: float | None, unit: str = "%") -> str:
    """An indicator value: percent "88.5%", score "85.2", count "15.3"; None → "—"."""
    if v is None:
        return NONE
    return _num(v) + ("%" if unit == "%" else "")


def number(v: float | None, decimals: int = 1) -> str:
    return NONE if v is None else _num(v, decimals)


def count(n: int | None) -> str:
    """A whole count with thousands separators ("12,345"); None → "—"."""
    return NONE if n is None else f"{int(n):,}"


def _points_suffix(unit: str, lang: str) -> str:
    return _PP[lang] if unit == "%" else (_PTS[lang] if unit == "score" else "")


def signed(v: float | None, unit: str = "%", lang: str = "zh", ascii_minus: bool = False) -> str:
    """A signed difference in points: "+3.5 pp" / "−1.2 个百分点" ("分"/"pts" for scores)."""
    if v is None:
        return NONE
    s = _num(v)
    if ascii_minus and s.startswith(MINUS):
        s = "-" + s[1:]
    if v > 0 and s.strip("0.,"):
        s = "+" + s
    return f"{s} {_points_suffix(unit, lang)}".rstrip()


def points(v: float | None, unit: str = "%", lang: str = "zh") -> str:
    """A distance in points without a sign: "3.5 pp" / "1.2 个百分点" ("分"/"pts" for scores)."""
    if v is None:
        return NONE
    return f"{_num(abs(v))} {_points_suffix(unit, lang)}".rstrip()


def gap(v: float | None, unit: str = "%", lang: str = "zh") -> str:
    """``target − actual`` (positive = behind), signed, in points."""
    return signed(v, unit, lang)


def interval(lo: float | None, hi: float | None, unit: str = "%") -> str:
    """A 95% interval "85.1–90.2%"; "—" when either end is missing."""
    if lo is None or hi is None:
        return NONE
    return f"{_num(lo)}–{_num(hi)}" + ("%" if unit == "%" else "")


def day(d: date | None) -> str:
    """ISO date (the same in both languages, unambiguous)."""
    return NONE if d is None else d.isoformat()


def unit_name(k, lang: str) -> str:
    """The unit of a KPI row (``unit_name_zh`` / ``unit_name_en``) in ``lang``; English falls back to the code."""
    return (k.unit_name_en or k.unit_code) if lang == "en" else k.unit_name_zh


def owner(text: str | None, lang: str = "zh") -> str:
    """A milestone's owner as the plans name it (Chinese) in the user's language; an owner the
    catalogue does not know stays as entered."""
    from .strings.milestones import OWNERS_EN

    text = (text or "").strip()
    return OWNERS_EN.get(text, text) if lang == "en" else text


def bilingual(text: str | None, lang: str = "zh") -> str:
    """A reference note written ``中文 / English`` (several joined by ``；``) in one language; a
    text not written that way stays as it is."""
    parts = []
    for part in (text or "").split("；"):
        zh, sep, en = part.partition(" / ")
        parts.append((en if lang == "en" else zh).strip() if sep else part.strip())
    return ("; " if lang == "en" else "；").join(p for p in parts if p)


# Escaped anywhere: emphasis, code, strike-through, links and images ([ ]), Streamlit's directives,
# icons and emoji (:), LaTeX ($), HTML and entities (< > &), tables (|), e-mail autolinks (@).
_MD_ESCAPE = {ord(c): "\\" + c for c in "\\`*_~[]<>:$&|@"}
# Bare URLs and e-mail addresses are linked by a pass over the parsed *text* (GFM autolink
# literals), which backslashes do not stop: an invisible word joiner (U+2060) breaks the pattern.
_WJ = "\u2060"
_AUTOLINK = re.compile(r"(?i)(://|www(?=\.)|@)")
_LINE_START = re.compile(r"(?m)^([ \t]*)([#>+=-]|\d+[.)])")  # headings, quotes, lists, setext rules


def md(text: object) -> str:
    """User-supplied text (an address, a name, a note, a code) made literal inside markdown — what
    ``st.markdown``, captions, alerts, subheaders and widget labels render. Whatever Markdown or
    Streamlit's extensions would read as an image, a link, ``:red[…]``, an icon, LaTeX, HTML,
    emphasis or a block is backslash-escaped, and bare URLs and addresses get an invisible word
    joiner so that they are not linked; line breaks stay breaks. Ordinary punctuation
    ("H-G1-0", "1.5", "(东门)") is left alone. Text shown with ``st.text``, ``st.code`` or in a table
    needs none of this."""
    if text is None:
        return ""
    s = str(text).replace("\r\n", "\n").replace("\r", "\n")
    s = _AUTOLINK.sub(lambda m: m.group(1) + _WJ if m.group(1) != "://" else ":" + _WJ + "//", s)
    s = s.translate(_MD_ESCAPE)
    s = _LINE_START.sub(lambda m: m.group(1) + "".join("\\" + c if not c.isdigit() else c for c in m.group(2)), s)
    return s.replace("\n", "  \n")
