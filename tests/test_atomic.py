"""Tests of atomic outputs: temp-then-rename, no overwrite without force, nothing left on error."""

from __future__ import annotations

import os
import stat

import pytest

from xentune.atomic import atomic_dir, atomic_file, write_text_atomic
from xentune.errors import ConfigError, OutputExistsError


def test_write_and_refuse_overwrite(tmp_path):
    p = tmp_path / "a.txt"
    write_text_atomic(p, "one")
    with pytest.raises(OutputExistsError, match="--force"):
        write_text_atomic(p, "two")
    assert p.read_text() == "one"
    write_text_atomic(p, "two", force=True)
    assert p.read_text() == "two"


def test_file_mode_follows_umask(tmp_path):
    p = tmp_path / "a.txt"
    write_text_atomic(p, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask


def test_failure_leaves_nothing(tmp_path):
    p = tmp_path / "a.txt"
    with pytest.raises(RuntimeError), atomic_file(p) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_missing_parent_folder(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        write_text_atomic(tmp_path / "nope" / "a.txt", "x")


def test_dir_replaced_only_on_success(tmp_path):
    d = tmp_path / "run"
    with atomic_dir(d) as tmp:
        (tmp / "f").write_text("1")
    with pytest.raises(RuntimeError), atomic_dir(d, force=True) as tmp:
        (tmp / "f").write_text("2")
        raise RuntimeError("boom")
    assert (d / "f").read_text() == "1"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["run"]
    with pytest.raises(OutputExistsError):
        with atomic_dir(d):
            pass
    with atomic_dir(d, force=True) as tmp:
        (tmp / "f").write_text("3")
    assert (d / "f").read_text() == "3"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["run"]
