"""Keyboard layouts for an N-note scale: which MIDI key plays which degree, and in words."""

from __future__ import annotations

from xentune.errors import ConfigError
from xentune.tuning.scale import KeyboardMapping
from xentune.units import DEFAULT_REFERENCE_HZ

__all__ = ["KEYBOARD_LAYOUTS", "describe_keyboard", "keyboard_mapping"]

#: The layouts `keyboard_mapping` builds, in the order the CLI lists them.
KEYBOARD_LAYOUTS = ("consecutive", "white-keys", "12-key")

#: Degrees of the white keys C D E F G A B within a 12-key octave from C (None: a black key).
_WHITE_KEYS = (0, None, 1, None, 2, 3, None, 4, None, 5, None, 6)

#: The middle key (degree 0) of every layout: middle C.
MIDDLE_C = 60


def keyboard_mapping(
    layout: str,
    n_notes: int,
    *,
    reference_hz: float = DEFAULT_REFERENCE_HZ,
    middle_note: int = MIDDLE_C,
) -> KeyboardMapping:
    """The keyboard mapping of a layout for an ``n_notes``-note scale, degree 0 on ``middle_note``.

    - ``consecutive``: every key plays the next degree (a linear ``.kbm``), so the scale repeats
      every ``n_notes`` keys, not every 12: a 6-note scale's period is 6 keys up.
    - ``white-keys`` (7-note scales only): the white keys C D E F G A B play degrees 0..6 and the
      period lands on the next C, as on a piano; black keys are unmapped (``x``).
    - ``12-key`` (scales of at most 12 notes): keys C, C#, D, ... play degrees 0, 1, 2, ... and
      the period lands on the next C; the keys above the last degree are unmapped (``x``).

    The key ``middle_note`` sounds degree 0 at ``reference_hz``.

    Parameters
    ----------
    layout : {"consecutive", "white-keys", "12-key"}
    n_notes : int
        The scale's note count N (degrees 1..N, the period last), >= 1.
    reference_hz : float
        Frequency of degree 0 on ``middle_note``, in Hz.
    middle_note : int
        The key of degree 0, 0..127.

    Raises
    ------
    ConfigError
        Unknown layout, or a scale the layout cannot hold (white-keys needs 7 notes, 12-key at
        most 12).

    Examples
    --------
    >>> keyboard_mapping("white-keys", 7).entries
    (0, None, 1, None, 2, 3, None, 4, None, 5, None, 6)
    >>> keyboard_mapping("12-key", 5).entries[:6]
    (0, 1, 2, 3, 4, None)
    """
    if layout not in KEYBOARD_LAYOUTS:
        raise ConfigError(
            f"--keyboard {layout!r}: unknown keyboard layout; choose one of "
            f"{', '.join(KEYBOARD_LAYOUTS)}"
        )
    if isinstance(n_notes, bool) or not isinstance(n_notes, int) or n_notes < 1:
        raise ConfigError(f"keyboard mapping for {n_notes!r} notes: a scale needs >= 1 note")
    if layout == "consecutive":
        return KeyboardMapping.standard(
            reference_note=middle_note, reference_hz=reference_hz, middle_note=middle_note
        )
    if layout == "white-keys":
        if n_notes != 7:
            raise ConfigError(
                f"--keyboard white-keys: the scale has {n_notes} notes per period, but the white "
                "keys hold exactly 7; use --keyboard consecutive (or 12-key for up to 12 notes)"
            )
        entries: tuple[int | None, ...] = _WHITE_KEYS
    else:
        if n_notes > 12:
            raise ConfigError(
                f"--keyboard 12-key: the scale has {n_notes} notes per period, more than the 12 "
                "keys of an octave; use --keyboard consecutive"
            )
        entries = tuple(range(n_notes)) + (None,) * (12 - n_notes)
    return KeyboardMapping(
        map_size=12,
        middle_note=middle_note,
        reference_note=middle_note,
        reference_hz=reference_hz,
        octave_degree=n_notes,
        entries=entries,
    )


def describe_keyboard(layout: str, n_notes: int) -> str:
    """One or two sentences for the report: how the keys of ``layout`` play an N-note scale."""
    if layout == "consecutive":
        return (
            f"Consecutive keys: each key plays the next degree, so this {n_notes}-note scale "
            f"repeats every {n_notes} keys (not every 12): middle C (key 60) is degree 0 and key "
            f"{60 + n_notes} is one period up. Octave shapes on a piano keyboard do not apply."
        )
    if layout == "white-keys":
        return (
            "White keys: C D E F G A B play degrees 0 to 6 and the next C is one period up, as on "
            "a piano; the black keys are unmapped and stay silent (or are interpolated by synths "
            "that fill unmapped keys)."
        )
    return (
        f"12 keys per period: C, C#, D, ... play degrees 0 to {n_notes - 1} and the next C is "
        f"one period up; the {12 - n_notes} keys above the last degree are unmapped."
        if n_notes < 12
        else "12 keys per period: C, C#, D, ... play degrees 0 to 11 and the next C is one "
        "period up."
    )
