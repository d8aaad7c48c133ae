"""time-model.pt: saved atomically, read back with weights_only (a file that runs code is refused)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.errors import CheckpointError
from xentune.generator.time_checkpoint import load_time_model, save_time_model


def test_round_trip(tmp_path: Path) -> None:
    w = {"a": torch.arange(3.0), "b.c": torch.ones(2, 2)}
    save_time_model(tmp_path / "t.pt", config={"voices": 3}, weights=w, period_cents=1200.0)
    back = load_time_model(tmp_path / "t.pt")
    assert back.config == {"voices": 3} and back.period_cents == 1200.0
    assert all(torch.equal(back.weights[k], w[k]) for k in w)
    with pytest.raises(Exception, match="exists"):
        save_time_model(tmp_path / "t.pt", config={}, weights=w, period_cents=1200.0)


class _Evil:
    def __reduce__(self) -> tuple:
        return (os.system, ("touch pwned",))


def test_code_in_the_file_never_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    torch.save({"format": "xentune-time-model", "evil": _Evil()}, path, pickle_protocol=2)
    with pytest.raises(CheckpointError, match="never code"):
        load_time_model(path)
    assert not (tmp_path / "pwned").exists()
    (tmp_path / "plain.pt").write_bytes(pickle.dumps({"format": "other"}))
    with pytest.raises(CheckpointError):
        load_time_model(tmp_path / "plain.pt")
    with pytest.raises(CheckpointError, match="no time model"):
        load_time_model(tmp_path / "missing.pt")


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_a_clean_error(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "t.pt"
    path.write_bytes(data)
    with pytest.raises(CheckpointError):
        load_time_model(path)
