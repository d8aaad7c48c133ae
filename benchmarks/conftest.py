"""Benchmark helpers: a `speedups` fixture that collects timings and prints ours-vs-baseline ratios.

Benchmarks live outside ``testpaths`` (``tests/``), so the default test run never collects them.
Run them with ``nice -n 5 .venv/bin/python -m pytest benchmarks/ --benchmark-only -q``.

Usage in a benchmark::

    def test_ours(benchmark, speedups):
        out = benchmark.pedantic(fn, rounds=5, warmup_rounds=1)
        speedups.add("group", "ours", benchmark, items=4096)

The entry added with ``baseline=True`` is the denominator of its group. At the end of the session
a table prints each entry's median and minimum time, time per item, and its speed-up over the
group's baseline (ratio of medians, and of minima), plus any notes (compile times, fall-backs).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import torch


@dataclass
class _Entry:
    name: str
    median_s: float
    min_s: float
    items: int
    baseline: bool
    cpu_s: float | None = None


@dataclass
class Speedups:
    """Timings per group, filled by the benchmarks and printed as a ratio table at the end."""

    groups: dict[str, list[_Entry]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        group: str,
        name: str,
        benchmark: object,
        *,
        items: int = 1,
        baseline: bool = False,
        cpu_s: float | None = None,
    ) -> None:
        """Record the statistics of a finished ``benchmark`` (pytest-benchmark fixture) run.

        ``cpu_s``: optional process CPU seconds per call (`cpu_seconds`), all threads summed;
        unlike wall time it barely moves when other processes load the machine.
        """
        stats = benchmark.stats  # type: ignore[attr-defined]
        if stats is None:  # benchmarks disabled (--benchmark-disable)
            return
        entry = _Entry(name, float(stats["median"]), float(stats["min"]), items, baseline, cpu_s)
        self.groups.setdefault(group, []).append(entry)

    def note(self, text: str) -> None:
        """A line printed under the table (compile time, fall-backs, threads)."""
        self.notes.append(text)

    def lines(self) -> list[str]:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        out = [
            f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
            f"python {platform.python_version()}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average now {load} (1/5/15 min): "
            "compare ratios within one run only"
        ]
        for group, entries in self.groups.items():
            base = next((e for e in entries if e.baseline), None)
            out.append(f"[{group}]")
            for e in entries:
                ratio = ""
                if base is not None and not e.baseline:
                    ratio = (
                        f"  speed-up x{base.median_s / e.median_s:,.1f} (median), "
                        f"x{base.min_s / e.min_s:,.1f} (min)"
                    )
                elif e.baseline:
                    ratio = "  (baseline)"
                cpu = ""
                if e.cpu_s is not None:
                    cpu = f"  cpu {e.cpu_s / e.items * 1e6:8.2f} us/item"
                    if base is not None and base.cpu_s is not None and not e.baseline:
                        cpu += f" (x{base.cpu_s / e.cpu_s:,.1f} cpu)"
                out.append(
                    f"  {e.name:<34} median {e.median_s * 1e3:10.3f} ms  min {e.min_s * 1e3:10.3f} ms"
                    f"  {e.median_s / e.items * 1e6:9.2f} us/item{ratio}{cpu}"
                )
        out.extend(self.notes)
        return out


def cpu_seconds(fn: Callable[[], object], *, repeats: int = 5) -> float:
    """Least process CPU time (``time.process_time``, all threads) of ``repeats`` calls of ``fn``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


_SPEEDUPS = Speedups()


@pytest.fixture(scope="session", name="cpu_seconds")
def cpu_seconds_fixture() -> Callable[..., float]:
    """`cpu_seconds`, for benchmarks that report CPU time next to wall time."""
    return cpu_seconds


@pytest.fixture(scope="session")
def speedups() -> Speedups:
    """The session's `Speedups` collector."""
    return _SPEEDUPS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SPEEDUPS.groups or _SPEEDUPS.notes:
        terminalreporter.section("speed-ups (ours vs baseline, same run)")
        for line in _SPEEDUPS.lines():
            terminalreporter.write_line(line)


def pytest_collect_file(file_path, parent):  # noqa: ANN001, ANN201 - pytest hook signature
    """Collect ``bench_*.py`` here too (``pytest benchmarks/``); explicit paths pytest collects."""
    if (
        file_path.suffix == ".py"
        and file_path.name.startswith("bench_")
        and not parent.session.isinitpath(file_path)
    ):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
