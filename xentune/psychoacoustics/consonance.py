"""Scoring tables of chords with several consonance models (the library behind ``xentune score``)."""

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
from xentune.progress import progress_bar
from xentune.psychoacoustics.composite import composite_dissonance
from xentune.psychoacoustics.harmonicity import chord_harmonicity
from xentune.psychoacoustics.roughness import chord_roughness
from xentune.psychoacoustics.similarity import chord_spectral_similarity
from xentune.safe_read import read_text
from xentune.spectrum import Spectrum

__all__ = [
    "CONSONANCE_MODELS",
    "HIGHER_IS_CONSONANT",
    "ChordTable",
    "read_chords_csv",
    "resolve_models",
    "score_chords",
    "score_chords_csv",
]

#: Every model `score_chords` knows, with its meaning and direction.
CONSONANCE_MODELS: dict[str, str] = {
    "sethares": "roughness, Sethares dissmeasure (TTSS 2005); higher = more dissonant",
    "sethares1993": "roughness, Sethares (1993) paper constants, a1*a2; higher = more dissonant",
    "vassilakis": "roughness, Vassilakis (2001); higher = more dissonant",
    "hutchinson": "roughness, Hutchinson & Knopoff (1978); higher = more dissonant",
    "harmonicity": "harmonicity, KL from uniform (Harrison & Pearce 2018); higher = more consonant",
    "harmonicity_peak": "harmonicity, template peak (Milne 2013); higher = more consonant",
    "spectral_similarity": (
        "mean spectral pitch similarity of the voice pairs (Milne et al. 2011); "
        "higher = more consonant"
    ),
    "composite": (
        "Hutchinson-Knopoff roughness and KL harmonicity, weights fitted to listener data; "
        "higher = more dissonant"
    ),
}

#: The models whose score rises with consonance; every other one is a dissonance (higher = rougher).
HIGHER_IS_CONSONANT = frozenset({"harmonicity", "harmonicity_peak", "spectral_similarity"})

#: Harmonicity model name -> ``kind`` of `chord_harmonicity`.
_HARMONICITY_KINDS = {"harmonicity": "kl", "harmonicity_peak": "peak"}

#: Chords scored per batched call (bounds memory: pairs grow as (V*P)^2).
CHUNK_CHORDS = 2048

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


def resolve_models(models: str | Sequence[str]) -> tuple[str, ...]:
    """Model names from ``"all"``, one name, a comma-separated list, or a sequence of names.

    Raises
    ------
    ConfigError
        An unknown name (the message lists the known ones), or none at all.
    """
    if isinstance(models, str):
        names = [m.strip() for m in models.split(",") if m.strip()]
    else:
        names = [str(m).strip() for m in models]
    if names == ["all"]:
        return tuple(CONSONANCE_MODELS)
    if not names:
        raise ConfigError(f"no model given; use 'all' or some of {', '.join(CONSONANCE_MODELS)}")
    for name in names:
        if name not in CONSONANCE_MODELS:
            raise ConfigError(
                f"unknown model {name!r}; use 'all' or some of {', '.join(CONSONANCE_MODELS)}"
            )
    return tuple(dict.fromkeys(names))


def _score_dense(
    f0_hz: torch.Tensor, ratios: torch.Tensor, amps: torch.Tensor, model: str
) -> torch.Tensor:
    """One model on chords that all have the same number of voices: ``(n, V) -> (n,)``."""
    if model in _HARMONICITY_KINDS:
        return chord_harmonicity(f0_hz, ratios, amps, kind=_HARMONICITY_KINDS[model])
    if model == "spectral_similarity":
        return chord_spectral_similarity(f0_hz, ratios, amps)
    if model == "composite":
        return composite_dissonance(f0_hz, ratios, amps)
    return chord_roughness(f0_hz, ratios, amps, model=model)


def score_chords(
    f0_hz: np.ndarray | torch.Tensor,
    spectrum: Spectrum,
    *,
    models: str | Sequence[str] = "all",
    device: torch.device | str | None = None,
    quiet: bool = True,
) -> dict[str, np.ndarray]:
    """Score chords of one timbre with several consonance models.

    Parameters
    ----------
    f0_hz : array, shape (N, V)
        Fundamental of each voice in Hz; NaN marks an absent voice (chords with fewer voices).
        Every row needs at least one voice; values must be finite and > 0 otherwise.
    spectrum : Spectrum
        The timbre of every voice.
    models : str or sequence of str
        ``"all"`` or names from `CONSONANCE_MODELS` (roughness models in their own units, higher
        = rougher; ``harmonicity`` (KL, bits) and ``harmonicity_peak`` (0..1), higher = more
        harmonic; ``spectral_similarity`` (0..1), higher = more alike; ``composite`` (listener
        standard deviations), higher = more dissonant).
    device : torch device, optional
        Where to compute (default CPU). Computed in float64.
    quiet : bool
        No progress bar (default; the CLI shows one).

    Returns
    -------
    dict[str, np.ndarray]
        Model name -> scores, shape (N,), in the order asked.

    Raises
    ------
    ConfigError
        Unknown model, wrong shape, a row with no voice, or a non-positive / infinite frequency.

    Examples
    --------
    >>> from xentune.timbre import parse_timbre
    >>> f0 = np.array([[261.63, 392.445], [261.63, 277.18]])  # fifth, minor second
    >>> s = score_chords(f0, parse_timbre("sawtooth:partials=10"), models="hutchinson")
    >>> bool(s["hutchinson"][0] < s["hutchinson"][1])
    True
    """
    names = resolve_models(models)
    f0 = torch.as_tensor(f0_hz, dtype=torch.float64).cpu()
    if f0.ndim != 2:
        raise ConfigError(
            f"chords must be an array of shape (chords, voices), got shape {tuple(f0.shape)}"
        )
    present = ~torch.isnan(f0)  # (N, V)
    counts = present.sum(-1)  # (N,)
    if bool((counts == 0).any()):
        row = int(torch.nonzero(counts == 0)[0, 0])
        raise ConfigError(f"chord {row + 1} has no voices; give at least one fundamental in Hz")
    bad = present & ~(torch.isfinite(f0) & (f0 > 0))
    if bool(bad.any()):
        row, col = (int(x) for x in torch.nonzero(bad)[0])
        raise ConfigError(
            f"chord {row + 1}, voice {col + 1}: {float(f0[row, col])!r} Hz; fundamentals must be > 0"
        )
    ratios, amps = spectrum.tensors(dtype=torch.float64, device=device)
    out = {name: np.empty(f0.shape[0], dtype=np.float64) for name in names}
    # Group chords by voice count: each group is dense (no padding), so every model is exact.
    groups = [(k, torch.nonzero(counts == k)[:, 0]) for k in sorted(set(counts.tolist()))]
    n_chunks = sum(math.ceil(len(rows) / CHUNK_CHORDS) for _, rows in groups)
    with progress_bar(n_chunks * len(names), "scoring chords", quiet=quiet) as bar, torch.no_grad():
        for k, rows in groups:
            # Present voices of each row, in column order: (n_k, k) Hz.
            order = torch.argsort((~present[rows]).to(torch.int8), dim=-1, stable=True)[:, :k]
            dense = torch.gather(f0[rows], 1, order)
            for start in range(0, len(rows), CHUNK_CHORDS):
                chunk = dense[start : start + CHUNK_CHORDS].to(device)  # (n, k) Hz
                idx = rows[start : start + CHUNK_CHORDS].numpy()
                for name in names:
                    out[name][idx] = _score_dense(chunk, ratios, amps, name).cpu().numpy()
                    bar.advance()
    return out


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
    quiet: bool = True,
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
    scores = score_chords(table.f0_hz, spectrum, models=names, device=device, quiet=quiet)
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
