"""Strings of running the app as several processes: read-replica freshness, database outages."""
from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "freshness.as_of": {"zh": "数据截至 {time}（只读副本，落后约 {lag} 秒）",
                        "en": "Data as of {time} (read replica, about {lag} s behind)"},
    "freshness.computed": {"zh": "统计结果生成于 {time}", "en": "Figures computed at {time}"},
    "freshness.help": {"zh": "看板结果在后台每隔几秒重新计算一次；新登记的记录通常在十秒内出现在看板上。",
                       "en": "The dashboards recompute their results in the background every few seconds; "
                             "new records usually show within ten seconds."},
    "freshness.unknown": {"zh": "只读副本暂时无法连接，数据时间未知。",
                          "en": "The read replica cannot be reached; the data's time is unknown."},
    "error.db_unavailable": {
        "zh": "数据库暂时无法连接，本次内容没有保存，仍保留在页面上；请稍候片刻再提交一次（不会重复登记）。",
        "en": "The database cannot be reached right now. Nothing was saved and your entries are still on the page; "
              "submit again in a moment (it will not be recorded twice)."},
    "error.db_read_only": {
        "zh": "数据库当前无法写入（磁盘已满或处于只读状态），本次内容没有保存，仍保留在页面上；请联系系统管理员。",
        "en": "The database cannot accept changes right now (disk full or read-only). Nothing was saved and your "
              "entries are still on the page; please tell the system administrator."},
    "error.db_unavailable_page": {
        "zh": "数据库暂时无法连接，请稍候片刻后刷新页面。",
        "en": "The database cannot be reached right now; reload the page in a moment."},
}
