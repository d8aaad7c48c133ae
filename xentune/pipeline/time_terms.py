"""The time model's perceptual terms: rhythm, tempo, consonance over time, dynamics, phrase shape."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = [
    "PHRASE_WINDOWS",
    "RATIO_PRIOR",
    "Window",
    "dynamics_targets",
    "ioi_ratio_penalty",
    "tempo_penalty",
    "time_energy",
]

#: Windows (chords) per phrase. Four is the usual length of a phrase in chords, and it is what
#: the dynamics targets below are drawn over.
PHRASE_WINDOWS = 4

#: The rhythm prior: small-integer ratios of successive inter-onset intervals and their prior
#: weights. Jacoby & McDermott (2017, Current Biology 27, 359-370) found that listeners of every
#: culture tested reproduce random rhythms drawn toward small-integer ratios (1:1, 1:2, 2:1 most
#: strongly, then 1:3, 2:3 ...); the weight of ``a:b`` here is ``1 / (a + b)``.
RATIO_PRIOR: tuple[tuple[int, int], ...] = (
    (1, 1), (1, 2), (2, 1), (1, 3), (3, 1), (2, 3), (3, 2), (1, 4), (4, 1), (3, 4), (4, 3),
)  # fmt: skip
#: Width of each ratio's attractor in natural-log units (about 8 %: the timing precision with
#: which listeners reproduce such ratios, Jacoby & McDermott 2017, Fig. 2).
RATIO_SIGMA = 0.08
#: Preferred beat period, seconds: spontaneous and preferred tempo near 600 ms (Fraisse 1982,
#: "Rhythm and tempo", in Deutsch, *The Psychology of Music*); London (2012, *Hearing in Time*)
#: puts the most salient beat at 500-700 ms, and the limits of a beat at 100 ms and about 2 s.
PREFERRED_BEAT_S = 0.6
BEAT_SIGMA = 0.5  # natural-log units: a broad preference, not a tempo
IOI_MIN_S, IOI_MAX_S = 0.1, 2.0


def ioi_ratio_penalty(log_ratio: torch.Tensor, *, sigma: float = RATIO_SIGMA) -> torch.Tensor:
    """Rhythm prior on successive inter-onset intervals: 0 on the best ratio, growing off it.

    ``-log sum_q w_q exp(-(rho - log q)^2 / 2 sigma^2) + log max_q w_q`` with ``q = a/b`` in
    `RATIO_PRIOR` and ``w_q = 1 / (a + b)`` (Jacoby & McDermott 2017). Differentiable.

    Parameters
    ----------
    log_ratio : Tensor, shape (...)
        ``log(IOI_next / IOI)``.

    Examples
    --------
    >>> float(ioi_ratio_penalty(torch.tensor(0.0)))
    0.0
    """
    q = torch.tensor([math.log(a / b) for a, b in RATIO_PRIOR], dtype=log_ratio.dtype)
    w = torch.tensor([1.0 / (a + b) for a, b in RATIO_PRIOR], dtype=log_ratio.dtype)
    z = -((log_ratio[..., None] - q) ** 2) / (2 * sigma**2) + torch.log(w)  # (..., Q)
    z0 = -(q**2) / (2 * sigma**2) + torch.log(w)  # (Q,) the same at 1:1
    return -torch.logsumexp(z, dim=-1) + torch.logsumexp(z0, dim=-1)


def tempo_penalty(ioi_s: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Beat-period prior of one voice's window: ``(log(gm / 0.6 s) / 0.5)^2`` plus London's limits.

    ``gm`` is the geometric mean of the voice's inter-onset intervals (Fraisse 1982; London
    2012); intervals under 100 ms or over 2 s add ``10 log(limit / ioi)^2``. Differentiable.

    Parameters
    ----------
    ioi_s : Tensor, shape (..., M)
        Inter-onset intervals of the voice's notes, seconds (> 0).
    mask : Tensor, shape (M,) or (..., M), bool
        Which slots are notes.
    """
    m = mask.to(ioi_s.dtype)
    log_ioi = torch.log(torch.where(mask, ioi_s, torch.ones_like(ioi_s)))  # unused slots: log 1
    gm = (log_ioi * m).sum(-1) / m.sum(-1)
    prior = ((gm - math.log(PREFERRED_BEAT_S)) / BEAT_SIGMA) ** 2
    short = torch.relu(math.log(IOI_MIN_S) - log_ioi) ** 2
    long = torch.relu(log_ioi - math.log(IOI_MAX_S)) ** 2
    return prior + 10.0 * ((short + long) * m).sum(-1)


def dynamics_targets(n_windows: int = PHRASE_WINDOWS) -> torch.Tensor:
    """Mean loudness a phrase's windows aim at: rising over three quarters, released at the end.

    Tension builds through a phrase and resolves at its close (Lerdahl & Jackendoff 1983;
    Lerdahl & Krumhansl 2007; performers' dynamics follow it, Todd 1992): 0.45 rising linearly to
    0.85 at three quarters of the phrase, then 0.5 at its last window.
    """
    u = torch.arange(n_windows, dtype=torch.float32) / max(n_windows - 1, 1)
    rise = 0.45 + 0.4 * torch.clamp(u / 0.75, max=1.0)
    return torch.where(u >= 1.0, torch.full_like(u, 0.5), rise)


@dataclass(frozen=True)
class Window:
    """One window's notes as tensors, batch first: what the time model draws and the energy judges.

    Attributes (all ``(..., V, M)`` but ``length_s``)
    -----------------------------------------------
    length_s : Tensor (...)  window length in seconds
    share : proportions of the window between a voice's notes (0 on unused slots; sum 1)
    articulation : sounding fraction of each inter-onset interval
    amplitude : linear amplitude
    """

    length_s: torch.Tensor
    share: torch.Tensor
    articulation: torch.Tensor
    amplitude: torch.Tensor

    @property
    def ioi_s(self) -> torch.Tensor:
        """Inter-onset intervals, seconds ``(..., V, M)``."""
        return self.share * self.length_s[..., None, None]

    @property
    def onset_s(self) -> torch.Tensor:
        """Onsets from the window's start, seconds ``(..., V, M)``."""
        return torch.cumsum(self.ioi_s, -1) - self.ioi_s

    @property
    def duration_s(self) -> torch.Tensor:
        """Sounding lengths, seconds ``(..., V, M)``."""
        return self.articulation * self.ioi_s


def time_energy(
    w: Window,
    roughness: torch.Tensor,
    mask: torch.Tensor,
    *,
    position: torch.Tensor,
    previous_last_ioi: torch.Tensor | None,
    weights: dict[str, float],
) -> dict[str, torch.Tensor]:
    """The perceptual terms of one window, each ``(...)``; their weighted sum is the energy.

    - ``consonance``: roughness of what actually sounds together (Sethares 1993/2005; pairs of
      notes of different voices, each weighted by their temporal overlap as a fraction of the
      window and by the product of their amplitudes, since roughness grows with the product of
      the partials' amplitudes), weighted ``0.5 + 1.5 u^2`` by the place ``u`` in the phrase:
      tension is allowed inside a phrase and released at its end (Lerdahl & Krumhansl 2007).
    - ``ratio``: `ioi_ratio_penalty` over successive intervals of each voice (Jacoby &
      McDermott 2017), the first one against the voice's last interval of the previous window.
    - ``tempo``: `tempo_penalty` (Fraisse 1982; London 2012).
    - ``continuity``: mean silent fraction of each interval; gaps break a voice into separate
      events, and a voice holds together as a stream when they are short (Bregman 1990).
    - ``dynamics``: squared distance of the window's mean amplitude from `dynamics_targets`.
    - ``final``: at a phrase's last window, ``relu(0.5 - share of the last note)^2``: phrase-final
      lengthening (Todd 1985; Palmer 1997, Annu. Rev. Psychol. 48, 115-138).

    Parameters
    ----------
    w : Window
    roughness : Tensor, shape (..., V*M, V*M)
        `pair_roughness` of the window's note slots.
    mask : Tensor, shape (V, M), bool
    position : Tensor, shape (...), long
        Window index within its phrase, ``0 .. PHRASE_WINDOWS - 1``.
    previous_last_ioi : Tensor, shape (..., V) or None
        Each voice's last interval of the previous window (None: the piece starts).
    weights : dict
        Weight of each term.
    """
    v, m = mask.shape
    fm = mask.to(w.share.dtype)
    on = w.onset_s.flatten(-2)  # (..., K) s
    off = on + w.duration_s.flatten(-2)  # (..., K) s
    amp = (w.amplitude * fm).flatten(-2)  # (..., K)
    overlap = torch.relu(
        torch.minimum(off[..., :, None], off[..., None, :])
        - torch.maximum(on[..., :, None], on[..., None, :])
    )  # (..., K, K) s
    voice = torch.arange(v).repeat_interleave(m)
    cross = (voice[:, None] < voice[None, :]).to(amp.dtype)  # (K, K) each cross pair once
    u = position.to(amp.dtype) / (PHRASE_WINDOWS - 1)
    consonance = (overlap * amp[..., :, None] * amp[..., None, :] * roughness * cross).sum(
        (-1, -2)
    ) / w.length_s
    consonance = consonance * (0.5 + 1.5 * u**2)
    ioi = w.ioi_s  # (..., V, M)
    log_ioi = torch.log(torch.where(mask, ioi, torch.ones_like(ioi)))  # unused slots: log 1
    pair_ok = (mask[:, 1:] & mask[:, :-1]).to(amp.dtype)  # (V, M-1)
    ratio = (ioi_ratio_penalty(log_ioi[..., 1:] - log_ioi[..., :-1]) * pair_ok).sum((-1, -2))
    if previous_last_ioi is not None:
        ratio = ratio + ioi_ratio_penalty(log_ioi[..., 0] - torch.log(previous_last_ioi)).sum(-1)
    tempo = tempo_penalty(ioi, mask).sum(-1)
    continuity = ((1 - w.articulation) * fm).sum((-1, -2)) / fm.sum()
    mean_amp = amp.sum(-1) / fm.sum()
    target = dynamics_targets()[position]
    dynamics = (mean_amp - target) ** 2
    counts = mask.sum(-1)  # (V,)
    last_share = torch.gather(w.share, -1, (counts - 1).expand(w.share.shape[:-1])[..., None])[
        ..., 0
    ]
    final = (torch.relu(0.5 - last_share) ** 2).sum(-1) * (position == PHRASE_WINDOWS - 1)
    terms = {
        "consonance": consonance,
        "ratio": ratio,
        "tempo": tempo,
        "continuity": continuity,
        "dynamics": dynamics,
        "final": final,
    }
    return {k: weights[k] * t for k, t in terms.items()}
