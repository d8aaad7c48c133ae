"""CI smoke step: import every module of the package; a broken import is one line, not a collection error."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import xentune


def main() -> int:
    failures = []
    names = ["xentune"] + [
        m.name for m in pkgutil.walk_packages(xentune.__path__, prefix="xentune.")
    ]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - every failure is reported, one line each
            failures.append(f"ci: error: import {name} failed: {type(e).__name__}: {e}")
    for line in failures:
        print(" ".join(line.split()), file=sys.stderr)
    if not failures:
        print(f"ci: imported {len(names)} modules")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
