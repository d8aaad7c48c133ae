"""Template-matching harmonicity of line spectra (Milne 2013 peak, Harrison & Pearce 2018 KL)."""

from __future__ import annotations

import math

import torch

from xentune.errors import ConfigError
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


#: Fourier coefficients of the smoothing Gaussian below this fraction of the first are dropped
#: (k > 268 for sigma = 6.83 cents): exact to float64 round-off, and 2.2x fewer than n_bins / 2.
_COEFFICIENT_FLOOR = 1e-20


def _n_coefficients(sigma_cents: float, n_bins: int) -> int:
    """How many Fourier coefficients (k = 0..K-1) carry the smoothed spectra."""
    k_max = (
        _OCTAVE_CENTS * math.sqrt(-math.log(_COEFFICIENT_FLOOR) / (2.0 * math.pi**2)) / sigma_cents
    )
    return min(n_bins // 2, math.ceil(k_max)) + 1


def _gaussian_coefficients(
    n_coeffs: int, sigma_cents: float, n_bins: int, *, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """DFT of one Gaussian (unit mass, SD ``sigma_cents``) sampled on the ``n_bins`` circle, at pitch class 0.

    Poisson summation: ``(n_bins / 1200) exp(-2 pi^2 (sigma k / 1200)^2)``; the aliased terms are
    below exp(-200) for any sigma > 3 cents, so this is the exact DFT of the sampled spectrum.

    Returns
    -------
    Tensor, shape (K,)
    """
    k = torch.arange(n_coeffs, dtype=dtype, device=device)  # (K,)
    return (n_bins / _OCTAVE_CENTS) * torch.exp(
        -2.0 * math.pi**2 * (sigma_cents * k / _OCTAVE_CENTS).square()
    )


def _line_coefficients(octaves: torch.Tensor, weights: torch.Tensor, n_coeffs: int) -> torch.Tensor:
    """``sum_j w_j exp(-2 pi i k x_j)`` for k = 0..K-1: the DFT of weighted lines at pitch ``x`` octaves.

    Parameters
    ----------
    octaves : Tensor, shape (..., J)
        Positions in octaves (only the fractional part matters). Differentiable.
    weights : Tensor, shape (..., J)
        Line weights. Differentiable.

    Returns
    -------
    Tensor, complex, shape (..., K)
    """
    k = torch.arange(n_coeffs, dtype=octaves.dtype, device=octaves.device)  # (K,)
    angle = (-2.0 * math.pi) * torch.remainder(octaves, 1.0).unsqueeze(-1) * k  # (..., J, K) rad
    real = (weights.unsqueeze(-1) * torch.cos(angle)).sum(-2)  # (..., K)
    imag = (weights.unsqueeze(-1) * torch.sin(angle)).sum(-2)  # (..., K)
    return torch.complex(real, imag)


def _energy(coeffs: torch.Tensor, n_bins: int) -> torch.Tensor:
    """``sum_n x[n]^2`` of the real ``n_bins``-periodic signal with one-sided DFT ``coeffs`` (Parseval)."""
    power = coeffs.real.square() + coeffs.imag.square()  # (..., K)
    twice = torch.full((coeffs.shape[-1],), 2.0, dtype=power.dtype, device=power.device)
    twice[0] = 1.0
    if 2 * (coeffs.shape[-1] - 1) == n_bins:  # the Nyquist coefficient is its own mirror
        twice[-1] = 1.0
    return (power * twice).sum(-1) / n_bins


def _template_coefficients(
    n_coeffs: int, n_harmonics: int, rho: float, gauss: torch.Tensor
) -> torch.Tensor:
    """DFT of the harmonic template: harmonics 1..n at pitch class 0 with weights ``n^-rho``. Shape (K,)."""
    n = torch.arange(1, n_harmonics + 1, dtype=gauss.dtype, device=gauss.device)  # (H,)
    return gauss * _line_coefficients(torch.log2(n), n.pow(-rho), n_coeffs)


def _profile_from_coefficients(
    spec: torch.Tensor, template: torch.Tensor, n_bins: int, eps: float
) -> torch.Tensor:
    """Cosine similarity of the template rotated to every bin: ``(..., K) -> (..., n_bins)``."""
    if spec.numel() == 0:  # an empty batch (e.g. the melodic steps of a one-chord piece): MKL's
        # irfft rejects it ("Inconsistent configuration parameters")
        return spec.real.new_zeros((*spec.shape[:-1], n_bins))
    corr = torch.fft.irfft(spec * template.conj(), n=n_bins, dim=-1)  # (..., n_bins)
    norms = (_energy(spec, n_bins) * _energy(template, n_bins)).sqrt().unsqueeze(-1)  # (..., 1)
    return corr / (norms + eps)


def _summarise(profile: torch.Tensor, kind: str, n_bins: int, eps: float) -> torch.Tensor:
    """Peak (Milne 2013) or KL divergence from uniform in bits (Harrison & Pearce 2018): ``(..., n) -> (...)``."""
    if kind == "peak":
        return profile.amax(-1)
    p = profile.clamp_min(0.0)  # FFT round-off can leave -1e-17 where the profile is 0
    p = p / (p.sum(-1, keepdim=True) + eps)  # (..., n_bins) probabilities
    return (p * torch.log2(p * n_bins + eps)).sum(-1)


def _check_kind(kind: str) -> None:
    if kind not in HARMONICITY_KINDS:
        raise ConfigError(f"unknown harmonicity kind {kind!r}; use 'peak' or 'kl'")


def virtual_pitch_profile(
    freqs_hz: torch.Tensor,
    amps: torch.Tensor,
    *,
    sigma_cents: float = 6.83,
    n_harmonics: int = 12,
    rho: float = 0.75,
    n_bins: int = 1200,
    eps: float = 1e-30,
) -> torch.Tensor:
    """Cosine similarity of the spectrum with the harmonic template rotated to every pitch class.

    Entry ``j`` is ``<T, roll(X, -j)> / (|T| |X|)``, with ``X = pitch_class_spectrum(...)`` and
    ``T = harmonic_template(...)``: how well a harmonic series with its fundamental at pitch
    class ``j`` bins explains the partials (hrep/incon ``sweep_template``). Computed in the
    Fourier domain: the DFT of a sum of Gaussians is known in closed form (`_gaussian_coefficients`
    times one phase per partial), so no spectrum is sampled, only one inverse FFT per chord.

    Parameters
    ----------
    freqs_hz, amps : Tensor, shape (..., P)
        Partials (Hz, linear amplitude). Differentiable.
    sigma_cents, n_harmonics, rho, n_bins
        See `pitch_class_spectrum` and `harmonic_template`.
    eps : float
        Guards the division for an all-silent spectrum.

    Returns
    -------
    Tensor, shape (..., n_bins)
        Values in [0, 1].
    """
    n_coeffs = _n_coefficients(sigma_cents, n_bins)
    gauss = _gaussian_coefficients(
        n_coeffs, sigma_cents, n_bins, dtype=freqs_hz.dtype, device=freqs_hz.device
    )
    octaves = torch.log2(freqs_hz / DEFAULT_REFERENCE_HZ)  # (..., P)
    spec = gauss * _line_coefficients(octaves, amps.expand_as(freqs_hz), n_coeffs)  # (..., K)
    template = _template_coefficients(n_coeffs, n_harmonics, rho, gauss)  # (K,)
    return _profile_from_coefficients(spec, template, n_bins, eps)


def harmonicity(
    freqs_hz: torch.Tensor,
    amps: torch.Tensor,
    *,
    kind: str = "peak",
    sigma_cents: float = 6.83,
    n_harmonics: int = 12,
    rho: float = 0.75,
    n_bins: int = 1200,
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
        Bins of the pitch-class circle on which the profile is evaluated (1200, one per cent).
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
    _check_kind(kind)
    profile = virtual_pitch_profile(
        freqs_hz,
        amps,
        sigma_cents=sigma_cents,
        n_harmonics=n_harmonics,
        rho=rho,
        n_bins=n_bins,
        eps=eps,
    )  # (..., n_bins)
    return _summarise(profile, kind, n_bins, eps)


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
    eps: float = 1e-30,
) -> torch.Tensor:
    """Harmonicity of a chord of ``V`` voices sharing one timbre (the fast path of `harmonicity`).

    Equals ``harmonicity(*chord_partials(f0_hz, ratios, amps, voice_amplitudes))``, but the
    timbre's smoothed spectrum is transformed once and each voice only shifts it (a phase per
    voice instead of one per partial): ``X^[k] = S^[k] sum_v g_v exp(-2 pi i k log2 f0_v)``.

    Parameters
    ----------
    f0_hz : Tensor, shape (..., V)
        Voice frequencies in Hz, > 0. Differentiable.
    ratios : Tensor, shape (P,)
        Partial ratios of the timbre. Differentiable.
    amps : Tensor, shape (P,)
        Partial amplitudes of the timbre. Differentiable.
    voice_amplitudes : Tensor, shape (..., V), optional
        Gain per voice (default 1; 0 silences a voice). Differentiable.
    kind, sigma_cents, n_harmonics, rho, n_bins, eps
        As `harmonicity`.

    Returns
    -------
    Tensor, shape (...)
    """
    _check_kind(kind)
    dtype = torch.promote_types(torch.promote_types(f0_hz.dtype, ratios.dtype), amps.dtype)
    f0 = f0_hz.to(dtype)
    n_coeffs = _n_coefficients(sigma_cents, n_bins)
    gauss = _gaussian_coefficients(
        n_coeffs, sigma_cents, n_bins, dtype=dtype, device=f0.device
    )  # (K,)
    timbre = gauss * _line_coefficients(
        torch.log2(ratios.to(dtype)), amps.to(dtype), n_coeffs
    )  # (K,)
    gains = (
        torch.ones_like(f0)
        if voice_amplitudes is None
        else voice_amplitudes.to(dtype).expand_as(f0)
    )
    spec = timbre * _line_coefficients(
        torch.log2(f0 / DEFAULT_REFERENCE_HZ), gains, n_coeffs
    )  # (..., K)
    template = _template_coefficients(n_coeffs, n_harmonics, rho, gauss)  # (K,)
    profile = _profile_from_coefficients(spec, template, n_bins, eps)  # (..., n_bins)
    return _summarise(profile, kind, n_bins, eps)
