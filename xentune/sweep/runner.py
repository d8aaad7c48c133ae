"""Run a sweep's tasks as Ray tasks (a local Ray by default, a cluster by address), resumably."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from xentune import defaults
from xentune.atomic import write_text_atomic
from xentune.errors import ConfigError, XentuneError
from xentune.sweep.plan import SweepPlan, SweepTask
from xentune.sweep.rates import aggregate, run_record
from xentune.units import ratio_to_cents

__all__ = ["SWEEP_FORMAT", "check_ray", "execute_task", "run_sweep"]

#: ``format`` of ``sweep.json``.
SWEEP_FORMAT = "xentune-sweep"
_SWEEP_VERSION = 1

#: Seconds to wait for a TCP answer from ``--address`` before calling it unreachable.
_CONNECT_TIMEOUT_S = 5.0


def _failed(task: dict[str, Any], name: str, error: str) -> dict[str, Any]:
    return {
        "name": name,
        "timbre": task["timbre"],
        "seed": task["seed"],
        "temperature": task["temperature"],
        "settings": dict(task["settings"]),
        "ok": False,
        "error": " ".join(error.split()),
        "scale_cents": [],
        "period_cents": None,
        "period_source": None,
        "best_edo": None,
        "metrics": {},
    }


#: A sweep measures the emergent interval system, which is read from the block chords alone
#: (score-chords.json), so each run composes short sketches: pieces of 5 s from a time model of
#: 60 training steps (about 2 s) instead of 30-s pieces and 300 steps (about 9 s). A task's
#: settings may ask for more ("length_s", "time_train_steps").
SWEEP_LENGTH_S = 5.0
SWEEP_TIME_TRAIN_STEPS = 60


def execute_task(task: dict[str, Any], runs_dir: str) -> dict[str, Any]:
    """Run one sweep task's ``generate`` pipeline into ``runs_dir/NAME``; return its record.

    Runs on a Ray worker (or in process), with one CPU thread. A run folder that is already there
    is finished (``generate`` renames a complete folder into place) and is only read.
    """
    t = SweepTask(**task)
    out = Path(runs_dir) / t.name
    if not (out / "report.json").is_file():
        import torch

        from xentune.generator.train import TrainConfig
        from xentune.pipeline import RunConfig, generate_run

        torch.set_num_threads(1)
        s = t.settings
        train_kw = {k: s[k] for k in ("voices", "steps", "train_steps") if s.get(k) is not None}
        if t.temperature is not None:
            train_kw["temperature"] = t.temperature
        try:
            config = RunConfig(
                train=TrainConfig(timbre=t.timbre, seed=t.seed, **train_kw),
                pieces=s.get("pieces", defaults.DEFAULT_PIECES),
                analysis_pieces=s.get("analysis_pieces", defaults.DEFAULT_ANALYSIS_PIECES),
                refine_steps=s.get("refine_steps", defaults.DEFAULT_REFINE_STEPS),
                device="cpu",
                cpu_threads=1,
                length_s=s.get("length_s", SWEEP_LENGTH_S),
                time_train_steps=s.get("time_train_steps", SWEEP_TIME_TRAIN_STEPS),
            )
            generate_run(config, out)
        except XentuneError as e:
            return _failed(task, t.name, str(e))
    return run_record(out, task)


@contextlib.contextmanager
def _sweep_lock(out: Path) -> Iterator[None]:
    """Hold ``OUT/.sweep.lock`` for the sweep's lifetime (released by the OS if the driver dies)."""
    fd = os.open(out / ".sweep.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"--out {out}: another sweep is running into this folder; wait for it or choose another --out"
            ) from None
        yield
    finally:
        os.close(fd)


def _check_plan_file(out: Path, plan: SweepPlan) -> None:
    """Save the plan on the first start; on a rerun, insist on the same plan (to resume it)."""
    path = out / "sweep-plan.json"
    wanted = plan.to_dict()
    if path.is_file():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ConfigError(f"{path}: unreadable ({e}); delete it or choose another --out") from e
        if saved != json.loads(json.dumps(wanted)):
            raise ConfigError(
                f"--out {out} holds a sweep with other settings ({path}); rerun with the same options "
                "to resume it, or choose another --out"
            )
    else:
        write_text_atomic(path, json.dumps(wanted, indent=2) + "\n")


def _remove_stale_temp_runs(runs: Path) -> None:
    """Temp folders of runs killed with an earlier driver (we hold the lock: none is live)."""
    for p in runs.glob(".*.tmp"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


def _check_address(address: str) -> None:
    if address == "auto":
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"--address {address}: expected HOST:PORT of a Ray head node (e.g. 127.0.0.1:6379) or auto"
        )
    try:
        socket.create_connection((host, int(port)), timeout=_CONNECT_TIMEOUT_S).close()
    except OSError as e:
        raise ConfigError(
            f"--address {address}: no Ray cluster answers there ({e.strerror or e}); start one with "
            "`ray start --head` or check the address"
        ) from None


def check_ray(address: str | None) -> Any:
    """Import Ray and, with an address, check that a cluster answers there; returns the module.

    Raises
    ------
    ConfigError
        Ray is not installed, or nothing answers at ``address``.
    """
    ray = _import_ray()
    if address is not None:
        _check_address(address)
    return ray


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "sweep needs Ray, an optional extra: pip install -e '.[distributed]' "
            "(or uv sync --extra distributed)"
        ) from None
    return ray


def _expected_intervals(
    timbres: tuple[str, ...],
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Each timbre's curve minima inside its (pseudo-)octave, and that octave in cents."""
    from xentune.psychoacoustics.curve import curve_minima
    from xentune.timbre import parse_timbre
    from xentune.tuning.conventions import curve_ratio_range

    expected, periods = {}, {}
    for timbre in timbres:
        spectrum = parse_timbre(timbre)
        period = ratio_to_cents(spectrum.pseudo_octave or 2.0)
        minima = curve_minima(spectrum, ratio_range=curve_ratio_range(period))
        expected[timbre] = [round(m.cents, 3) for m in minima if 20.0 < m.cents < period - 20.0]
        periods[timbre] = period
    return expected, periods


def run_sweep(
    plan: SweepPlan,
    out: Path,
    *,
    workers: int | None = None,
    address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run every task of ``plan`` not yet finished in ``out/runs/``, then write ``out/sweep.json``.

    Parameters
    ----------
    plan : SweepPlan
        The tasks.
    out : Path
        The sweep folder: ``runs/NAME/`` per run, ``sweep-plan.json``, ``sweep.json`` and the
        sweep report. Rerunning the same plan into it skips finished runs.
    workers : int, optional
        Runs at once (default: every CPU Ray has).
    address : str, optional
        ``HOST:PORT`` of a running Ray cluster (or ``auto``); default: start a local Ray for the
        sweep and stop it at the end.
    progress : callable, optional
        Called with ``(done, total)`` as runs finish.

    Returns
    -------
    dict
        The content of ``sweep.json``.

    Raises
    ------
    ConfigError
        Ray is not installed, the address does not answer, another sweep holds the folder, or
        the folder holds a sweep with other settings. Checked before any run starts.
    """
    if workers is not None and not 1 <= workers <= 4096:
        raise ConfigError(f"--workers {workers}: must be in 1..4096 (e.g. --workers 2)")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder; choose a folder")
    if not out.parent.is_dir():
        raise ConfigError(f"--out {out}: folder {out.parent} does not exist; create it first")
    ray = check_ray(address)
    expected, periods = _expected_intervals(plan.timbres)
    out.mkdir(exist_ok=True)
    start = time.perf_counter()
    with _sweep_lock(out):
        _check_plan_file(out, plan)
        runs = out / "runs"
        runs.mkdir(exist_ok=True)
        _remove_stale_temp_runs(runs)
        records: dict[str, dict[str, Any]] = {}
        todo = []
        for t in plan.tasks:
            if (runs / t.name / "report.json").is_file():
                records[t.name] = run_record(runs / t.name, t.to_dict())
            else:
                todo.append(t)
        total, n_skipped = len(plan.tasks), len(records)
        if progress is not None:
            progress(n_skipped, total)
        if todo:
            _run_on_ray(ray, todo, runs, records, workers, address, progress, total)
        ordered = [records[t.name] for t in plan.tasks]
        result = {
            "format": SWEEP_FORMAT,
            "version": _SWEEP_VERSION,
            "plan": plan.to_dict(),
            "n_runs": total,
            "n_ok": sum(r["ok"] for r in ordered),
            "n_skipped_finished": n_skipped,
            "wall_s": round(time.perf_counter() - start, 3),
            "expected_intervals_cents": expected,
            "runs": ordered,
            "rates": aggregate(ordered, expected=expected, periods=periods),
        }
        write_text_atomic(out / "sweep.json", json.dumps(result, indent=2) + "\n", force=True)
        from xentune.sweep.report import write_sweep_report

        write_sweep_report(result, out)
    return result


def _run_on_ray(
    ray: Any,
    todo: list[SweepTask],
    runs: Path,
    records: dict[str, dict[str, Any]],
    workers: int | None,
    address: str | None,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> None:
    """Submit ``todo`` as Ray tasks, at most ``workers`` at once; fill ``records`` as they finish."""
    quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
    if address is None:
        ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False, **quiet)
    else:
        ray.init(address=address, **quiet)
    try:
        limit = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        remote = ray.remote(num_cpus=1, max_retries=0)(execute_task)
        queue = list(todo)
        pending: dict[Any, SweepTask] = {}
        while queue or pending:
            while queue and len(pending) < limit:
                t = queue.pop(0)
                pending[remote.remote(t.to_dict(), str(runs))] = t
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                t = pending.pop(ref)
                try:
                    records[t.name] = ray.get(ref)
                except Exception as e:  # noqa: BLE001 - a crashed run is recorded, the sweep goes on
                    records[t.name] = _failed(t.to_dict(), t.name, f"{type(e).__name__}: {e}")
                if progress is not None:
                    progress(len(records), total)
    finally:
        ray.shutdown()
