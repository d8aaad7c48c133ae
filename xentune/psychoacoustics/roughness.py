"""Sensory roughness of line spectra: Sethares, Vassilakis, Hutchinson-Knopoff (batched, differentiable).

Two entry points share one per-pair formula per model, so they agree to rounding:

- `roughness` (and the per-model kernels in `MODELS`): any line spectrum ``(..., P)``, summed
  over its ``P (P - 1) / 2`` unordered pairs of partials. Simple and obvious; the reference.
- `chord_roughness`: chords of ``V`` voices that share one timbre, ``(..., V)`` fundamentals.
  The same number as ``roughness(*chord_partials(f0, ratios, amps))``, computed without
  materialising the pooled spectrum: the ``V P (P - 1) / 2`` within-voice pairs and the
  ``V (V - 1) / 2 * P^2`` cross-voice pairs are laid out as two dense blocks whose constant parts
  (partial ratios, pair weights) are precomputed. Every pair is kept: there is no pair cut-off,
  so the result is exact up to floating-point summation order (measured below 1e-6 relative in
  float32 and 1e-13 in float64 against `roughness`). A cut-off at ``x > 4.6`` (term below 1e-7 of its
  weight) would skip 63.5% of the pairs of the benchmark's 4-voice chords, but which pairs is
  data-dependent (low voices pack partials densely), so it would need ragged gathers or a
  host-side sync per batch, and it is not applied: the fixed-shape sum stays exact.

Conventions (checked against every reference in ``tests/psychoacoustics``):

- Pairs are **unordered** and counted **once**, within-tone pairs included, for every model.
  Two identical harmonic tones in unison therefore do not give 0; a single pure tone does.
- ``sethares`` is Sethares' own ``dissmeasure`` (TTSS 2005, app. E): ``5 min(a_i, a_j)
  (e^{-3.51 x} - e^{-5.75 x})``, ``x = 0.24 |df| / (0.0207 f_min + 18.96)``. It reproduces the
  MATLAB regression ratios 2.9194 / 3.9161 / 3.9194 / 4.8657 and the absolute value
  ``dissmeasure([440, 460], [1, 1]) = 0.87303``.
- ``sethares1993`` is the JASA 1993 paper: product ``a_i a_j``, b1 = 3.5, s1 = 0.021, s2 = 19, no
  factor 5. The PyPI package ``dissonant`` (0.1.1) calls its model ``sethares1993`` but uses the
  MATLAB band constants s1 = 0.0207, s2 = 18.96; with those two passed
  (``sethares1993_roughness(f, a, s1=0.0207, s2=18.96)``) we equal it to 1e-12 in float64.
- ``vassilakis`` is ``(a_i a_j)^0.1 * 0.5 * (2 a_min / (a_i + a_j))^3.11 * (e^{-3.5 x} - e^{-5.75 x})``
  summed once per unordered pair. incon (``roughness_vass``) doubles that sum; ``dissonant``'s
  ``vassilakis2001`` drops the 0.5 (so it is also twice ours) and uses the amplitude of the
  *higher* partial where Vassilakis has ``a_min``: it equals ``2 *`` ours exactly when every
  higher partial is also the quieter one (pure-tone pairs of equal amplitude, one decaying tone).
  Counting once is what Vassilakis' own p. 210 dyad table supports: our values are a constant
  99.9 +- 0.1 times smaller than the published ones (incon's doubled sum gives the ~49.9 quoted
  in ``reference/psychoacoustics.md`` §2.1), so the published table is ours times 100.
- ``hutchinson`` is Hutchinson & Knopoff (1978) as implemented by Mashinter (2006) and incon:
  ``sum_{i<j} a_i a_j g(y_ij) / sum_i a_i^2``; it gives incon's 0.499 / 0.484 (MIDI 60 61, 1 and
  11 harmonics) and 0.1202426 / 0.1300830 (major / minor triad, 11 harmonics ``1/n``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch

from xentune.errors import ConfigError
from xentune.psychoacoustics.roughness_pairs import (
    HUTCHINSON,
    PAIR_MODELS,
    SETHARES,
    SETHARES1993,
    VASSILAKIS,
    PairModel,
    chord_pair_sum,
    pair_terms,
)

__all__ = [
    "MODELS",
    "chord_roughness",
    "hutchinson_roughness",
    "roughness",
    "sethares1993_roughness",
    "sethares_roughness",
    "vassilakis_roughness",
]

#: Largest number of pairs evaluated at once by the eager chord path (bounds its temporaries to
#: about 16 MiB each in float32).
_EAGER_CHUNK_PAIRS = 1 << 22


def _hk_normalise(numerator: torch.Tensor, energy: torch.Tensor) -> torch.Tensor:
    """``numerator / energy`` with 0 for a silent spectrum (``energy == 0``) instead of NaN."""
    nonzero = energy > 0
    safe = torch.where(nonzero, energy, torch.ones_like(energy))
    return torch.where(nonzero, numerator / safe, torch.zeros_like(numerator))


def _spectrum_roughness(
    freqs_hz: torch.Tensor, amps: torch.Tensor, model: PairModel
) -> torch.Tensor:
    """Sum of `pair_terms` over the unordered pairs ``i < j`` of a spectrum ``(..., P)``."""
    n = freqs_hz.shape[-1]
    i, j = torch.triu_indices(n, n, offset=1, device=freqs_hz.device)  # (2, P(P-1)/2)
    weight = model.weight(amps[..., i], amps[..., j])  # (..., pairs)
    total = pair_terms(freqs_hz[..., i], freqs_hz[..., j], weight, model).sum(-1)  # (...)
    if model.curve == "hk":
        return _hk_normalise(total, amps.square().sum(-1))
    return model.scale * total


def sethares_roughness(freqs_hz: torch.Tensor, amps: torch.Tensor) -> torch.Tensor:
    """Sethares' ``dissmeasure``: ``5 sum_{i<j} min(a_i, a_j) (e^{-3.51 x} - e^{-5.75 x})``.

    ``x = s |f_i - f_j|`` with ``s = 0.24 / (0.0207 f_min + 18.96)`` (1/Hz), so ``x`` is in
    critical-band units and one pair peaks at ``x = ln(5.75/3.51)/(5.75-3.51) = 0.2203``, about a
    quarter of a critical band (25.8 Hz apart at 440 Hz). All unordered pairs of partials count
    once, within-tone pairs included.

    Parameters
    ----------
    freqs_hz : Tensor, shape (..., P)
        Partial frequencies in Hz, any order. Differentiable.
    amps : Tensor, shape (..., P)
        Linear partial amplitudes, >= 0. Differentiable (``min`` splits its gradient at ties).

    Returns
    -------
    Tensor, shape (...)

    References
    ----------
    W. A. Sethares, *Tuning, Timbre, Spectrum, Scale*, 2nd ed. (2005), ``dissmeasure.m``
    (sethares.engr.wisc.edu/comprog.html); regression ratios from pmcharrison/incon.

    Examples
    --------
    >>> f = torch.tensor([440.0, 460.0], dtype=torch.float64)
    >>> round(float(sethares_roughness(f, torch.ones(2, dtype=torch.float64))), 5)
    0.87303
    """
    return _spectrum_roughness(freqs_hz, amps, SETHARES)


def sethares1993_roughness(
    freqs_hz: torch.Tensor, amps: torch.Tensor, *, s1: float = 0.021, s2: float = 19.0
) -> torch.Tensor:
    """Sethares (1993): ``sum_{i<j} a_i a_j (e^{-3.5 x} - e^{-5.75 x})``, ``x = 0.24 |df| / (s1 f_min + s2)``.

    Parameters
    ----------
    freqs_hz, amps : Tensor, shape (..., P)
        As in `sethares_roughness`. Differentiable.
    s1, s2 : float
        Band constants; the paper's 0.021 and 19 by default. ``s1=0.0207, s2=18.96`` (the MATLAB
        values) reproduce the ``sethares1993`` model of PyPI ``dissonant`` 0.1.1 to 1e-12 (float64).

    Returns
    -------
    Tensor, shape (...)

    References
    ----------
    W. A. Sethares, "Local consonance and the relationship between timbre and scale",
    JASA 94(3):1218-1228 (1993).
    """
    model = (
        SETHARES1993
        if (s1, s2) == (0.021, 19.0)
        else dataclasses.replace(SETHARES1993, s1=s1, s2=s2)
    )
    return _spectrum_roughness(freqs_hz, amps, model)


def vassilakis_roughness(freqs_hz: torch.Tensor, amps: torch.Tensor) -> torch.Tensor:
    """Vassilakis (2001): ``sum_{i<j} (a_i a_j)^0.1 0.5 (2 a_min/(a_i+a_j))^3.11 (e^{-3.5 x} - e^{-5.75 x})``.

    ``x = 0.24 |df| / (0.0207 f_min + 18.96)``. Each unordered pair counts **once** (incon doubles
    the sum; ``dissonant`` drops the 0.5 and uses the upper partial's amplitude for ``a_min``; see
    the module docstring). Zero-amplitude partials contribute exactly 0 with zero gradient.

    Parameters
    ----------
    freqs_hz, amps : Tensor, shape (..., P)
        As in `sethares_roughness`. Differentiable where amplitudes are positive.

    Returns
    -------
    Tensor, shape (...)

    References
    ----------
    P. N. Vassilakis, *Perceptual and physical properties of amplitude fluctuation and their
    musical significance*, PhD thesis, UCLA (2001), pp. 208-210.
    """
    return _spectrum_roughness(freqs_hz, amps, VASSILAKIS)


def hutchinson_roughness(freqs_hz: torch.Tensor, amps: torch.Tensor) -> torch.Tensor:
    """Hutchinson & Knopoff (1978): ``sum_{i<j} a_i a_j g(y_ij) / sum_i a_i^2``.

    ``y = |f_i - f_j| / cbw`` with ``cbw = 1.72 ((f_i + f_j)/2)^0.65`` Hz and
    ``g(y) = (4 y e^{1 - 4 y})^2`` for ``y <= 1.2``, 0 above (Mashinter's cut-off). ``g`` peaks
    at a quarter of a critical bandwidth. A silent spectrum gives 0, not NaN.

    Parameters
    ----------
    freqs_hz, amps : Tensor, shape (..., P)
        As in `sethares_roughness`. Differentiable.

    Returns
    -------
    Tensor, shape (...)

    References
    ----------
    W. Hutchinson & L. Knopoff, "The acoustic component of Western consonance",
    Interface 7(1):1-29 (1978); K. Mashinter (2006); as in pmcharrison/incon ``roughness_hutch``.
    """
    return _spectrum_roughness(freqs_hz, amps, HUTCHINSON)


#: Model name -> kernel ``(freqs_hz (..., P), amps (..., P)) -> (...)``.
MODELS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "sethares": sethares_roughness,
    "sethares1993": sethares1993_roughness,
    "vassilakis": vassilakis_roughness,
    "hutchinson": hutchinson_roughness,
}


def _model_spec(model: str) -> PairModel:
    try:
        return PAIR_MODELS[model]
    except KeyError:
        raise ConfigError(
            f"unknown roughness model {model!r}: use one of {', '.join(MODELS)}"
        ) from None


def roughness(
    freqs_hz: torch.Tensor, amps: torch.Tensor, *, model: str = "sethares"
) -> torch.Tensor:
    """Total roughness of a line spectrum under ``model`` (see `MODELS`).

    Parameters
    ----------
    freqs_hz : Tensor, shape (..., P)
        Partial frequencies in Hz. Differentiable.
    amps : Tensor, shape (..., P)
        Linear amplitudes, >= 0. Differentiable.
    model : {"sethares", "sethares1993", "vassilakis", "hutchinson"}

    Returns
    -------
    Tensor, shape (...)

    Raises
    ------
    ConfigError
        For an unknown model name.
    """
    _model_spec(model)
    return MODELS[model](freqs_hz, amps)


# --------------------------------------------------------------------------------------------
# Chords of one timbre: the fast path.


def chord_roughness(
    f0_hz: torch.Tensor,
    ratios: torch.Tensor,
    amps: torch.Tensor,
    *,
    model: str = "sethares",
    voice_amplitudes: torch.Tensor | None = None,
) -> torch.Tensor:
    """Roughness of chords whose voices share one spectrum (the fast path of `roughness`).

    Equals ``roughness(*chord_partials(f0_hz, ratios, amps, voice_amplitudes), model=model)``:
    every pair of the pooled ``V*P`` partials counts once, within-voice pairs included, with no
    pair cut-off. The ``V P (P-1)/2`` within-voice and ``V (V-1)/2 P^2`` cross-voice pairs are two
    dense blocks whose ratios and weights are precomputed from the timbre, so only the
    frequency-dependent part is evaluated per chord, and the pooled spectrum and its pair
    indices are never materialised.

    Parameters
    ----------
    f0_hz : Tensor, shape (..., V)
        Fundamental (nominal frequency) of each voice in Hz, > 0. Differentiable.
    ratios : Tensor, shape (P,)
        Partial frequency ratios of the timbre (any order).
    amps : Tensor, shape (P,)
        Partial amplitudes of the timbre, >= 0. Differentiable.
    model : {"sethares", "sethares1993", "vassilakis", "hutchinson"}
        See `MODELS`.
    voice_amplitudes : Tensor, shape (..., V), optional
        Gain of each voice (1 when omitted; 0 silences a voice). Differentiable.
    Returns
    -------
    Tensor, shape (...)
        In the dtype and on the device of the inputs.

    Raises
    ------
    ConfigError
        For an unknown model name.

    Examples
    --------
    >>> f0 = torch.tensor([[261.63, 329.63, 392.0]], dtype=torch.float64)
    >>> r = torch.arange(1.0, 7.0, dtype=torch.float64)
    >>> a = 0.88 ** (r - 1)
    >>> from xentune.psychoacoustics.pool import chord_partials
    >>> bool(torch.allclose(chord_roughness(f0, r, a), roughness(*chord_partials(f0, r, a))))
    True
    """
    spec = _model_spec(model)
    dtype = torch.result_type(f0_hz, ratios)
    dtype = torch.promote_types(dtype, amps.dtype)
    device = f0_hz.device
    n_voices, n_partials = f0_hz.shape[-1], ratios.shape[-1]
    batch_shape = f0_hz.shape[:-1]
    f0 = f0_hz.to(dtype).reshape(-1, n_voices)  # (B, V)
    r = ratios.to(device=device, dtype=dtype)  # (P,)
    a = amps.to(device=device, dtype=dtype)  # (P,)

    ip, iq = torch.triu_indices(n_partials, n_partials, offset=1, device=device)  # (T,)
    iv, iw = torch.triu_indices(n_voices, n_voices, offset=1, device=device)  # (K,)
    cp = torch.arange(n_partials, device=device).repeat_interleave(n_partials)  # (P*P,)
    cq = torch.arange(n_partials, device=device).repeat(n_partials)  # (P*P,)
    within_ratios = torch.stack([r[ip], r[iq]])  # (2, T)
    cross_ratios = torch.stack([r[cp], r[cq]])  # (2, P*P)
    f_lo, f_hi = f0[:, iv], f0[:, iw]  # (B, K) fundamentals of each voice pair
    if voice_amplitudes is None:
        gains = None
        energy = n_voices * a.square().sum()  # () sum of squared pooled amplitudes
        shared = (spec.weight(a[ip], a[iq]), spec.weight(a[cp], a[cq]))  # (T,), (P*P,)
    else:
        gains = voice_amplitudes.to(dtype).expand_as(f0_hz).reshape(-1, n_voices)  # (B, V)
        energy = gains.square().sum(-1) * a.square().sum()  # (B,)

    def chunk_sum(sl: slice) -> torch.Tensor:
        """Unscaled pair sum of chords ``sl``; per-chord weights are built chunk by chunk."""
        if gains is None:
            w_in, w_x = shared
        else:
            gs = gains[sl]  # (b, V)
            w_in = spec.weight(gs[..., None] * a[ip], gs[..., None] * a[iq])  # (b, V, T)
            w_x = spec.weight(gs[:, iv, None] * a[cp], gs[:, iw, None] * a[cq])  # (b, K, P*P)
        return chord_pair_sum(
            f0[sl], f_lo[sl], f_hi[sl], within_ratios, w_in, cross_ratios, w_x, spec
        )

    pairs_per_chord = max(1, n_voices * ip.numel() + iv.numel() * cp.numel())
    step = max(1, _EAGER_CHUNK_PAIRS // pairs_per_chord)  # bounds the (b, K, P*P) temporaries
    parts = [chunk_sum(slice(i, i + step)) for i in range(0, f0.shape[0], step)]
    total = torch.cat(parts) if parts else f0.new_zeros(0)  # (B,)

    if spec.curve == "hk":
        total = _hk_normalise(total, energy)
    else:
        total = spec.scale * total
    return total.reshape(batch_shape)
