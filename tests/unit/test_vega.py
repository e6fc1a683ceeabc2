"""ui.vega: a chart's spec is built once per key and content, with its data already in Arrow (the rows as the
builder gave them), and the keyed cache is bounded."""
from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from test_charts import MILESTONES

from ui import charts as c
from ui import vega

LABELS = {"planned": "计划中", "in_progress": "进行中", "done": "已完成", "late": "已逾期"}


@pytest.fixture(autouse=True)
def _empty():
    vega.clear()
    yield
    vega.clear()


def _timeline():
    return c.timeline_frame(MILESTONES, date(2024, 6, 1)), "里程碑", LABELS, date(2024, 6, 1), "zh"


def test_the_spec_carries_its_data_as_arrow_with_every_row():
    frame = _timeline()[0]
    spec = vega.build("timeline", *_timeline())
    plain = c.milestone_timeline(*_timeline()).to_dict(validate=False)
    assert set(spec["datasets"]) == set(plain["datasets"])
    tables = {name: pa.ipc.open_stream(data).read_all() for name, data in spec["datasets"].items()}
    for name, table in tables.items():  # the milestones, and the data date's rule
        assert table.num_rows == len(plain["datasets"][name])
        assert table.to_pylist() == [{k: r.get(k) for k in table.column_names} for r in plain["datasets"][name]]
    milestones = [t for t in tables.values() if "code" in t.column_names]
    assert len(milestones) == 1 and sorted(milestones[0].column("code").to_pylist()) == sorted(frame["code"])
    assert {k: v for k, v in spec.items() if k != "datasets"} == {k: v for k, v in plain.items() if k != "datasets"}


def test_a_keyed_spec_is_built_once_per_key(monkeypatch):
    built = []
    real = vega.BUILDERS["timeline"]
    monkeypatch.setitem(vega.BUILDERS, "timeline", lambda *a, **k: built.append(1) or real(*a, **k))
    first = vega.keyed_spec("timeline", ("C", "2024-06-01", "zh", 1.0), *_timeline())
    again = vega.keyed_spec("timeline", ("C", "2024-06-01", "zh", 1.0), *_timeline())
    assert again is first and len(built) == 1
    # the data recomputed (a new key) but unchanged: found by content, not built again
    vega.keyed_spec("timeline", ("C", "2024-06-01", "zh", 2.0), *_timeline())
    assert len(built) == 1
    frame, *rest = _timeline()
    changed = vega.keyed_spec("timeline", ("C", "2024-06-01", "zh", 3.0), frame.iloc[:2], *rest)  # it changed
    assert len(built) == 2 and changed != first


def test_the_keyed_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(vega, "MAX_KEYED", 2)
    for i in range(3):
        vega.keyed_spec("timeline", (i,), *_timeline())
    assert ("timeline", (0,)) not in vega._KEYED and ("timeline", (2,)) in vega._KEYED


def test_a_content_key_is_equal_for_equal_content_and_differs_otherwise():
    series = [(202401, 88.5, 120), (202402, 89.0, 131)]
    targets = {"P2025": 88.0, "P2024": 85.0}
    key = vega.content_key((series, targets, 82.4))
    assert key == vega.content_key(([tuple(r) for r in series], dict(reversed(targets.items())), 82.4))
    assert hash(key) == hash(vega.content_key((list(series), dict(targets), 82.4)))
    assert key != vega.content_key((series[:1], targets, 82.4))
    assert key != vega.content_key((series, {**targets, "P2026": 92.0}, 82.4))
    assert key != vega.content_key((series, targets, None))
    assert key != vega.content_key(([(202401, 88.5, 121), series[1]], targets, 82.4))
    with pytest.raises(TypeError):
        vega.content_key(({1, 2},))  # a set is not ordered content: refused, never silently unequal
