"""Sweep plans: seed lists, task names, validation."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xentune.errors import ConfigError
from xentune.sweep.plan import MAX_TASKS, parse_seeds, plan_sweep


@given(st.integers(0, 10**6), st.integers(0, 300))
def test_range_is_inclusive(lo, width):
    assert parse_seeds(f"{lo}-{lo + width}") == tuple(range(lo, lo + width + 1))


@given(st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=20, unique=True))
def test_comma_list_round_trips(seeds):
    assert parse_seeds(",".join(map(str, seeds))) == tuple(seeds)


def test_mixed_list():
    assert parse_seeds("0-2, 10,12-13") == (0, 1, 2, 10, 12, 13)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("5-2", "runs backwards"),
        ("", "not a seed"),
        ("a-b", "not a seed"),
        ("-3", "not a seed"),
        ("1.5", "not a seed"),
        ("0-3,2", "listed twice"),
        (f"0-{MAX_TASKS}", "at most"),
        (f"{2**63}", "2\\^63"),
    ],
)
def test_bad_seeds_are_refused(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_seeds(text)


@given(st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=6, unique=True))
def test_task_names_are_unique_and_file_safe(timbres):
    plan = plan_sweep(timbres, (0, 1), temperatures=(0.1, 0.15))
    names = [t.name for t in plan.tasks]
    assert len(set(names)) == len(names) == len(timbres) * 4
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9.=_-]+", name), name
        assert len(name.encode()) < 120


def test_order_is_timbre_then_temperature_then_seed():
    plan = plan_sweep(["harmonic", "bell"], (3, 4), temperatures=(0.2,))
    assert [(t.timbre, t.seed) for t in plan.tasks] == [
        ("harmonic", 3),
        ("harmonic", 4),
        ("bell", 3),
        ("bell", 4),
    ]
    assert plan.tasks[0].name == "harmonic-T0.2-seed3"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"timbres": []}, "at least one"),
        ({"timbres": ["harmonic", "harmonic"]}, "twice"),
        ({"timbres": ["harmonic"], "temperatures": (float("nan"),)}, "finite"),
        ({"timbres": ["harmonic"], "temperatures": (0.0,)}, "finite"),
        ({"timbres": ["harmonic"], "temperatures": (0.1, 0.1)}, "twice"),
    ],
)
def test_bad_plans_are_refused(kwargs, match):
    timbres = kwargs.pop("timbres")
    with pytest.raises(ConfigError, match=match):
        plan_sweep(timbres, (0,), **kwargs)
