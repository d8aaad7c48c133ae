"""Sweeps end to end: one task in process, a local Ray sweep that resumes, a two-node cluster."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import assert_one_line_error
from xentune.sweep.plan import plan_sweep
from xentune.sweep.runner import execute_task, run_sweep

#: The smallest settings that still run the whole generate pipeline (a few seconds a run).
TINY = {"voices": 2, "steps": 2, "pieces": 1, "train_steps": 2, "refine_steps": 0}
TINY_ARGS = [
    "--voices",
    "2",
    "--steps",
    "2",
    "--pieces",
    "1",
    "--train-steps",
    "2",
    "--refine-steps",
    "0",
]


def _without_timings(sweep: dict) -> dict:
    out = json.loads(json.dumps(sweep))
    out.pop("wall_s")
    out.pop("n_skipped_finished")
    for r in out["runs"]:
        r["metrics"].pop("elapsed_s", None)
    return out


def test_execute_task_runs_once_then_reads(tmp_path):
    (task,) = plan_sweep(["harmonic"], (3,), settings=TINY).tasks
    record = execute_task(task.to_dict(), str(tmp_path))
    assert record["ok"] and record["seed"] == 3 and record["name"] == "harmonic-Tdefault-seed3"
    report = tmp_path / task.name / "report.json"
    stamp = report.stat().st_mtime_ns
    again = execute_task(task.to_dict(), str(tmp_path))
    assert again == record
    assert report.stat().st_mtime_ns == stamp  # read, not redone


def test_execute_task_forwards_the_analysis_draws(tmp_path):
    (task,) = plan_sweep(["harmonic"], (2,), settings={**TINY, "analysis_pieces": 3}).tasks
    assert execute_task(task.to_dict(), str(tmp_path))["ok"]
    controls = json.loads((tmp_path / task.name / "controls.json").read_text())
    assert controls["pieces"] == 3 and controls["distinct_chord_cents"] == 15.0


def test_a_bad_setting_is_a_failed_record_not_a_crash(tmp_path):
    (task,) = plan_sweep(["harmonic"], (0,), settings={**TINY, "pieces": 0}).tasks
    record = execute_task(task.to_dict(), str(tmp_path))
    assert not record["ok"] and "--pieces 0" in record["error"]


def test_local_sweep_skips_finished_runs_and_gives_the_same_aggregate(tmp_path):
    pytest.importorskip(
        "ray", reason="the sweep needs the 'distributed' extra (uv sync --extra distributed)"
    )
    plan = plan_sweep(["harmonic", "stretched:octave=2.1"], (0,), settings=TINY)
    first = run_sweep(plan, tmp_path / "sw", workers=2)
    assert first["n_ok"] == 2 and first["n_skipped_finished"] == 0
    assert (tmp_path / "sw" / "sweep.md").is_file() and (tmp_path / "sw" / "sweep.html").is_file()
    # A run lost (as if killed before its rename) is redone; the finished one is only read.
    shutil.rmtree(tmp_path / "sw" / "runs" / plan.tasks[1].name)
    (tmp_path / "sw" / "runs" / f".{plan.tasks[1].name}.abc.tmp").mkdir()  # a killed run's temp
    second = run_sweep(plan, tmp_path / "sw", workers=2)
    assert second["n_skipped_finished"] == 1
    assert _without_timings(second) == _without_timings(first)
    assert not list((tmp_path / "sw" / "runs").glob(".*.tmp"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_node_cluster_runs_a_sweep_through_address(tmp_path):
    pytest.importorskip(
        "ray", reason="the sweep needs the 'distributed' extra (uv sync --extra distributed)"
    )
    ray_cli = Path(sys.executable).with_name("ray")
    if not ray_cli.exists():
        pytest.skip(f"the ray command is not at {ray_cli}")
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--disable-usage-stats", "--num-cpus", "1"]
    try:
        subprocess.run(
            [
                ray_cli,
                "start",
                "--head",
                "--port",
                str(port),
                "--node-ip-address",
                "127.0.0.1",
                "--include-dashboard",
                "false",
                *common,
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        # The second node: its own raylet with its own CPU, joining the head.
        subprocess.run(
            [ray_cli, "start", "--address", address, "--node-ip-address", "127.0.0.1", *common],
            check=True,
            capture_output=True,
            timeout=180,
        )
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "xentune.cli",
                "sweep",
                "--timbre",
                "harmonic",
                "--seeds",
                "0-1",
                "--address",
                address,
                "--out",
                str(tmp_path / "sw"),
                "--quiet",
                *TINY_ARGS,
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        check = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import ray; ray.init(address='{address}', logging_level='ERROR');"
                "print(sum(n['Alive'] for n in ray.nodes()))",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert check.stdout.strip().splitlines()[-1] == "2", check.stderr
    finally:
        subprocess.run([ray_cli, "stop", "--force"], capture_output=True, timeout=120)
    sweep = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    assert sweep["n_ok"] == 2
    assert [r["seed"] for r in sweep["runs"]] == [0, 1]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--timbre", "nonsense"], "unknown timbre"),
        (["--timbre", "harmonic", "--seeds", "5-2"], "backwards"),
        (["--timbre", "harmonic", "--pieces", "0"], "--pieces 0"),
        (["--timbre", "harmonic", "--analysis-pieces", "0"], "--analysis-pieces 0"),
        (["--timbre", "harmonic", "--address", "127.0.0.1:1"], "no ray cluster answers"),
        (["--timbre", "harmonic", "--address", "nowhere"], "host:port"),
        (["--timbre", "harmonic", "--workers", "0"], "--workers 0"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(cli, tmp_path, args, fragment):
    out = tmp_path / "sw"
    result = cli("sweep", *args, "--out", out, "--quiet")
    assert_one_line_error(result, fragment)
    assert not out.exists()


def test_without_ray_the_error_says_how_to_install(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    result = cli("sweep", "--timbre", "harmonic", "--out", tmp_path / "sw", "--quiet")
    assert_one_line_error(result, "distributed")
    assert not (tmp_path / "sw").exists()


@pytest.mark.slow  # three sweeps and a kill: about a minute on a quiet 2-core machine
def test_sigkill_of_the_driver_then_rerun_equals_an_uninterrupted_sweep(tmp_path):
    import os
    import signal
    import time

    pytest.importorskip(
        "ray", reason="the sweep needs the 'distributed' extra (uv sync --extra distributed)"
    )
    args = [
        "--timbre",
        "harmonic",
        "--timbre",
        "bell",
        "--seeds",
        "0-1",
        "--workers",
        "1",
        "--quiet",
        *TINY_ARGS,
    ]
    cmd = [sys.executable, "-m", "xentune.cli", "sweep", *args]
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [*cmd, "--out", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 300
        while not list((killed / "runs").glob("*/report.json")):
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no run finished in 300 s"
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        finished = sorted(p.parent.name for p in (killed / "runs").glob("*/report.json"))
        assert 1 <= len(finished) < 4
        assert not (killed / "sweep.json").exists()
        stamps = {n: (killed / "runs" / n / "report.json").stat().st_mtime_ns for n in finished}
        rerun = subprocess.run(
            [*cmd, "--out", str(killed)], capture_output=True, text=True, timeout=600
        )
        assert rerun.returncode == 0, rerun.stderr
        for n, stamp in stamps.items():  # finished runs were not redone
            assert (killed / "runs" / n / "report.json").stat().st_mtime_ns == stamp
        whole = subprocess.run(
            [*cmd, "--out", str(tmp_path / "whole")], capture_output=True, text=True, timeout=600
        )
        assert whole.returncode == 0, whole.stderr
    finally:
        if proc.poll() is None:
            proc.kill()
        ray_cli = Path(sys.executable).with_name("ray")
        subprocess.run([ray_cli, "stop", "--force"], capture_output=True, timeout=120)
    a = json.loads((killed / "sweep.json").read_text())
    b = json.loads((tmp_path / "whole" / "sweep.json").read_text())
    assert a["n_skipped_finished"] == len(stamps)
    assert _without_timings(a) == _without_timings(b)
