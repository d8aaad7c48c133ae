"""Chords CSV files: read a table of chord fundamentals, score it with consonance models, write it."""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from xentune.atomic import atomic_file, check_output_path
from xentune.errors import ConfigError
from xentune.progress import ProgressFactory, silent_progress
from xentune.psychoacoustics.consonance import resolve_models, score_chords
from xentune.safe_read import read_text
from xentune.spectrum import Spectrum

__all__ = ["ChordTable", "read_chords_csv", "score_chords_csv"]

_F_COLUMN = re.compile(r"^f_(\d+)$")

#: Largest chords CSV read (bytes): about 400,000 chords of four voices.
MAX_CHORDS_BYTES = 16 * 2**20
#: Most voices (f_ columns) per chord: roughness pairs every partial of every voice.
MAX_CHORD_VOICES = 32
#: Most partial-pair evaluations (chords x (voices x partials)^2 x models) one score run does:
#: 9.7e9 took 3:27 (2.9 GB peak, 32 voices x 256 partials) on the loaded 2-core box, so 5e9 is
#: under two minutes. The largest chords file (16 MB: ~400,000 chords of 4 voices x 10
#: partials, all 6 models) needs 3.8e9.
MAX_SCORE_WORK = 5_000_000_000
#: Highest fundamental accepted, in Hz (the top of hearing; partials above Nyquist are dropped).
MAX_F0_HZ = 20_000.0


@dataclass(frozen=True)
class ChordTable:
    """A CSV table of chords: the original columns and the voice fundamentals.

    Attributes
    ----------
    fieldnames : list of str
        Column names, in file order.
    rows : list of dict
        The original cells, as strings.
    f0_hz : np.ndarray, shape (N, V)
        Fundamentals from columns ``f_1..f_V`` (by number), NaN where a cell is blank.
    """

    fieldnames: list[str]
    rows: list[dict[str, str]]
    f0_hz: np.ndarray


def read_chords_csv(path: str | os.PathLike[str]) -> ChordTable:
    """Read chords from a CSV file with fundamentals in Hz in columns ``f_1, f_2, ...``.

    Blank ``f_`` cells are absent voices; other columns are kept as they are.

    Raises
    ------
    ConfigError
        Missing or unreadable file, no header, no ``f_`` column, a ragged row, or a cell that is
        not a positive finite number (the message names the line and column).
    """
    p = Path(path)
    text = read_text(
        p, what="chords file (a CSV with columns f_1, f_2, ... in Hz)", max_bytes=MAX_CHORDS_BYTES
    )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ConfigError(
            f"{p}: empty file; the first line must name the columns (f_1,f_2,...)"
        ) from None
    except csv.Error as e:
        raise ConfigError(f"{p} line 1: malformed CSV: {e}") from None
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        raise ConfigError(f"{p} line 1: duplicate column names in {header}")
    f_columns = sorted(
        ((int(m.group(1)), i) for i, h in enumerate(header) if (m := _F_COLUMN.match(h))),
        key=lambda t: t[0],
    )
    if not f_columns:
        raise ConfigError(
            f"{p} line 1: no fundamentals; name the voice columns f_1, f_2, ... (Hz), got columns {header}"
        )
    if len(f_columns) > MAX_CHORD_VOICES:
        raise ConfigError(
            f"{p} line 1: {len(f_columns)} voice columns; a chord may have at most "
            f"{MAX_CHORD_VOICES} (f_1..f_{MAX_CHORD_VOICES})"
        )
    rows: list[dict[str, str]] = []
    f0_rows: list[list[float]] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue  # blank line
            if len(cells) != len(header):
                raise ConfigError(
                    f"{p} line {line}: {len(cells)} cells but {len(header)} columns in the header"
                )
            f0_row = []
            for _, i in f_columns:
                cell = cells[i].strip()
                if not cell:
                    f0_row.append(math.nan)
                    continue
                try:
                    value = float(cell)
                except ValueError:
                    raise ConfigError(
                        f"{p} line {line}: {header[i]}={cell!r} is not a number; give the fundamental in Hz"
                    ) from None
                if not (math.isfinite(value) and 0 < value <= MAX_F0_HZ):
                    raise ConfigError(
                        f"{p} line {line}: {header[i]}={cell}; fundamentals must be finite numbers > 0 Hz, "
                        f"at most {MAX_F0_HZ:g} Hz "
                        "(leave the cell blank for an absent voice)"
                    )
                f0_row.append(value)
            if all(math.isnan(v) for v in f0_row):
                raise ConfigError(
                    f"{p} line {line}: no fundamentals; a chord needs at least one f_ value"
                )
            rows.append(dict(zip(header, cells, strict=True)))
            f0_rows.append(f0_row)
    except csv.Error as e:
        raise ConfigError(f"{p} line {reader.line_num}: malformed CSV: {e}") from None
    if not rows:
        raise ConfigError(f"{p}: no chords below the header; add one row per chord")
    return ChordTable(fieldnames=header, rows=rows, f0_hz=np.asarray(f0_rows, dtype=np.float64))


def score_chords_csv(
    chords_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    spectrum: Spectrum,
    models: str | Sequence[str] = "all",
    device: torch.device | str | None = None,
    force: bool = False,
    progress: ProgressFactory = silent_progress,
) -> Path:
    """Score every chord of a CSV file (see `read_chords_csv`) and write the table with one more
    column per model (the input columns are carried through unchanged), atomically.

    Returns
    -------
    Path
        The output file.

    Raises
    ------
    ConfigError
        Bad input file or model, or an input column named like a model.
    OutputExistsError
        ``out_path`` exists and ``force`` is false.
    """
    names = resolve_models(models)
    out = check_output_path(out_path, force=force)
    table = read_chords_csv(chords_path)
    clash = [n for n in names if n in table.fieldnames]
    if clash:
        raise ConfigError(
            f"{chords_path}: column {clash[0]!r} would be overwritten by the scores; rename it"
        )
    voices = (~np.isnan(table.f0_hz)).sum(axis=1)  # (n,) sounding voices per chord
    work = int(((voices * spectrum.n_partials) ** 2).sum()) * len(names)
    if work > MAX_SCORE_WORK:
        raise ConfigError(
            f"{chords_path}: {len(table.rows)} chords of up to {int(voices.max())} voices x "
            f"{spectrum.n_partials} partials with {len(names)} models need {work:.2g} partial-pair "
            f"evaluations, more than {MAX_SCORE_WORK:.0e} (minutes of work); use fewer partials, "
            "fewer models, or split the file"
        )
    scores = score_chords(table.f0_hz, spectrum, models=names, device=device, progress=progress)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*table.fieldnames, *names])
    for k, row in enumerate(table.rows):
        writer.writerow(
            [*(row[h] for h in table.fieldnames), *(repr(float(scores[n][k])) for n in names)]
        )
    with atomic_file(out, force=force) as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8")
    return out
