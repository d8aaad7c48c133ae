"""What a run folder offers a musician: its scale files, keyboard layout, ratio settings, previews."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xentune.errors import ScalaError
from xentune.tuning.just import DEFAULT_RATIO_TOLERANCE_CENTS
from xentune.tuning.keyboard import KEYBOARD_LAYOUTS, describe_keyboard
from xentune.tuning.midi import DEFAULT_MPE_BEND_RANGE
from xentune.tuning.scala import read_scl

__all__ = ["KeyboardOption", "PreviewEntry", "UseFile", "UseScale", "use_scale_for_run"]

#: The scale files of a run, in the order the report lists them, and what each is for.
SCALE_FILES = (
    ("scale.scl", "Scala scale", "the degrees and the period; Surge XT, Scala and most synths"),
    (
        "scale.kbm",
        "Scala keyboard mapping",
        "which key plays which degree, and the frequency of middle C (key 60)",
    ),
    ("scale.ascl", "Ableton Live 12 tuning", "a .scl with Live's reference pitch and note names"),
    (
        "scale.tun",
        "AnaMark tuning (v2)",
        "the frequency of all 128 keys, for synths that read .tun",
    ),
)


@dataclass(frozen=True)
class UseFile:
    """A file of the run for a musician: its path (relative to the run folder), format and use."""

    path: str
    format: str
    what: str


@dataclass(frozen=True)
class KeyboardOption:
    """Another keyboard layout this scale could use (``--keyboard LAYOUT``), in words."""

    layout: str
    text: str


@dataclass(frozen=True)
class PreviewEntry:
    """An audio preview: degree ``degree`` alone (``kind="degree"``) or over 1/1 (``"dyad"``)."""

    kind: str
    degree: int
    cents: float
    audio: str


@dataclass(frozen=True)
class UseScale:
    """The "Use this scale" section of a run's report.

    Attributes
    ----------
    files : tuple of UseFile
        The scale files present in the run folder.
    n_notes : int
        Degrees per period in the files (the period counted, 1/1 not).
    degrees_in_file : tuple of str
        Degrees 1..N as scale.scl writes them: an exact ratio (``6/5``) or cents (``316.291``).
    keyboard : str
        The keyboard layout of scale.kbm / scale.tun.
    keyboard_text : str
        How the keys play the scale, in words.
    keyboard_options : tuple of KeyboardOption
        The other layouts that can hold this scale, each in words.
    ratios : bool
        Whether ``--ratios`` was on.
    ratio_tolerance_cents : float
        Its tolerance (cents).
    period_ratio : str or None
        The period asked for with ``--period-ratio``.
    mpe_bend_range : int
        Pitch-bend range of the MPE files' member channels (semitones).
    previews : tuple of PreviewEntry
        Audio previews present in the run folder.
    """

    files: tuple[UseFile, ...]
    n_notes: int
    degrees_in_file: tuple[str, ...]
    keyboard: str
    keyboard_text: str
    keyboard_options: tuple[KeyboardOption, ...]
    ratios: bool
    ratio_tolerance_cents: float
    period_ratio: str | None
    mpe_bend_range: int
    previews: tuple[PreviewEntry, ...]


def _holds(layout: str, n_notes: int) -> bool:
    """Whether ``layout`` can map an ``n_notes``-note scale (see `keyboard_mapping`)."""
    return {"white-keys": n_notes == 7, "12-key": n_notes <= 12}.get(layout, True)


def use_scale_for_run(run_dir: Path, config: dict[str, Any]) -> UseScale | None:
    """The section's content for a run folder; None when it has no readable ``scale.scl``.

    The export settings come from ``config.json``'s ``exports`` (runs written before it existed
    get the defaults: consecutive keys, no ratios, MPE range 48).
    """
    try:
        scale = read_scl(run_dir / "scale.scl")
    except ScalaError:
        return None
    if scale.n_notes == 0:
        return None
    exports = config.get("exports") if isinstance(config.get("exports"), dict) else {}
    keyboard = str(exports.get("keyboard", "consecutive"))
    if keyboard not in KEYBOARD_LAYOUTS:
        keyboard = "consecutive"
    files = tuple(
        UseFile(name, fmt, what) for name, fmt, what in SCALE_FILES if (run_dir / name).is_file()
    )
    written = tuple(
        f"{r.numerator}/{r.denominator}" if r is not None else f"{c:.3f}"
        for c, r in zip(scale.degrees_cents, scale.ratios, strict=True)
    )
    pitches = (0.0, *scale.degrees_cents)
    previews = []
    for kind, first in (("degree", 0), ("dyad", 1)):
        for k in range(first, scale.n_notes + 1):
            path = f"previews/{kind}-{k:02d}.flac"
            if (run_dir / path).is_file():
                previews.append(PreviewEntry(kind, k, float(pitches[k]), path))
    period = exports.get("period_ratio")
    return UseScale(
        files=files,
        n_notes=scale.n_notes,
        degrees_in_file=written,
        keyboard=keyboard,
        keyboard_text=describe_keyboard(keyboard, scale.n_notes),
        keyboard_options=tuple(
            KeyboardOption(lay, describe_keyboard(lay, scale.n_notes))
            for lay in KEYBOARD_LAYOUTS
            if lay != keyboard and _holds(lay, scale.n_notes)
        ),
        ratios=bool(exports.get("ratios", False)),
        ratio_tolerance_cents=float(
            exports.get("ratio_tolerance_cents", DEFAULT_RATIO_TOLERANCE_CENTS)
        ),
        period_ratio=None if period is None else str(period),
        mpe_bend_range=int(exports.get("mpe_bend_range", DEFAULT_MPE_BEND_RANGE)),
        previews=tuple(previews),
    )
