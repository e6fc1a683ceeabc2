"""data_access.fieldwork.grid_detail on SQLite and PostgreSQL: households by category × risk, last visits,
unresolved and overdue needs (48 h) at ``as_of``, the grid's officers. Expectations are counted
by hand from the records written below."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import factories as f
from data_access.fieldwork.grid_detail import grid_detail

AS_OF = datetime(2026, 3, 10, 12, 0)


def _world(s):
    city = f.unit(s, "GDC")
    _st, _com, grid = f.chain(s, f.unit(s, "GDD", city), "GDS", "GDM", "GDG")
    other = f.unit(s, "GDG2", _com)
    off = f.officer(s, grid, "gd_off")
    off.display_name = "网格警员甲"
    f.officer(s, grid, "gd_off2").display_name = "网格警员乙"
    gone = f.officer(s, grid, "gd_gone")
    gone.display_name = "停用警员"
    gone.active = False
    lead = f.officer(s, city, "gd_lead", role="city_leader")
    lead.display_name = "市领导"
    s.flush()
    hh = [f.household(s, grid, category="ordinary", risk="none"),
          f.household(s, grid, category="ordinary", risk="none"),
          f.household(s, grid, category="rental", risk="yellow"),
          f.household(s, grid, category="special", risk="red"),
          f.household(s, grid, category="special", risk="red", registered_on=date(2026, 4, 1)),  # after as_of
          f.household(s, grid, category="business", registered_on=None)]
    f.household(s, other, category="ordinary")  # another grid
    return {"grid": grid, "other": other, "off": off, "hh": hh}


def test_households_by_category_and_risk(session):
    w = _world(session)
    d = grid_detail(session=session, grid_id=w["grid"].id, as_of=AS_OF)
    # 6 households in the grid, one registered after as_of → 5
    assert d.households == {("ordinary", "none"): 2, ("rental", "yellow"): 1, ("special", "red"): 1,
                            ("business", "none"): 1}
    assert d.households_total == 5
    assert d.by_category() == {"ordinary": 2, "rental": 1, "special": 1, "business": 1}
    assert d.by_risk() == {"none": 3, "yellow": 1, "red": 1}
    assert sorted(d.officers) == sorted(["网格警员甲", "网格警员乙"])  # not the inactive one, not the leader


def test_last_visits_newest_first_until_as_of(session):
    w = _world(session)
    h = w["hh"][0]
    f.visit(session, h, w["off"], datetime(2026, 3, 1, 10, 0))
    f.visit(session, h, w["off"], datetime(2026, 3, 5, 22, 30), bodycam_on=False)  # night, not compliant
    f.visit(session, h, w["off"], datetime(2026, 3, 11, 9, 0))  # after as_of
    other_h = f.household(session, w["other"])
    f.visit(session, other_h, w["off"], datetime(2026, 3, 6, 9, 0))  # another grid
    d = grid_detail(session=session, grid_id=w["grid"].id, as_of=AS_OF)
    assert [v.visited_at for v in d.visits] == [datetime(2026, 3, 5, 22, 30), datetime(2026, 3, 1, 10, 0)]
    assert [v.compliant for v in d.visits] == [False, True]
    assert d.visits[0].bodycam_on is False and d.visits[0].is_night is True
    assert {v.officer for v in d.visits} == {"网格警员甲"}
    d1 = grid_detail(session=session, grid_id=w["grid"].id, as_of=AS_OF, visits=1)
    assert len(d1.visits) == 1


def test_open_and_overdue_needs_by_as_of(session):
    w = _world(session)
    h = w["hh"][1]
    old = AS_OF - timedelta(hours=49)  # past the 48 h deadline at as_of
    young = AS_OF - timedelta(hours=47)  # not yet
    f.need(session, h, old)  # open, unanswered, overdue
    f.need(session, h, AS_OF - timedelta(hours=100), status="accepted", responded_at=AS_OF - timedelta(hours=90))
    f.need(session, h, young)  # open, not overdue yet
    f.need(session, h, AS_OF - timedelta(days=5), status="resolved", responded_at=AS_OF - timedelta(days=4),
           resolved_at=AS_OF - timedelta(days=3))  # resolved: not open
    f.need(session, h, AS_OF - timedelta(days=6), status="withdrawn")  # final
    f.need(session, h, AS_OF + timedelta(hours=1))  # after as_of: does not exist yet
    d = grid_detail(session=session, grid_id=w["grid"].id, as_of=AS_OF)
    assert (d.open_needs, d.overdue_needs) == (3, 1)
    assert [n.created_at for n in d.needs] == [AS_OF - timedelta(hours=100), old, young]
    assert [n.overdue for n in d.needs] == [False, True, False]
    assert d.needs[1].due_at == old + timedelta(hours=48)
    # two hours later the young one is overdue too
    later = grid_detail(session=session, grid_id=w["grid"].id, as_of=AS_OF + timedelta(hours=2))
    assert later.overdue_needs == 2
    # one day earlier only the accepted one and the old one existed; neither overdue then
    earlier = grid_detail(session=session, grid_id=w["grid"].id, as_of=AS_OF - timedelta(hours=48))
    assert (earlier.open_needs, earlier.overdue_needs) == (2, 0)


def test_not_a_grid(session):
    w = _world(session)
    assert grid_detail(session=session, grid_id=w["grid"].parent_id, as_of=AS_OF) is None
    assert grid_detail(session=session, grid_id=10**9, as_of=AS_OF) is None
