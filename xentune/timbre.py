"""Timbre presets and the spec parser (preset, partials file, ``audio:``) -> `Spectrum`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path

from xentune.errors import SpecError
from xentune.safe_read import parse_json, parse_toml, read_text
from xentune.spectrum import MAX_PARTIALS, Spectrum, spectrum_from_dict
from xentune.units import cents_to_ratio, ratio_to_cents

__all__ = [
    "PRESETS",
    "free_bar_ratios",
    "parse_timbre",
]

#: Largest timbre file read, in bytes (256 partials with names and decays take under 40 kB).
MAX_TIMBRE_FILE_BYTES = 2**20


# --------------------------------------------------------------------------------------------
# Presets


def free_bar_ratios(n_partials: int) -> list[float]:
    """Partial ratios of an ideal free-free (Euler-Bernoulli) bar: ``(beta_k / beta_1) ** 2``.

    ``beta_k`` are the roots of ``cos(x) cosh(x) = 1`` (4.73004, 7.85320, 10.99561, ...), so the
    ratios are 1, 2.75654, 5.40392, 8.93295, 13.34429, ... (Sethares quotes f, 2.73f, 5.4f, 8.9f
    for his "ideal bar"; the exact roots give 2.7565).

    References
    ----------
    Fletcher & Rossing, *The Physics of Musical Instruments*, 2nd ed. (1998), §2.14 (free bar).
    """
    from scipy.optimize import brentq

    def f(x: float) -> float:
        # cos x cosh x - 1, divided by cosh x to keep it O(1) for large x.
        return math.cos(x) - 1.0 / math.cosh(x)

    roots = []
    for k in range(1, n_partials + 1):
        guess = (2 * k + 1) * math.pi / 2
        roots.append(brentq(f, guess - 0.5, guess + 0.5, xtol=1e-14))
    return [(b / roots[0]) ** 2 for b in roots]


#: Tuned church bell, the five partials founders tune (hum, prime, tierce, quint, nominal), as
#: ratios to the prime: 1/2, 1, 6/5 (minor third), 3/2, 2 -- the "Simpson" or Hemony five-tone
#: principle (W. A. Hibbert, *The Quantification of Strike Pitch and Pitch Shifts in Church Bells*,
#: PhD thesis, Open University 2008, ch. 2), with the two strongest upper rim partials of a typical
#: bell, the superquint (~3.0) and octave nominal (~4.0; Hibbert reports 3.9-4.2 across bells, 4.17
#: chosen as typical, which makes the bell audibly inharmonic).
_BELL_RATIOS = (0.5, 1.0, 1.2, 1.5, 2.0, 2.99, 4.17)
_BELL_AMPS = (0.6, 0.7, 1.0, 0.4, 0.9, 0.5, 0.35)
_BELL_DECAY_S = (6.0, 3.0, 2.5, 1.5, 2.0, 1.0, 0.7)

#: Saron-like gamelan metallophone (keyed bronze bar on a trough), partial ratios 1, 2.76, 4.72,
#: 5.92 as reported for the saron in W. A. Sethares, *Tuning, Timbre, Spectrum, Scale* (2nd ed.,
#: 2005), ch. 11 ("A Gamelan of Sound"); quoted second-hand (the primary table could not be read
#: here), amplitudes decaying with partial number.
_GAMELAN_RATIOS = (1.0, 2.76, 4.72, 5.92)
_GAMELAN_AMPS = (1.0, 0.55, 0.35, 0.25)
_GAMELAN_DECAY_S = (2.5, 1.2, 0.6, 0.5)


def _int_param(
    params: Mapping[str, str], key: str, default: int, *, spec: str, lo: int, hi: int
) -> int:
    raw = params.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SpecError(f"{spec}: {key}={raw} is not an integer (e.g. {key}={default})") from None
    if not lo <= value <= hi:
        raise SpecError(f"{spec}: {key}={value} is out of range; {key} must be in {lo}..{hi}")
    return value


def _float_param(
    params: Mapping[str, str],
    key: str,
    default: float,
    *,
    spec: str,
    check: Callable[[float], bool],
    rule: str,
) -> float:
    raw = params.get(key)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SpecError(f"{spec}: {key}={raw} is not a number (e.g. {key}={default})") from None
    if not math.isfinite(value) or not check(value):
        raise SpecError(f"{spec}: {key}={raw}: {rule} (e.g. {key}={default})")
    return value


def _partials(params: Mapping[str, str], spec: str, default: int) -> int:
    return _int_param(params, "partials", default, spec=spec, lo=1, hi=MAX_PARTIALS)


def _rolloff(params: Mapping[str, str], spec: str, default: float) -> float:
    return _float_param(
        params,
        "rolloff",
        default,
        spec=spec,
        check=lambda r: 0 < r <= 1,
        rule="rolloff must be in (0, 1]",
    )


def _harmonic(params: Mapping[str, str], spec: str) -> Spectrum:
    n = _partials(params, spec, 6)
    rolloff = _rolloff(params, spec, 0.88)
    ratios = tuple(float(k) for k in range(1, n + 1))
    amps = tuple(rolloff ** (k - 1) for k in range(1, n + 1))
    return Spectrum(ratios, amps, name=spec, pseudo_octave=2.0)


def _sawtooth(params: Mapping[str, str], spec: str) -> Spectrum:
    n = _partials(params, spec, 10)
    ratios = tuple(float(k) for k in range(1, n + 1))
    return Spectrum(ratios, tuple(1.0 / k for k in range(1, n + 1)), name=spec, pseudo_octave=2.0)


def _square(params: Mapping[str, str], spec: str) -> Spectrum:
    n = _partials(params, spec, 8)
    odd = [2 * k - 1 for k in range(1, n + 1)]
    return Spectrum(
        tuple(float(k) for k in odd), tuple(1.0 / k for k in odd), name=spec, pseudo_octave=2.0
    )


def _stretched(params: Mapping[str, str], spec: str) -> Spectrum:
    octave = _float_param(
        params,
        "octave",
        2.1,
        spec=spec,
        check=lambda a: 1 < a <= 4,
        rule="octave must be > 1 and <= 4",
    )
    n = _partials(params, spec, 6)
    rolloff = _rolloff(params, spec, 0.88)
    exponent = math.log2(octave)
    ratios = tuple(float(k) ** exponent for k in range(1, n + 1))
    amps = tuple(rolloff ** (k - 1) for k in range(1, n + 1))
    return Spectrum(ratios, amps, name=spec, pseudo_octave=octave)


def _edo(params: Mapping[str, str], spec: str) -> Spectrum:
    n_edo = _int_param(params, "n", 12, spec=spec, lo=1, hi=1200)
    n = _partials(params, spec, 7)
    rolloff = _rolloff(params, spec, 0.88)
    step = 1200.0 / n_edo
    ratios = tuple(cents_to_ratio(round(ratio_to_cents(k) / step) * step) for k in range(1, n + 1))
    amps = tuple(rolloff ** (k - 1) for k in range(1, n + 1))
    return Spectrum(ratios, amps, name=spec, pseudo_octave=2.0)


def _bar(params: Mapping[str, str], spec: str) -> Spectrum:
    n = _int_param(params, "partials", 4, spec=spec, lo=1, hi=32)
    rolloff = _rolloff(params, spec, 1.0)
    ratios = tuple(free_bar_ratios(n))
    amps = tuple(rolloff**k for k in range(n))
    # Higher modes of a struck bar damp faster; time constant ~ 1/frequency (2 s at the fundamental).
    decay = tuple(2.0 / r for r in ratios)
    return Spectrum(ratios, amps, name=spec, decay_s=decay)


def _fixed(
    ratios: tuple[float, ...], amps: tuple[float, ...], decay: tuple[float, ...]
) -> Callable[[Mapping[str, str], str], Spectrum]:
    def make(params: Mapping[str, str], spec: str) -> Spectrum:
        return Spectrum(ratios, amps, name=spec, decay_s=decay)

    return make


#: Preset name -> (builder, accepted keys, one-line description).
PRESETS: dict[str, tuple[Callable[[Mapping[str, str], str], Spectrum], tuple[str, ...], str]] = {
    "harmonic": (_harmonic, ("partials", "rolloff"), "partial k at k, amplitude rolloff^(k-1)"),
    "sawtooth": (_sawtooth, ("partials",), "partial k at k, amplitude 1/k"),
    "square": (_square, ("partials",), "odd partials k at k, amplitude 1/k"),
    "stretched": (_stretched, ("octave", "partials", "rolloff"), "partial k at k^log2(octave)"),
    "edo": (
        _edo,
        ("n", "partials", "rolloff"),
        "harmonic partials moved to the nearest n-EDO step",
    ),
    "bar": (_bar, ("partials", "rolloff"), "ideal free bar: 1, 2.757, 5.404, 8.933, ..."),
    "bell": (_fixed(_BELL_RATIOS, _BELL_AMPS, _BELL_DECAY_S), (), "tuned church bell, 7 partials"),
    "gamelan": (
        _fixed(_GAMELAN_RATIOS, _GAMELAN_AMPS, _GAMELAN_DECAY_S),
        (),
        "saron-like metallophone",
    ),
}


# --------------------------------------------------------------------------------------------
# Files


def _load_file(path: Path) -> Spectrum:
    what = "timbre file (a .json or .toml partial list)"
    text = read_text(path, what=what, error=SpecError, max_bytes=MAX_TIMBRE_FILE_BYTES)
    if path.suffix.lower() == ".toml":
        data = parse_toml(text, where=str(path), error=SpecError)
    else:
        data = parse_json(text, where=str(path), error=SpecError, allow_nan=True)
    return spectrum_from_dict(data, where=str(path))


# --------------------------------------------------------------------------------------------
# The spec parser


def parse_timbre(spec: str) -> Spectrum:
    """Parse a timbre SPEC: ``NAME[:key=value,...]``, a ``.json``/``.toml`` file, or ``audio:PATH``.

    Parameters
    ----------
    spec : str
        E.g. ``harmonic``, ``harmonic:partials=6,rolloff=0.88``, ``stretched:octave=2.1``,
        ``edo:n=10``, ``bar``, ``bell``, ``gamelan``, ``my_timbre.json``, ``audio:note.wav``.

    Returns
    -------
    Spectrum

    Raises
    ------
    SpecError
        Unknown preset, unknown or malformed key, a value that makes no physical sense, or a
        partials file that is missing or malformed. The message shows the spec and the fix.

    Examples
    --------
    >>> parse_timbre("harmonic:partials=3,rolloff=0.5").amplitudes
    (1.0, 0.5, 0.25)
    """
    spec = spec.strip()
    if not spec:
        raise SpecError(
            "empty timbre spec; use e.g. --timbre harmonic or --timbre stretched:octave=2.1"
        )
    if spec.startswith("audio:"):
        from xentune.psychoacoustics.listen import spectrum_from_audio_spec

        return spectrum_from_audio_spec(spec)
    lowered = spec.lower()
    if lowered.endswith((".json", ".toml")) or "/" in spec or "\\" in spec:
        return _load_file(Path(spec))
    name, _, rest = spec.partition(":")
    name = name.strip().lower()
    if name not in PRESETS:
        known = ", ".join(sorted(PRESETS))
        raise SpecError(
            f"unknown timbre {spec!r}; use one of {known}, a .json/.toml partials file, or audio:PATH"
        )
    builder, keys, _ = PRESETS[name]
    params: dict[str, str] = {}
    if rest.strip():
        for item in rest.split(","):
            key, eq, value = item.partition("=")
            key = key.strip().lower()
            if not eq or not key or not value.strip():
                raise SpecError(f"{spec}: {item!r} is not key=value (e.g. {name}:partials=6)")
            if key not in keys:
                allowed = ", ".join(keys) if keys else "no options"
                raise SpecError(f"{spec}: unknown option {key!r} for {name}; it takes {allowed}")
            if key in params:
                raise SpecError(f"{spec}: option {key!r} given twice")
            params[key] = value.strip()
    return builder(params, spec)
