"""Reference texts of the milestones in the user's language (ui.format.owner / bilingual)."""
from __future__ import annotations

import re

from data_access.programme.reference import MILESTONES, PLAN_MILESTONES
from ui import format as fmt

CJK = re.compile(r"[\u3400-\u9fff]")


def test_bilingual_note_in_each_language():
    note = "源文件只给阶段，日期取阶段末 / derived from the phase end；第一阶段为 2024–2025 年 / phase 1 is 2024–2025"
    assert fmt.bilingual(note, "zh") == "源文件只给阶段，日期取阶段末；第一阶段为 2024–2025 年"
    assert fmt.bilingual(note, "en") == "derived from the phase end; phase 1 is 2024–2025"
    # a text not written "中文 / English" (e.g. typed by a user) stays as it is
    assert fmt.bilingual("会议纪要已上传", "en") == "会议纪要已上传"
    assert fmt.bilingual(None, "en") == "" and fmt.bilingual("", "zh") == ""


def test_owner_in_each_language_and_unknown_owners_kept():
    assert fmt.owner("市局科技部门", "zh") == "市局科技部门"
    assert fmt.owner("市局科技部门", "en") == "City bureau technology department"
    assert fmt.owner("市局 / 分局 / 派出所", "en") == "City bureau / district branches / police stations"
    assert fmt.owner("某新单位", "en") == "某新单位"
    assert fmt.owner(None, "en") == ""


def test_every_seeded_owner_and_note_has_english():
    for row in [*MILESTONES, *PLAN_MILESTONES]:
        assert not CJK.search(fmt.owner(row[4], "en")), row[0]
    for row in PLAN_MILESTONES:
        if row[6]:
            en = fmt.bilingual(row[6], "en")
            assert en and not CJK.search(en.replace("实施细则", "")), (row[0], en)  # a document's own name


def test_points_is_a_distance_without_sign():
    assert fmt.points(-3.84, "%", "zh") == "3.8 个百分点"
    assert fmt.points(2.0, "score", "en") == "2.0 pts"
    assert fmt.points(None) == "—"


def test_one_name_per_data_code_on_every_screen():
    """Need categories, household categories and risk levels have one catalogue family each (they
    had four, two and three, with different words for the same code)."""
    from data_access.fieldwork.models import CATEGORIES, RISK_LEVELS
    from data_access.fieldwork.needs import CATEGORIES as NEED_CATEGORIES
    from ui.i18n import CATALOGUE

    for prefix, codes in (("need_cat", NEED_CATEGORIES), ("hh_cat", CATEGORIES), ("risk", RISK_LEVELS)):
        for code in codes:
            assert f"{prefix}.{code}" in CATALOGUE, (prefix, code)
    stale = [k for k in CATALOGUE if len(k.split(".")) == 3 and k.split(".")[0] in {"logv", "map", "needs", "report",
                                                                                   "special"}
             and k.split(".")[1] in {"need_cat", "cat", "hh_cat", "risk", "level"}]
    assert stale == []
