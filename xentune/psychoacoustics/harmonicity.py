"""Template-matching harmonicity of line spectra (Milne 2013 peak, Harrison & Pearce 2018 KL)."""

from __future__ import annotations

import math

import torch

from xentune.errors import ConfigError
from xentune.psychoacoustics.pool import chord_partials
from xentune.units import DEFAULT_REFERENCE_HZ

__all__ = [
    "HARMONICITY_KINDS",
    "chord_harmonicity",
    "harmonic_template",
    "harmonicity",
    "pitch_class_spectrum",
    "virtual_pitch_profile",
]

#: The two summaries of the virtual-pitch profile: its peak (Milne 2013) or its KL divergence
#: from a flat profile (Harrison & Pearce 2018).
HARMONICITY_KINDS = ("peak", "kl")

#: Octave in cents: the circle of the pitch-class axis.
_OCTAVE_CENTS = 1200.0


def _half_width_bins(sigma_cents: float, bin_cents: float, truncate: float) -> int:
    """Half-width of the Gaussian window in bins: ``floor(truncate * sigma)`` as in hrep (81 bins)."""
    return int(math.floor(truncate * sigma_cents / bin_cents))


def pitch_class_spectrum(
    freqs_hz: torch.Tensor,
    amps: torch.Tensor,
    *,
    sigma_cents: float = 6.83,
    n_bins: int = 1200,
    truncate: float = 12.0,
    reference_hz: float = DEFAULT_REFERENCE_HZ,
) -> torch.Tensor:
    """Gaussian-smoothed circular pitch-class spectrum of a line spectrum.

    Each partial adds ``amp * N(x; c, sigma)`` (a normal density in 1/cent) at its continuous
    pitch class ``c = 1200 log2(f / reference_hz) mod 1200`` cents, sampled on ``n_bins`` equal
    bins of the octave circle and truncated at ``truncate`` standard deviations, as hrep's
    ``milne_pc_spectrum`` does; unlike hrep, partials are not rounded to the nearest bin, so the
    spectrum moves smoothly with the frequencies.

    Parameters
    ----------
    freqs_hz : Tensor, shape (..., P)
        Partial frequencies in Hz, > 0. Differentiable.
    amps : Tensor, shape (..., P)
        Partial weights (linear amplitudes, >= 0; 0 silences a partial). Differentiable.
    sigma_cents : float
        Standard deviation of the pitch smoothing in cents (6.83, Milne & Holland 2016).
    n_bins : int
        Bins per octave (1200: one bin per cent).
    truncate : float
        Window half-width in standard deviations (12, as hrep).
    reference_hz : float
        Frequency of pitch class 0 (only shifts the circle).

    Returns
    -------
    Tensor, shape (..., n_bins)
        Weight per bin, in amplitude per cent.
    """
    bin_cents = _OCTAVE_CENTS / n_bins
    half = _half_width_bins(sigma_cents, bin_cents, truncate)
    if 2 * half + 1 > n_bins:
        raise ConfigError(
            f"n_bins={n_bins} is too small for sigma={sigma_cents} cents; use more bins"
        )
    batch_shape = freqs_hz.shape[:-1]
    f = freqs_hz.reshape(-1, freqs_hz.shape[-1])  # (B, P) Hz
    a = amps.expand_as(freqs_hz).reshape(-1, freqs_hz.shape[-1])  # (B, P)
    pc_bins = torch.remainder(
        torch.log2(f / reference_hz) * n_bins, n_bins
    )  # (B, P) bins in [0, n)
    centre = torch.round(pc_bins).detach().long()  # (B, P) nearest bin
    offsets = torch.arange(-half, half + 1, device=f.device)  # (K,)
    idx = centre.unsqueeze(-1) + offsets  # (B, P, K) bin numbers, not yet wrapped
    dist_cents = (idx.to(f.dtype) - pc_bins.unsqueeze(-1)) * bin_cents  # (B, P, K) cents
    norm = 1.0 / (sigma_cents * math.sqrt(2.0 * math.pi))  # 1 / cent
    vals = (
        a.unsqueeze(-1) * norm * torch.exp(-0.5 * (dist_cents / sigma_cents).square())
    )  # (B, P, K)
    out = torch.zeros(f.shape[0], n_bins, dtype=f.dtype, device=f.device)
    out = out.scatter_add(-1, torch.remainder(idx, n_bins).flatten(-2), vals.flatten(-2))  # (B, n)
    return out.reshape(*batch_shape, n_bins)


def harmonic_template(
    *,
    n_harmonics: int = 12,
    rho: float = 0.75,
    sigma_cents: float = 6.83,
    n_bins: int = 1200,
    truncate: float = 12.0,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Pitch-class spectrum of the harmonic template: harmonics 1..n at pitch class 0, weights ``n^-rho``.

    Returns
    -------
    Tensor, shape (n_bins,)
    """
    n = torch.arange(1, n_harmonics + 1, dtype=dtype, device=device)  # (H,)
    return pitch_class_spectrum(
        n * DEFAULT_REFERENCE_HZ,
        n.pow(-rho),
        sigma_cents=sigma_cents,
        n_bins=n_bins,
        truncate=truncate,
        reference_hz=DEFAULT_REFERENCE_HZ,
    )


def virtual_pitch_profile(
    freqs_hz: torch.Tensor,
    amps: torch.Tensor,
    *,
    sigma_cents: float = 6.83,
    n_harmonics: int = 12,
    rho: float = 0.75,
    n_bins: int = 1200,
    truncate: float = 12.0,
    eps: float = 1e-30,
) -> torch.Tensor:
    """Cosine similarity of the spectrum with the harmonic template rotated to every pitch class.

    Entry ``k`` is ``<T, roll(X, -k)> / (|T| |X|)``: how well a harmonic series with its
    fundamental at pitch class ``k`` bins explains the partials (hrep/incon ``sweep_template``),
    computed for all ``k`` at once as a circular cross-correlation with the FFT.

    Parameters
    ----------
    freqs_hz, amps : Tensor, shape (..., P)
        Partials (Hz, linear amplitude). Differentiable.
    sigma_cents, n_harmonics, rho, n_bins, truncate
        See `pitch_class_spectrum` and `harmonic_template`.
    eps : float
        Guards the division for an all-silent spectrum.

    Returns
    -------
    Tensor, shape (..., n_bins)
        Values in [0, 1].
    """
    spec = pitch_class_spectrum(
        freqs_hz, amps, sigma_cents=sigma_cents, n_bins=n_bins, truncate=truncate
    )
    template = harmonic_template(
        n_harmonics=n_harmonics,
        rho=rho,
        sigma_cents=sigma_cents,
        n_bins=n_bins,
        truncate=truncate,
        dtype=spec.dtype,
        device=spec.device,
    )  # (n_bins,)
    # corr[k] = sum_g T[g] X[g + k]  ->  irfft(conj(F T) * F X)
    corr = torch.fft.irfft(
        torch.fft.rfft(spec, dim=-1) * torch.fft.rfft(template).conj(), n=n_bins, dim=-1
    )
    norms = spec.square().sum(-1, keepdim=True).sqrt() * template.square().sum().sqrt()  # (..., 1)
    return corr / (norms + eps)  # (..., n_bins)


def harmonicity(
    freqs_hz: torch.Tensor,
    amps: torch.Tensor,
    *,
    kind: str = "peak",
    sigma_cents: float = 6.83,
    n_harmonics: int = 12,
    rho: float = 0.75,
    n_bins: int = 1200,
    truncate: float = 12.0,
    eps: float = 1e-30,
) -> torch.Tensor:
    """Harmonicity of a line spectrum by template matching (higher = more harmonic).

    The partials are placed on a circular pitch-class axis (continuous cents, each smoothed by a
    Gaussian of ``sigma_cents``) and compared with a harmonic template of ``n_harmonics``
    harmonics weighted ``n^-rho`` at every candidate fundamental (`virtual_pitch_profile`).

    - ``kind="peak"``: the maximum of that profile, Milne's (2013) harmonicity
      (incon ``milne_13_harmonicity``); 1 for a tone whose partials are exactly the template.
    - ``kind="kl"``: the KL divergence (bits) of the profile, normalised to sum 1, from the
      uniform distribution, Harrison & Pearce's (2018) harmonicity (incon ``har_18_harmonicity``).

    Differences from incon/hrep, on purpose: partials keep their continuous pitch (hrep rounds
    each to the nearest cent, and takes MIDI numbers), the spectrum is the timbre actually given
    (hrep expands every chord tone to ``n_harmonics`` harmonics weighted ``n^-rho``; pass that
    spectrum to reproduce it), and every voice counts (hrep first reduces a chord to its
    pitch-class set). With hrep's spectrum the values agree with incon's to ~1e-3 (the rounding).

    Parameters
    ----------
    freqs_hz : Tensor, shape (..., P)
        Partial frequencies in Hz, > 0. Differentiable.
    amps : Tensor, shape (..., P)
        Partial amplitudes, >= 0. Differentiable.
    kind : {"peak", "kl"}
    sigma_cents : float
        Pitch smoothing, cents (6.83).
    n_harmonics : int
        Harmonics in the template (12).
    rho : float
        Template roll-off: harmonic n has weight ``n^-rho`` (0.75).
    n_bins : int
        Bins of the pitch-class circle (1200, one per cent).
    truncate : float
        Gaussian window half-width in standard deviations (12).
    eps : float
        Keeps ``p log p`` and the normalisations finite (and differentiable) at 0.

    Returns
    -------
    Tensor, shape (...)

    References
    ----------
    A. J. Milne, W. A. Sethares, R. Laney & D. B. Sharp, "Modelling the similarity of pitch
    collections with expectation tensors", J. Math. & Music 5(1):1-20 (2011); A. J. Milne &
    S. Holland, J. Math. & Music 10(1):59-85 (2016) (sigma, rho, 12 harmonics);
    P. M. C. Harrison & M. T. Pearce, "An energy-based generative sequence model for testing
    sensory theories of Western harmony", ISMIR 2018; pmcharrison/hrep and pmcharrison/incon.

    Examples
    --------
    >>> n = torch.arange(1.0, 13.0, dtype=torch.float64)
    >>> round(float(harmonicity(440.0 * n, n ** -0.75)), 6)  # a tone that is its own template
    1.0
    >>> round(float(harmonicity(440.0 * n ** 1.07, n ** -0.75)), 2)  # stretched partials: less
    0.68
    """
    if kind not in HARMONICITY_KINDS:
        raise ConfigError(f"unknown harmonicity kind {kind!r}; use 'peak' or 'kl'")
    profile = virtual_pitch_profile(
        freqs_hz,
        amps,
        sigma_cents=sigma_cents,
        n_harmonics=n_harmonics,
        rho=rho,
        n_bins=n_bins,
        truncate=truncate,
        eps=eps,
    )  # (..., n_bins)
    if kind == "peak":
        return profile.amax(-1)
    p = profile.clamp_min(0.0)  # FFT round-off can leave -1e-17 where the profile is 0
    p = p / (p.sum(-1, keepdim=True) + eps)  # (..., n_bins) probabilities
    return (p * torch.log2(p * n_bins + eps)).sum(-1)


def chord_harmonicity(
    f0_hz: torch.Tensor,
    ratios: torch.Tensor,
    amps: torch.Tensor,
    *,
    voice_amplitudes: torch.Tensor | None = None,
    kind: str = "peak",
    sigma_cents: float = 6.83,
    n_harmonics: int = 12,
    rho: float = 0.75,
    n_bins: int = 1200,
    truncate: float = 12.0,
    eps: float = 1e-30,
) -> torch.Tensor:
    """Harmonicity of a chord of ``V`` voices sharing one timbre (partials pooled, then `harmonicity`).

    Parameters
    ----------
    f0_hz : Tensor, shape (..., V)
        Voice frequencies in Hz. Differentiable.
    ratios : Tensor, shape (P,)
        Partial ratios of the timbre.
    amps : Tensor, shape (P,)
        Partial amplitudes of the timbre.
    voice_amplitudes : Tensor, shape (..., V), optional
        Gain per voice (default 1).
    kind, sigma_cents, n_harmonics, rho, n_bins, truncate, eps
        As `harmonicity`.

    Returns
    -------
    Tensor, shape (...)
    """
    freqs, pooled = chord_partials(f0_hz, ratios, amps, voice_amplitudes)  # (..., V*P)
    return harmonicity(
        freqs,
        pooled,
        kind=kind,
        sigma_cents=sigma_cents,
        n_harmonics=n_harmonics,
        rho=rho,
        n_bins=n_bins,
        truncate=truncate,
        eps=eps,
    )
