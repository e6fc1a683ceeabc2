"""Catalogue part: one message per error code of the workflow services (data_access.core.errors.ERROR_CODES),
used by every screen through ``ui.errors.message``. Params in braces come from the error."""
from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    # generic field rules
    "error.required": {"zh": "此项必填。", "en": "This is required."},
    "error.format": {"zh": "格式不正确。", "en": "The format is not valid."},
    "error.type": {"zh": "内容类型不正确（应为{expected}）。", "en": "Wrong kind of value (expected {expected})."},
    "error.choice": {"zh": "请从给定选项中选择。", "en": "Please pick one of the options."},
    "error.range": {"zh": "数值应在 {min} 至 {max} 之间。", "en": "The value must be between {min} and {max}."},
    "error.too_long": {"zh": "内容过长：最多 {max} 个字符（当前 {length} 个）。",
                       "en": "Too long: at most {max} characters (now {length})."},
    "error.too_short": {"zh": "内容过短：至少 {min} 个字符。", "en": "Too short: at least {min} characters."},
    "error.too_many": {"zh": "数量过多：最多 {max} 项。", "en": "Too many: at most {max}."},
    "error.too_large": {"zh": "内容过大：最多 {max} 个字符。", "en": "Too large: at most {max} characters."},
    "error.bad_character": {"zh": "含有不允许的字符（{codepoint}），请删除后重试。",
                            "en": "Contains a character that is not allowed ({codepoint}); please remove it."},
    "error.timezone": {"zh": "时间不应带时区，请使用本地时间。", "en": "Use local time without a time zone."},
    "error.unknown": {"zh": "未知的取值：{value}。", "en": "Unknown value: {value}."},
    "error.invalid": {"zh": "取值无效。", "en": "This value is not valid."},
    "error.future": {"zh": "时间不能晚于现在。", "en": "The time cannot be in the future."},
    "error.not_future": {"zh": "时间必须晚于现在。", "en": "The time must be in the future."},
    "error.no_hazard": {"zh": "该走访的这一项没有记录隐患。", "en": "This visit recorded no hazard for that item."},
    # visit form
    "error.too_old": {"zh": "只能登记 {days} 天以内的走访。", "en": "Visits older than {days} days cannot be entered."},
    "error.required_late": {"zh": "走访超过 {hours} 小时后才登记，请填写补录原因。",
                            "en": "Entered more than {hours} hours after the visit: give a reason for the late entry."},
    "error.after_visit": {"zh": "预约时间不能晚于走访时间。", "en": "The appointment cannot be made after the visit."},
    "error.night_needs_appointment": {
        "zh": "夜间（{window}）走访须提前 {lead_hours} 小时以上预约；未预约的，请填写不少于 {justification_min} 字的情况说明。",
        "en": "A night visit ({window}) needs an appointment made at least {lead_hours} hours before; "
              "otherwise give a justification of at least {justification_min} characters."},
    "error.unknown_item": {"zh": "表单中没有该项（表单可能已被管理员修改，请刷新）。",
                           "en": "This item is not on the form (an administrator may have changed it; reload)."},
    "error.not_editable": {"zh": "此项不能在此修改。", "en": "This cannot be changed here."},
    # needs, complaints, appointments, risk levels
    "error.invalid_transition": {"zh": "当前状态（{status}）下不能执行此操作（{action}）。",
                                 "en": "This step ({action}) is not possible from the current status ({status})."},
    "error.before_created": {"zh": "时间不能早于创建时间。", "en": "The time cannot be before the record was created."},
    "error.before_received": {"zh": "时间不能早于受理时间。", "en": "The time cannot be before it was received."},
    "error.out_of_scope": {"zh": "该记录不在您的辖区内。", "en": "This record is outside your scope."},
    "error.not_planned": {"zh": "该预约已不是待执行状态（{status}）。",
                          "en": "This appointment is no longer planned ({status})."},
    "error.unchanged": {"zh": "没有任何改动。", "en": "Nothing was changed."},
    # accounts
    "error.wrong": {"zh": "原密码不正确。", "en": "The current password is wrong."},
    "error.same_as_old": {"zh": "新密码不能与原密码相同。", "en": "The new password must differ from the old one."},
    "error.taken": {"zh": "该用户名已被使用。", "en": "This username is taken."},
    "error.self": {"zh": "不能对自己的账号执行此操作。", "en": "You cannot do this to your own account."},
    "error.last_admin": {"zh": "不能停用或降级最后一个管理员。", "en": "The last administrator cannot be removed."},
    "error.level_for_role": {"zh": "角色“{role}”的辖区只能是：{levels}。",
                             "en": "The scope of role “{role}” must be one of: {levels}."},
    "error.needs_letter": {"zh": "密码须包含字母。", "en": "The password needs a letter."},
    "error.needs_digit": {"zh": "密码须包含数字。", "en": "The password needs a digit."},
    "error.bad_credentials": {"zh": "用户名或密码不正确。", "en": "Wrong username or password."},
    "error.inactive": {"zh": "该账号已停用。", "en": "This account is inactive."},
    "error.locked": {"zh": "{window_minutes} 分钟内失败 {threshold} 次，账号已锁定至 {until}（{minutes} 分钟）。",
                     "en": "{threshold} failed sign-ins within {window_minutes} minutes: locked until {until} "
                           "({minutes} minutes)."},
    # PermissionDenied codes
    "error.role": {"zh": "您的角色无权执行此操作。", "en": "Your role may not do this."},
    "error.scope": {"zh": "该对象不在您的辖区内。", "en": "This is outside your scope."},
    "error.token": {"zh": "该表单已由其他账号提交。", "en": "This form was already submitted by another account."},
    # other exceptions of the services
    "error.concurrent_edit": {"zh": "该记录已被他人修改，请刷新后重试（您填写的内容已保留）。",
                              "en": "Someone else changed this record; reload and try again (your input is kept)."},
    "error.not_found": {"zh": "未找到该记录。", "en": "The record was not found."},
    "error.unexpected": {"zh": "操作未完成，请稍后重试。", "en": "That did not work; please try again."},
    "error.page_failed": {"zh": "页面出错，请稍后重试；如仍出错，请将编号 {ref} 告知系统管理员。",
                          "en": "This page failed; please try again. If it keeps failing, give the system administrator the reference {ref}."},
    "error.field_prefix": {"zh": "{field}：{message}", "en": "{field}: {message}"},
}
