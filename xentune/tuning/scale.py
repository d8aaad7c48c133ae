"""Scales (pitches in cents, exact ratios, period), keyboard mappings and 128-key frequency tables."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from xentune.errors import ConfigError, ScalaError
from xentune.units import DEFAULT_REFERENCE_HZ, cents_to_ratio, ratio_to_cents

__all__ = [
    "KeyboardMapping",
    "Scale",
    "fraction_to_cents",
]

#: Largest disagreement allowed between a degree's cents and ``1200 log2(ratio)`` of its ratio.
RATIO_CENTS_TOLERANCE = 1e-6

#: Characters a description cannot hold: line breaks, and the control bytes that mark a file as
#: binary for the reader (tab, vertical tab, form feed and DOS end-of-file ^Z are fine).
_NOT_IN_DESCRIPTION = re.compile(r"[\x00-\x08\n\r\x0e-\x19\x1b-\x1f]")

#: Largest keyboard-mapping pattern accepted (Scala's own limit is far smaller in practice).
MAX_MAP_SIZE = 65536

#: Largest magnitude of a mapping entry or formal-octave degree (C ``int``, as Scala stores it).
MAX_KBM_INT = 2**31 - 1


def fraction_to_cents(ratio: Fraction) -> float:
    """Size in cents of an exact positive ratio, ``1200 log2(ratio)``, without int64 overflow.

    ``float(ratio)`` is correctly rounded, so this is exact to about 2e-13 cents; terms too large
    (or too small) for a float fall back to ``log2(n) - log2(d)`` on Python ints, which is still
    exact to ~1e-11 cents even for the 20-digit terms of ``atomschis.scl``.

    Parameters
    ----------
    ratio : Fraction
        A ratio > 0.

    Returns
    -------
    float
        Cents; 3/2 -> 701.955..., 1/2 -> -1200.
    """
    if ratio.numerator <= 0:  # a Fraction's denominator is always > 0
        raise ConfigError(f"ratio {ratio}: a pitch ratio must be > 0 (e.g. 3/2)")
    try:
        value = ratio.numerator / ratio.denominator  # int / int is correctly rounded
    except OverflowError:
        value = math.inf
    if value == 0.0 or math.isinf(value):
        return 1200.0 * (math.log2(ratio.numerator) - math.log2(ratio.denominator))
    return ratio_to_cents(value)


def _as_fraction(value: Fraction | int | str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, Fraction | int | str):
        raise ConfigError(
            f"ratio {value!r}: give an exact ratio as Fraction, int or 'n/d' string "
            "(use Scale.from_cents for pitches in cents)"
        )
    try:
        r = Fraction(value)
    except (ValueError, ZeroDivisionError) as exc:
        raise ConfigError(f"ratio {value!r}: not a ratio n/d with d > 0 (e.g. '3/2')") from exc
    if r <= 0:
        raise ConfigError(f"ratio {value!r}: a pitch ratio must be > 0 (e.g. 3/2)")
    return r


@dataclass(frozen=True)
class Scale:
    """A Scala scale: the pitches after 1/1, in cents, the last one being the period.

    Degree 0 (1/1, 0 cents) is implicit and not stored, exactly as in a ``.scl`` file. Pitches
    need not be sorted nor lie inside the period, and the period may be any size (even <= 0,
    as in the archive's ``chimes.scl``); that is Scala's rule, not ours to tighten.

    Parameters
    ----------
    degrees_cents : tuple of float, length N
        Pitch of degrees 1..N in cents above 1/1; finite. ``degrees_cents[-1]`` is the period.
    ratios : tuple of (Fraction or None), length N, or ()
        The exact ratio of each degree where the source had one (a ratio line of a ``.scl``),
        ``None`` where it was given in cents. ``()`` means "no ratios" (all ``None``).
        A ratio must be > 0 and agree with its cents to 1e-6 cents.
    description : str
        The ``.scl`` description line: one line of text (no line breaks, no control characters
        other than tab, VT, FF and ^Z), may be empty, may not start with ``!`` (Scala would read
        it as a comment).

    Examples
    --------
    >>> s = Scale.from_ratios(["9/8", "5/4", "4/3", "3/2", "5/3", "15/8", "2"])
    >>> s.n_notes, round(s.period_cents, 6)
    (7, 1200.0)
    >>> round(s.degree_cents(9), 3)  # 5/4 an octave up
    1586.314
    """

    degrees_cents: tuple[float, ...]
    ratios: tuple[Fraction | None, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        try:
            degrees = tuple(float(c) for c in self.degrees_cents)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"scale degrees {self.degrees_cents!r}: give a sequence of numbers in cents ({exc})"
            ) from None
        for k, c in enumerate(degrees, start=1):
            if not math.isfinite(c):
                raise ConfigError(f"scale degree {k}: {c} cents is not finite; give a real number")
        ratios: tuple[Fraction | None, ...]
        if len(self.ratios) == 0:
            ratios = (None,) * len(degrees)
        else:
            ratios = tuple(self.ratios)
        if len(ratios) != len(degrees):
            raise ConfigError(
                f"scale: {len(ratios)} ratios for {len(degrees)} degrees; give one ratio (or None) "
                "per degree, or ratios=()"
            )
        for k, (c, r) in enumerate(zip(degrees, ratios, strict=True), start=1):
            if r is None:
                continue
            if not isinstance(r, Fraction) or r.numerator <= 0:
                raise ConfigError(f"scale degree {k}: ratio {r!r} must be a Fraction > 0 or None")
            expected = fraction_to_cents(r)
            if abs(expected - c) > RATIO_CENTS_TOLERANCE + 1e-12 * abs(expected):
                raise ConfigError(
                    f"scale degree {k}: {c!r} cents disagrees with its ratio {r} "
                    f"({expected!r} cents); use Scale.from_ratios to derive the cents"
                )
        if not isinstance(self.description, str):
            raise ConfigError(f"scale description {self.description!r} must be a string")
        bad = _NOT_IN_DESCRIPTION.findall(self.description)
        if bad:
            raise ConfigError(
                f"scale description {self.description!r} contains {bad[0]!r}; a .scl description "
                "is exactly one line of text: remove line breaks and control characters"
            )
        try:
            self.description.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ConfigError(
                f"scale description {self.description!r} cannot be written as UTF-8 ({exc.reason}); "
                "remove the lone surrogate characters"
            ) from None
        if self.description.startswith("!"):
            raise ConfigError(
                f"scale description {self.description!r} starts with '!', which Scala reads as a "
                "comment line; drop or quote the '!'"
            )
        object.__setattr__(self, "degrees_cents", degrees)
        object.__setattr__(self, "ratios", ratios)

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_cents(cls, cents: Iterable[float], *, description: str = "") -> Scale:
        """A scale from pitches in cents (degrees 1..N after 1/1, the last one the period).

        Examples
        --------
        >>> Scale.from_cents([100.0 * k for k in range(1, 13)]).period_cents
        1200.0
        """
        degrees = tuple(cents)
        return cls(degrees, (None,) * len(degrees), description)

    @classmethod
    def from_ratios(cls, ratios: Iterable[Fraction | int | str], *, description: str = "") -> Scale:
        """A scale from exact ratios (Fraction, int, or ``"n/d"``), the last one the period.

        Examples
        --------
        >>> Scale.from_ratios(["3/2", 2]).ratios
        (Fraction(3, 2), Fraction(2, 1))
        """
        rs = tuple(_as_fraction(r) for r in ratios)
        return cls(tuple(fraction_to_cents(r) for r in rs), rs, description)

    # ----------------------------------------------------------------- properties
    @property
    def n_notes(self) -> int:
        """Number of degrees N in the file (1/1 not counted): the ``.scl`` note count."""
        return len(self.degrees_cents)

    @property
    def period_cents(self) -> float:
        """The period (formal octave) in cents: the last degree; 0.0 for an empty scale."""
        return self.degrees_cents[-1] if self.degrees_cents else 0.0

    @property
    def period_ratio(self) -> Fraction | None:
        """The exact period ratio if the last degree was given as a ratio, else ``None``."""
        return self.ratios[-1] if self.ratios else None

    @property
    def pitches_cents(self) -> np.ndarray:
        """Pitches of degrees 0..N-1 in cents, shape (N,): ``[0, d1, ..., d(N-1)]``."""
        return np.array((0.0, *self.degrees_cents[:-1]), dtype=np.float64)

    @property
    def steps_cents(self) -> np.ndarray:
        """Successive differences of ``[0, d1, ..., dN]`` in cents, shape (N,)."""
        return np.diff(np.array((0.0, *self.degrees_cents), dtype=np.float64))

    @property
    def is_just(self) -> bool:
        """Whether every degree has an exact ratio."""
        return self.n_notes > 0 and all(r is not None for r in self.ratios)

    def degree_cents(self, degree: int | np.ndarray) -> float | np.ndarray:
        """Cents of any integer degree by octave extension (Scala's rule).

        ``cents(k) = floor(k / N) * period + pitch[k mod N]`` with ``pitch[0] = 0``, so degree
        N is the period, -1 is ``pitch[N-1] - period``, and so on.

        Parameters
        ----------
        degree : int or ndarray of int, shape (...)

        Returns
        -------
        float or ndarray of float64, shape (...)
        """
        if self.n_notes == 0:
            raise ScalaError(
                "scale has 0 notes (only 1/1), so its degrees cannot be extended; add at least "
                "the period (e.g. 2/1)"
            )
        k = np.asarray(degree, dtype=np.int64)
        octaves, pos = np.divmod(k, self.n_notes)  # floor division, pos in 0..N-1
        out = octaves * self.period_cents + self.pitches_cents[pos]
        return float(out) if np.ndim(out) == 0 else out

    def ratio_values(self) -> np.ndarray:
        """Frequency ratio of degrees 1..N as floats, shape (N,) (`cents_to_ratio` of each)."""
        return cents_to_ratio(np.array(self.degrees_cents, dtype=np.float64))


@dataclass(frozen=True)
class KeyboardMapping:
    """A Scala keyboard mapping (``.kbm``): which scale degree each MIDI key plays, and the tuning.

    Semantics (Scala help, "mappings"). Key ``n`` has ``i = n - middle_note``,
    ``q = floor(i / map_size)``, ``r = i mod map_size``; if ``entries[r]`` is ``None`` (``x``)
    the key is unmapped, else it plays degree ``entries[r] + q * formal_octave`` where
    ``formal_octave = octave_degree or N`` (N = the scale's note count). With ``map_size == 0``
    (linear mapping) key n plays degree ``n - middle_note``. The reference key sounds at
    ``reference_hz``; every other key at ``reference_hz * 2 ** ((cents(deg(n)) -
    cents(deg(reference_note))) / 1200)``.

    Parameters
    ----------
    map_size : int
        Size of the repeating pattern, >= 0; 0 = linear mapping (no entries).
    first_note, last_note : int
        The range of MIDI keys the mapping asks a synth to retune, 0 <= first <= last <= 127.
        Kept and written back; the frequency table is computed for all 128 keys regardless,
        as tuning-library does (see `frequency_table`); `retuned_keys` gives the range as a mask.
    middle_note : int
        The key that plays the first entry (degree 0 when ``entries[0] == 0``), 0..127.
    reference_note : int
        The key whose frequency is given, 0..127; it must be mapped.
    reference_hz : float
        Frequency of ``reference_note`` in Hz, finite and > 0.
    octave_degree : int
        Scale degree that is the formal octave (the shift between repeats of the pattern);
        0 = the scale's note count. Any integer (Scala allows negative ones).
    entries : tuple of (int or None)
        Scale degree of keys ``middle_note + r`` for r = 0..map_size-1; ``None`` = unmapped
        (``x``). Any integers. A shorter tuple is padded with ``None`` (Scala: "unmapped keys at
        the end may be left out"), so ``entries`` always has ``map_size`` items after init.
    """

    map_size: int = 0
    first_note: int = 0
    last_note: int = 127
    middle_note: int = 60
    reference_note: int = 60
    reference_hz: float = DEFAULT_REFERENCE_HZ
    octave_degree: int = 0
    entries: tuple[int | None, ...] = ()

    def __post_init__(self) -> None:
        for name in ("map_size", "first_note", "last_note", "middle_note", "reference_note"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ConfigError(f"keyboard mapping {name}={value!r}: must be an integer")
            object.__setattr__(self, name, int(value))
        if isinstance(self.octave_degree, bool) or not isinstance(
            self.octave_degree, int | np.integer
        ):
            raise ConfigError(
                f"keyboard mapping octave_degree={self.octave_degree!r}: must be an integer "
                "(0 = the scale's size)"
            )
        object.__setattr__(self, "octave_degree", int(self.octave_degree))
        if not 0 <= self.map_size <= MAX_MAP_SIZE:
            raise ConfigError(
                f"keyboard mapping map_size={self.map_size}: must be 0..{MAX_MAP_SIZE} "
                "(0 = linear mapping)"
            )
        if abs(self.octave_degree) > MAX_KBM_INT:
            raise ConfigError(
                f"keyboard mapping octave_degree={self.octave_degree}: must be within "
                f"+-{MAX_KBM_INT}"
            )
        for name in ("first_note", "last_note", "middle_note", "reference_note"):
            value = getattr(self, name)
            if not 0 <= value <= 127:
                raise ConfigError(f"keyboard mapping {name}={value}: must be a MIDI key 0..127")
        if self.first_note > self.last_note:
            raise ConfigError(
                f"keyboard mapping first_note={self.first_note} > last_note={self.last_note}; "
                "swap them (first <= last)"
            )
        hz = float(self.reference_hz)
        if not (math.isfinite(hz) and hz > 0):
            raise ConfigError(
                f"keyboard mapping reference_hz={self.reference_hz!r}: must be a finite "
                "frequency > 0 Hz (e.g. 440.0)"
            )
        object.__setattr__(self, "reference_hz", hz)
        entries = list(self.entries)
        if len(entries) > self.map_size:
            raise ConfigError(
                f"keyboard mapping: {len(entries)} entries for map_size={self.map_size}; "
                "give at most map_size entries (or raise map_size)"
            )
        for r, e in enumerate(entries):
            if e is None:
                continue
            if isinstance(e, bool) or not isinstance(e, int | np.integer):
                raise ConfigError(
                    f"keyboard mapping entry {r}={e!r}: must be a scale degree (int) or None (x)"
                )
            entries[r] = int(e)
            if abs(entries[r]) > MAX_KBM_INT:
                raise ConfigError(
                    f"keyboard mapping entry {r}={e}: a degree must be within +-{MAX_KBM_INT}"
                )
        entries += [None] * (self.map_size - len(entries))
        object.__setattr__(self, "entries", tuple(entries))
        if self.map_size > 0:
            r = (self.reference_note - self.middle_note) % self.map_size
            if self.entries[r] is None:
                raise ConfigError(
                    f"keyboard mapping: reference note {self.reference_note} falls on mapping "
                    f"entry {r}, which is unmapped (x); map that entry or choose a mapped "
                    "reference note"
                )

    @classmethod
    def standard(
        cls,
        *,
        reference_note: int = 60,
        reference_hz: float = DEFAULT_REFERENCE_HZ,
        middle_note: int = 60,
    ) -> KeyboardMapping:
        """The linear mapping: degree 0 on ``middle_note``, ``reference_note`` at ``reference_hz``.

        With the defaults this is tuning-library's default ``KeyboardMapping()`` (scale degree 0
        sounds at MIDI 60 = 261.6256 Hz); ``standard(reference_note=69, reference_hz=440.0)`` is
        its ``tuneA69To(440)``.
        """
        return cls(
            map_size=0,
            middle_note=middle_note,
            reference_note=reference_note,
            reference_hz=reference_hz,
        )

    @property
    def is_linear(self) -> bool:
        """Whether the mapping is linear (``map_size == 0``): key n plays degree n - middle."""
        return self.map_size == 0

    def key_degrees(self, keys: np.ndarray, n_notes: int) -> tuple[np.ndarray, np.ndarray]:
        """Scale degree played by each key (Scala semantics) and whether it is mapped.

        Parameters
        ----------
        keys : ndarray of int, shape (K,)
            MIDI key numbers (any integers: the pattern extends beyond 0..127).
        n_notes : int
            The scale's note count N (the formal octave when ``octave_degree == 0``).

        Returns
        -------
        degrees : ndarray of int64, shape (K,)
            Degree of each key (0 where unmapped).
        mapped : ndarray of bool, shape (K,)
        """
        keys = np.asarray(keys, dtype=np.int64)
        offset = keys - self.middle_note
        if self.map_size == 0:
            return offset, np.ones(keys.shape, dtype=bool)
        q, r = np.divmod(offset, self.map_size)
        table = np.array([0 if e is None else e for e in self.entries], dtype=np.int64)
        mapped_entry = np.array([e is not None for e in self.entries], dtype=bool)
        formal = self.octave_degree if self.octave_degree != 0 else n_notes
        degrees = np.where(mapped_entry[r], table[r] + q * formal, 0)
        return degrees, mapped_entry[r]

    def retuned_keys(self) -> np.ndarray:
        """Mask of the keys ``first_note..last_note`` that the mapping asks to retune, (128,)."""
        keys = np.arange(128)
        return (keys >= self.first_note) & (keys <= self.last_note)
