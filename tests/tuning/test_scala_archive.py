"""All 5,354 files of the Scala archive parse, and agree with the mirror's own index.

``scala-scale-index.csv`` (narenratan/scala_scale_archive) was made by another program: its
``notes`` column is the count line, ``period`` the last pitch in cents rounded to 6 decimals
(checked: the largest difference to the exact value is 5.0e-7 cents, catfish7.scl), ``just``
whether every pitch is a ratio, and ``tones`` the pitch tokens as written. We compare all of
them; no index entry had to be excused (if one ever must be, list it here with the reason).
"""

from __future__ import annotations

import csv
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest

from xentune.errors import ScalaError
from xentune.tuning.scala import read_scl

N_ARCHIVE_FILES = 5354

#: The index rounds the period to 6 decimals: half a unit in the last place, plus float noise.
PERIOD_TOLERANCE_CENTS = 5e-7 + 1e-9

#: Index entries known to be wrong, with the reason (none found; keep the mechanism explicit).
KNOWN_INDEX_ERRORS: dict[str, str] = {}


@pytest.fixture(scope="module")
def archive(scala_archive_dir: Path) -> tuple[Path, dict[str, dict[str, str]]]:
    root = scala_archive_dir
    with open(root / "scala-scale-index.csv", encoding="utf-8", newline="") as f:
        index = {row["scl_file"]: row for row in csv.DictReader(f)}
    return root / "archive", index


def test_every_archive_file_parses_and_matches_the_index(archive) -> None:
    folder, index = archive
    paths = sorted(folder.glob("*.scl"))
    assert len(paths) == N_ARCHIVE_FILES
    assert set(index) == {p.name for p in paths}
    failures: list[str] = []
    for path in paths:
        try:
            scale = read_scl(path)
        except ScalaError as exc:
            failures.append(f"{path.name}: {exc}")
            continue
        row = index[path.name]
        problems = []
        if scale.n_notes != int(row["notes"]):
            problems.append(f"notes {scale.n_notes} != {row['notes']}")
        if abs(scale.period_cents - float(row["period"])) > PERIOD_TOLERANCE_CENTS:
            problems.append(f"period {scale.period_cents!r} != {row['period']}")
        if scale.is_just != (row["just"] == "True"):
            problems.append(f"just {scale.is_just} != {row['just']}")
        tokens = row["tones"].split()
        if len(tokens) != scale.n_notes:
            problems.append(f"{len(tokens)} tones in the index")
        for k, (token, cents, ratio) in enumerate(
            zip(tokens, scale.degrees_cents, scale.ratios, strict=False), start=1
        ):
            # the index's own tokens: a '.' means cents (exact float), otherwise an exact ratio
            same = (
                (ratio is None and float(token) == cents)
                if "." in token
                else (ratio == Fraction(token))
            )
            if not same:
                problems.append(f"degree {k}: {token!r} read as {cents!r} / {ratio}")
                break
        if problems and path.name not in KNOWN_INDEX_ERRORS:
            failures.append(f"{path.name}: " + "; ".join(problems))
    assert failures == []


def test_archive_edge_cases_read_as_the_spec_says(archive) -> None:
    folder, _ = archive
    # atomschis.scl: ratio terms beyond int64 (tuning-library's atoll saturates there)
    atoms = read_scl(folder / "atomschis.scl")
    big = [r for r in atoms.ratios if r is not None and max(r.numerator, r.denominator) > 2**63]
    assert len(big) >= 1
    with localcontext() as ctx:  # an independent 50-digit log for each huge ratio
        ctx.prec = 50
        for ratio in big:
            cents = Decimal(1200) * (
                Decimal(ratio.numerator).ln() - Decimal(ratio.denominator).ln()
            )
            cents /= Decimal(2).ln()
            k = atoms.ratios.index(ratio)
            assert abs(atoms.degrees_cents[k] - float(cents)) < 1e-9
    # non-positive periods are legal Scala (chimes.scl, harmf16.scl)
    assert read_scl(folder / "chimes.scl").period_cents <= 0
    assert read_scl(folder / "harmf16.scl").period_cents <= 0
