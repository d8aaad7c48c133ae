"""Composite dissonance: roughness plus harmonicity plus spectral similarity, weighted as fitted to listeners."""

from __future__ import annotations

from collections.abc import Mapping

import torch

from xentune.psychoacoustics.harmonicity import chord_harmonicity
from xentune.psychoacoustics.roughness import chord_roughness
from xentune.psychoacoustics.similarity import chord_spectral_similarity

__all__ = [
    "COMPOSITE_FEATURES",
    "COMPOSITE_WEIGHTS",
    "composite_dissonance",
    "composite_features",
]

#: The candidate terms, named as in ``xentune score``: Hutchinson-Knopoff roughness (higher =
#: rougher), KL harmonicity in bits (Harrison & Pearce 2018; higher = more harmonic) and the mean
#: spectral pitch similarity of the voice pairs (Milne et al. 2011; higher = more alike).
COMPOSITE_FEATURES = ("hutchinson", "harmonicity", "spectral_similarity")

#: Weight of each term in the dissonance, in listener standard deviations per unit of the term.
#: Fitted by ``python scripts/fit_composite.py``: non-negative least squares on the sign-oriented
#: terms, each listener data set z-scored and every term centred within its data set (Schwartz
#: et al. 2003 dyads, Johnson-Laird et al. 2012 triads and tetrads, n = 115, 12-TET tones of 11
#: harmonics 1/n); the set of terms chosen by leave-one-data-set-out cross-validation. Held-out
#: Pearson r (sch03 / jl12a / jl12b): hutchinson + harmonicity 0.881 / 0.688 / 0.620 (chosen);
#: Hutchinson alone 0.852 / 0.620 / 0.425; with spectral similarity added 0.810 / 0.688 / 0.614,
#: so its weight is 0 (it is not computed). Standardised weights: hutchinson 0.365,
#: harmonicity 0.452. Harrison & Pearce's (2020) regression, fitted to other listeners (Bowling
#: et al. 2018) with corpus and chord-size terms besides, weighs the same two raw terms -1.62 and
#: +1.78 (consonance): a roughness/harmonicity ratio of 0.91 against our 3.53 / 4.25 = 0.83.
COMPOSITE_WEIGHTS: Mapping[str, float] = {
    "hutchinson": 3.5261294,
    "harmonicity": -4.2495291,
    "spectral_similarity": 0.0,
}


def composite_features(
    f0_hz: torch.Tensor,
    ratios: torch.Tensor,
    amps: torch.Tensor,
    *,
    features: tuple[str, ...] = COMPOSITE_FEATURES,
) -> dict[str, torch.Tensor]:
    """The composite's terms for chords of one timbre, each in its own units.

    Parameters
    ----------
    f0_hz : Tensor, shape (..., V)
        Voice fundamentals in Hz, > 0. Differentiable.
    ratios, amps : Tensor, shape (P,)
        The timbre's partial ratios and amplitudes. Differentiable.
    features : tuple of str
        Which of `COMPOSITE_FEATURES` to compute.

    Returns
    -------
    dict of str to Tensor, each of shape (...)
        ``hutchinson`` (`chord_roughness`, model ``"hutchinson"``), ``harmonicity``
        (`chord_harmonicity`, ``kind="kl"``, bits), ``spectral_similarity``
        (`chord_spectral_similarity`, 0..1).
    """
    out: dict[str, torch.Tensor] = {}
    for name in features:
        if name == "hutchinson":
            out[name] = chord_roughness(f0_hz, ratios, amps, model="hutchinson")
        elif name == "harmonicity":
            out[name] = chord_harmonicity(f0_hz, ratios, amps, kind="kl")
        elif name == "spectral_similarity":
            out[name] = chord_spectral_similarity(f0_hz, ratios, amps)
        else:
            raise ValueError(
                f"unknown composite feature {name!r}; use some of {COMPOSITE_FEATURES}"
            )
    return out


def composite_dissonance(
    f0_hz: torch.Tensor,
    ratios: torch.Tensor,
    amps: torch.Tensor,
    *,
    weights: Mapping[str, float] = COMPOSITE_WEIGHTS,
) -> torch.Tensor:
    """Dissonance of chords of one timbre as a weighted sum of roughness, harmonicity and similarity.

    ``D = sum_k w_k f_k`` over the terms of `composite_features` with the fitted
    `COMPOSITE_WEIGHTS` (lower = more consonant). The unit is the listener standard deviation
    of the fit; the zero point is arbitrary (the fit centres every data set, so only
    differences between chords with the same number of voices are calibrated). Terms with
    weight 0 are not computed.

    No single mechanism explains consonance; Harrison & Pearce's (2020) composite of
    Hutchinson-Knopoff roughness and harmonicity (plus familiarity, which a generator trained
    without music data may not use) predicted listeners best, and Marjieh et al. (2024) showed
    that changing the timbre moves preferences as roughness and harmonicity computed on the
    actual spectrum predict. Both terms here are computed on the timbre's own partials.

    Parameters
    ----------
    f0_hz : Tensor, shape (..., V)
        Voice fundamentals in Hz, > 0. Differentiable.
    ratios, amps : Tensor, shape (P,)
        The timbre's partial ratios and amplitudes. Differentiable.
    weights : mapping of str to float
        Weight per term of `COMPOSITE_FEATURES` (default: the fitted ones).

    Returns
    -------
    Tensor, shape (...)
        On the device and in the (promoted) dtype of the inputs.

    References
    ----------
    P. M. C. Harrison & M. T. Pearce, "Simultaneous consonance in music perception and
    composition", Psychological Review 127(2):216-244 (2020); R. Marjieh, P. M. C. Harrison,
    H. Lee, F. Deligiannaki & N. Jacoby, "Timbral effects on consonance disentangle
    psychoacoustic mechanisms and suggest perceptual origins for musical scales", Nature
    Communications 15:1482 (2024); E. Hutchinson & L. Knopoff (1978); Harrison & Pearce (2018);
    Milne et al. (2011) (see the term kernels).

    Examples
    --------
    >>> n = torch.arange(1.0, 12.0, dtype=torch.float64)
    >>> fifth = torch.tensor([261.63, 392.44], dtype=torch.float64)
    >>> tritone = torch.tensor([261.63, 370.0], dtype=torch.float64)
    >>> bool(composite_dissonance(fifth, n, 1 / n) < composite_dissonance(tritone, n, 1 / n))
    True
    """
    used = tuple(name for name in COMPOSITE_FEATURES if weights.get(name, 0.0) != 0.0)
    terms = composite_features(f0_hz, ratios, amps, features=used)
    total: torch.Tensor | None = None
    for name, value in terms.items():
        term = weights[name] * value  # (...)
        total = term if total is None else total + term
    if total is None:  # every weight 0: a constant
        dtype = torch.promote_types(torch.promote_types(f0_hz.dtype, ratios.dtype), amps.dtype)
        return torch.zeros(f0_hz.shape[:-1], dtype=dtype, device=f0_hz.device)
    return total
