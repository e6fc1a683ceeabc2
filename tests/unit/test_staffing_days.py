"""Officer-days of the presence indicators (metrics.staffing._officer_days), by hand."""
from datetime import date

from metrics.staffing import _officer_days, _weekdays


def test_weekdays_by_hand():
    assert _weekdays(date(2025, 3, 3), date(2025, 3, 9)) == 5    # Monday to Sunday
    assert _weekdays(date(2025, 3, 8), date(2025, 3, 9)) == 0    # a weekend
    assert _weekdays(date(2025, 3, 7), date(2025, 3, 10)) == 2   # Friday, Monday
    assert _weekdays(date(2025, 3, 10), date(2025, 3, 7)) == 0   # empty span


def test_officer_days_merge_overlapping_assignments_and_count_each_day_once():
    """March 2025. Officer 1 in A on Mon 3–Wed 5 and Tue 4–Mon 10 (one span: 6 working days) and in
    B on Fri 7 (1 day; for U that day is already counted); officer 2 in B on a weekend (0);
    officer 3 in A from Fri 28, open-ended (Fri 28, Mon 31: 2). A = 6 + 2 = 8, B = 1, U = 8."""
    rows = [("A", 1, date(2025, 3, 3), date(2025, 3, 5)), ("A", 1, date(2025, 3, 4), date(2025, 3, 10)),
            ("B", 1, date(2025, 3, 7), date(2025, 3, 7)), ("B", 2, date(2025, 3, 8), date(2025, 3, 9)),
            ("A", 3, date(2025, 3, 28), None), ("A", 4, date(2025, 2, 1), date(2025, 2, 28))]  # before the period
    got = _officer_days(rows, date(2025, 3, 1), date(2025, 3, 31))
    assert got == {"A": 8, "B": 1, None: 8}


def test_presence_plan_reads_months_whole_or_counts_the_smaller_side_raw():
    from data_access.staffing.queries import _presence_plan

    # a phase to 20 Nov: Jan–Nov rows, November minus 21–30 Nov
    assert _presence_plan(date(2026, 1, 1), date(2026, 11, 20)) == (
        [202601 + i for i in range(11)], [], [(date(2026, 11, 21), date(2026, 11, 30))])
    # 5 days of a month: raw, no row
    assert _presence_plan(date(2026, 2, 10), date(2026, 2, 14)) == ([], [(date(2026, 2, 10), date(2026, 2, 14))], [])
    # 14 of February's 28 days inside: raw, March whole; 16 of March's 31 days: the row minus 1–15 March
    assert _presence_plan(date(2026, 2, 15), date(2026, 3, 31)) == (
        [202603], [(date(2026, 2, 15), date(2026, 2, 28))], [])
    assert _presence_plan(date(2026, 3, 16), date(2026, 3, 31)) == ([202603], [], [(date(2026, 3, 1), date(2026, 3, 15))])
    # one month, both ends cut: the row minus both sides
    assert _presence_plan(date(2026, 4, 3), date(2026, 4, 28)) == (
        [202604], [], [(date(2026, 4, 1), date(2026, 4, 2)), (date(2026, 4, 29), date(2026, 4, 30))])
