"""The 128-key frequency table of a scale and keyboard mapping (as Scala and Surge XT compute it)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from xentune.errors import ConfigError, ScalaError
from xentune.tuning.scale import KeyboardMapping, Scale
from xentune.units import cents_to_hz

#: Key range tuning-library tabulates (notes -256..255); unmapped keys interpolate inside it.
_TABLE_LOW, _TABLE_HIGH = -256, 256

__all__ = ["frequency_table", "mapped_keys"]


def mapped_keys(scale: Scale, mapping: KeyboardMapping | None = None) -> np.ndarray:
    """Which of the 128 MIDI keys play a scale degree (``False`` for ``x`` entries), shape (128,)."""
    mapping = KeyboardMapping.standard() if mapping is None else mapping
    _, mapped = mapping.key_degrees(np.arange(128), scale.n_notes)
    return mapped


def frequency_table(
    scale: Scale,
    mapping: KeyboardMapping | None = None,
    *,
    unmapped: Literal["interpolate", "nan"] = "interpolate",
) -> np.ndarray:
    """Frequency in Hz of each of the 128 MIDI keys for a scale under a keyboard mapping.

    Mapped keys follow Scala's definition exactly (see `KeyboardMapping`):
    ``f(n) = reference_hz * 2 ** ((cents(deg(n)) - cents(deg(reference_note))) / 1200)`` with
    ``cents(k) = floor(k/N) * period + pitch[k mod N]``. This equals tuning-library (Surge XT's
    tuning code) to ~1e-12 cents wherever the two agree on the meaning of the ``.kbm``.

    Where tuning-library departs from Scala we follow Scala (reference/tuning.md §3):

    - **how far a pattern repeat moves**: Scala moves each repeat of the mapping pattern by
      ``octave_degree`` degrees (N when 0). tuning-library moves it by ``map_size`` degrees
      when ``octave_degree`` is 0 or equals ``map_size``, else by one period, and "unwraps"
      the scale when an entry exceeds N. They agree in the usual case (``octave_degree == N``
      and entries within 0..N) and differ otherwise: 12-EDO with ``mapping-whitekeys-a440.kbm``
      (formal octave 7) gives key 74 = 523.25 Hz here (Scala), 698.46 Hz in tuning-library.
      Of the 528 surge-tests (.scl, .kbm) pairs, 113 are in this case; all differ from the
      library and all equal a one-key-at-a-time implementation of Scala's rule.
    - **formal octave > N** (a pattern over two periods) and mappings whose trailing ``x``
      entries are left out: tuning-library rejects them, Scala and we accept them.
    - **reference note a whole number of patterns above the middle note** (``map_size > 0``,
      ``reference - middle`` a positive multiple of ``map_size``, e.g. middle 60, reference 72):
      tuning-library's window search stops one pattern short, and every key but the reference
      comes out one formal octave high (12-EDO: key 60 = key 72 = 523.25 Hz). Scala's rule,
      which we follow, keeps key 60 at 261.63 Hz.
    - ``first_note``/``last_note``: tuning-library ignores them and so do we for the table
      (every key gets its pattern pitch); `KeyboardMapping.retuned_keys` gives the range.

    Unmapped keys (``x``) have no pitch in Scala. ``unmapped="interpolate"`` (default) gives
    them what Surge XT plays, tuning-library's ``Tuning.withSkippedNotesInterpolated()``:
    linear in log-frequency between the nearest mapped keys below and above (searched over
    keys -256..255), or the nearest one where only one side exists. Like tuning-library we
    compute the interpolation fraction in float32, so the tables agree to 1e-9 cents.
    ``unmapped="nan"`` gives NaN instead; `mapped_keys` tells which keys are mapped.

    Parameters
    ----------
    scale : Scale
        At least one degree (the period).
    mapping : KeyboardMapping or None
        ``None`` = `KeyboardMapping.standard()`: degree 0 on key 60 at 261.6256 Hz, linear
        (tuning-library's default mapping).
    unmapped : {"interpolate", "nan"}
        What unmapped keys get.

    Returns
    -------
    ndarray of float64, shape (128,)
        Hz of keys 0..127 (``inf`` or 0 for the rare pitches beyond float64's range, e.g. a
        mapping whose formal octave spans hundreds of periods).

    Raises
    ------
    ScalaError
        The scale has no degrees (a 0-note .scl holds only 1/1 and cannot be extended).
    ConfigError
        Unknown ``unmapped``.

    Examples
    --------
    >>> edo12 = Scale.from_cents([100.0 * k for k in range(1, 13)])
    >>> a440 = KeyboardMapping.standard(reference_note=69, reference_hz=440.0)
    >>> round(float(frequency_table(edo12, a440)[60]), 4)
    261.6256
    """
    if unmapped not in ("interpolate", "nan"):
        raise ConfigError(f"unmapped={unmapped!r}: choose 'interpolate' or 'nan'")
    if scale.n_notes == 0:
        raise ScalaError(
            f"scale {scale.description!r} has 0 notes (only the implicit 1/1), so it has no "
            "period to repeat; add at least one degree (e.g. 2/1)"
        )
    mapping = KeyboardMapping.standard() if mapping is None else mapping
    keys = np.arange(_TABLE_LOW, _TABLE_HIGH, dtype=np.int64)  # (512,) keys -256..255
    degrees, mapped = mapping.key_degrees(keys, scale.n_notes)
    ref_degree, _ = mapping.key_degrees(np.array([mapping.reference_note]), scale.n_notes)
    ref_cents = scale.degree_cents(ref_degree)[0]
    cents = scale.degree_cents(degrees) - ref_cents  # (512,) cents above the reference key
    if unmapped == "nan":
        cents = np.where(mapped, cents, np.nan)
    elif not mapped.all():
        cents = _interpolate_unmapped(cents, mapped)
    cents = cents[-_TABLE_LOW : -_TABLE_LOW + 128]  # (128,) keys 0..127
    with np.errstate(over="ignore", under="ignore"):  # inf / 0 Hz beyond float64's range
        return cents_to_hz(cents, mapping.reference_hz)


def _interpolate_unmapped(cents: np.ndarray, mapped: np.ndarray) -> np.ndarray:
    """Fill unmapped entries as tuning-library's ``withSkippedNotesInterpolated`` does.

    Log-frequency (cents) is interpolated linearly between the nearest mapped neighbours; the
    fraction is computed in float32 as in the C++ (``float frac = (float)(i - prv) / dist``).
    The first and last table entries are left alone, also as in the C++ loop ``1..N-2``.
    """
    n = cents.shape[0]
    idx = np.arange(n)
    mapped_idx = idx[mapped]
    out = cents.copy()
    for i in idx[1:-1][~mapped[1:-1]]:
        below = mapped_idx[mapped_idx < i]
        above = mapped_idx[mapped_idx > i]
        if below.size == 0:
            out[i] = cents[above[0]]
        elif above.size == 0:
            out[i] = cents[below[-1]]
        else:
            prv, nxt = int(below[-1]), int(above[0])
            frac = float(np.float32(i - prv) / np.float32(nxt - prv))
            out[i] = (1.0 - frac) * cents[prv] + frac * cents[nxt]
    return out
