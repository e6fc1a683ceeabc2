"""Names of the data's own codes, the same on every screen and in every export: need categories
(the tracker's codes), household categories and risk levels. Wording follows the plans (seed 000
§3.3: 社区照明, 反诈宣传, 养老服务; §6.2: 紧急求助/一键报警; §3.2: 红黄蓝三级风险)."""
from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "need_cat.lighting": {"zh": "照明", "en": "Lighting"},
    "need_cat.anti_fraud": {"zh": "反诈宣传", "en": "Anti-fraud"},
    "need_cat.elderly_care": {"zh": "养老服务", "en": "Elderly care"},
    "need_cat.emergency_alarm": {"zh": "紧急求助", "en": "Emergency help"},
    "need_cat.disability": {"zh": "助残", "en": "Disability support"},
    "need_cat.dispute": {"zh": "矛盾纠纷", "en": "Dispute"},
    "need_cat.employment": {"zh": "就业", "en": "Employment"},
    "need_cat.environment": {"zh": "环境卫生", "en": "Environment"},
    "need_cat.security": {"zh": "治安防范", "en": "Security"},
    "need_cat.other": {"zh": "其他", "en": "Other"},
    "hh_cat.ordinary": {"zh": "普通住户", "en": "Ordinary"},
    "hh_cat.rental": {"zh": "出租屋", "en": "Rental"},
    "hh_cat.special": {"zh": "重点户", "en": "Special"},
    "hh_cat.business": {"zh": "商户", "en": "Business"},
    # a level's bare name (a "level" column, "changed from blue to red") …
    "risk.red": {"zh": "红色", "en": "Red"},
    "risk.yellow": {"zh": "黄色", "en": "Yellow"},
    "risk.blue": {"zh": "蓝色", "en": "Blue"},
    "risk.none": {"zh": "无", "en": "None"},
    # … and standing alone (a household's header, a table column)
    "risk.alone": {"zh": "{level}风险", "en": "{level} risk"},
    "risk.alone_none": {"zh": "无风险等级", "en": "No risk level"},
}
