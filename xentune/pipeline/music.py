"""The time model: onsets, durations and amplitudes of notes, trained ex nihilo on perceptual terms.

A piece is a sequence of *windows*, one chord of the pitch generator each. In a window every
voice plays a few notes (`notes_per_voice`) whose pitches `window_pitches` takes from the chord
(and, for the last note, from the next chord). The time model says *when* and *how*: the window's
length, how it is split between a voice's notes (continuous proportions, no grid), how much of
each inter-onset interval a note sounds, and how loud it is. It is a small conditional Gaussian
model continued autoregressively: each window is drawn given the previous one and its place in
the phrase, so a piece of any length costs time linear in its length.

It is trained like the pitch generator, by minimising the reverse KL to ``p ~ exp(-E / T)``, with
no music data: ``E`` is a sum of perceptual terms (`time_energy`), each with its source.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from xentune.errors import ConfigError
from xentune.pipeline.time_terms import PHRASE_WINDOWS, Window, time_energy
from xentune.psychoacoustics.roughness import chord_roughness
from xentune.spectrum import Spectrum
from xentune.units import cents_to_hz

__all__ = [
    "TimeConfig",
    "TimeModel",
    "note_mask",
    "notes_per_voice",
    "pair_roughness",
    "train_time_model",
    "window_pitches",
]

#: Most notes a voice plays in one window.
MAX_NOTES = 4
#: Shortest and longest window (one chord) in seconds: 2 to 4 beats of a tempo in London's
#: (2012) 100 ms .. 2 s range of inter-onset intervals that can carry a beat.
WINDOW_MIN_S, WINDOW_MAX_S = 1.0, 4.0
#: Articulation (sounding fraction of an inter-onset interval) and amplitude ranges.
ART_MIN, AMP_MIN = 0.15, 0.15


def notes_per_voice(n_voices: int) -> tuple[int, ...]:
    """Notes each voice plays per window, lowest voice first: 2 in the bass up to 4 on top.

    Low voices move slowly and high voices fast, as the auditory system resolves rapid changes
    better in higher registers (a perceptual reason for the "high-voice superiority" of melody,
    Trainor et al. 2014); the counts are what the time model fills, not a rhythm.
    """
    if n_voices < 2:
        raise ConfigError(f"voices={n_voices}: the time model needs at least 2 voices")
    return tuple(min(MAX_NOTES, 2 + (v * 3) // (n_voices - 1)) for v in range(n_voices))


def note_mask(n_voices: int) -> torch.Tensor:
    """``(V, MAX_NOTES)`` bool: which note slots each voice uses."""
    counts = torch.tensor(notes_per_voice(n_voices))
    return torch.arange(MAX_NOTES)[None, :] < counts[:, None]


def window_pitches(
    chord: torch.Tensor, next_chord: torch.Tensor, *, period_cents: float
) -> torch.Tensor:
    """The pitch of every note slot of a window, in cents.

    Voice ``v`` with ``n`` notes plays its chord tone first and the next chord's tone last (a
    motion toward the next chord); with 3 or 4 notes the second note is the chord tone of the
    voice above (below, for the top voice) moved by whole periods next to its own, and with 4
    the third returns to its own tone.

    Parameters
    ----------
    chord, next_chord : Tensor, shape (..., V)
        This window's chord and the next one, cents.
    period_cents : float
        The interval of equivalence of the scale (octave or pseudo-octave).

    Returns
    -------
    Tensor, shape (..., V, MAX_NOTES)
        Cents; unused slots repeat the chord tone.
    """
    n_voices = chord.shape[-1]
    counts = notes_per_voice(n_voices)
    other = torch.roll(chord, shifts=-1, dims=-1)  # (..., V) the voice above
    other = torch.cat([other[..., :-1], chord[..., -2:-1]], dim=-1)  # top voice: the one below
    shift = torch.round((chord - other) / period_cents) * period_cents  # (..., V) whole periods
    arp = other + shift  # (..., V) cents, next to the voice's own tone
    slots = chord[..., None].repeat_interleave(MAX_NOTES, dim=-1).clone()  # (..., V, M)
    for v, n in enumerate(counts):
        if n >= 3:
            slots[..., v, 1] = arp[..., v]
        slots[..., v, n - 1] = next_chord[..., v]
    return slots


def pair_roughness(
    cents: torch.Tensor,
    spectrum: Spectrum,
    *,
    reference_hz: float,
    r0: float,
    model: str = "sethares",
) -> torch.Tensor:
    """Roughness between every two notes of a window, beyond each note's own: ``(..., K, K)``.

    ``R_ij = (R({i, j}) - R({i}) - R({j})) / R0``: the roughness the two notes add by sounding
    together (Sethares' pooled-partial roughness, `chord_roughness`), divided by the timbre's
    dyad-curve maximum ``R0`` as in the pitch energy. Not differentiated (pitches are given).

    Parameters
    ----------
    cents : Tensor, shape (..., K)
        Pitch of each note, cents above ``reference_hz``.
    """
    ratios = torch.tensor(spectrum.ratios, dtype=torch.float64)
    amps = torch.tensor(spectrum.amplitudes, dtype=torch.float64)
    f0 = cents_to_hz(cents.to(torch.float64), reference_hz)  # (..., K) Hz
    k = f0.shape[-1]
    i, j = torch.triu_indices(k, k, offset=1)  # each pair once
    pair = torch.stack([f0[..., i], f0[..., j]], -1)  # (..., K(K-1)/2, 2) Hz
    both = chord_roughness(pair, ratios, amps, model=model)  # (..., K(K-1)/2)
    single = chord_roughness(f0[..., None], ratios, amps, model=model)  # (..., K)
    extra = ((both - single[..., i] - single[..., j]) / r0).clamp_min(0.0)  # (..., K(K-1)/2)
    out = torch.zeros(*f0.shape, k, dtype=torch.float64)  # (..., K, K)
    out[..., i, j] = extra
    out[..., j, i] = extra
    return out.to(torch.float32)


# ------------------------------------------------------------------------------------------
# Model


@dataclass(frozen=True)
class TimeConfig:
    """Settings of the time model and its training (saved in time-model.pt)."""

    voices: int = 4
    hidden: int = 64
    train_steps: int = 300
    batch: int = 32
    lr: float = 3e-3
    temperature: float = 0.03
    seed: int = 0
    w_consonance: float = 4.0
    w_ratio: float = 1.0
    w_tempo: float = 0.3
    w_continuity: float = 0.5
    w_dynamics: float = 8.0
    w_final: float = 4.0

    def __post_init__(self) -> None:
        if not 2 <= self.voices <= 16:
            raise ConfigError(f"time model voices={self.voices}: must be in 2..16")
        if self.train_steps < 0 or self.batch < 1 or not self.temperature > 0:
            raise ConfigError("time model: train_steps >= 0, batch >= 1 and temperature > 0")

    @property
    def weights(self) -> dict[str, float]:
        """Weight of each term of `time_energy`."""
        return {
            "consonance": self.w_consonance,
            "ratio": self.w_ratio,
            "tempo": self.w_tempo,
            "continuity": self.w_continuity,
            "dynamics": self.w_dynamics,
            "final": self.w_final,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


class TimeModel(nn.Module):
    """A conditional Gaussian over one window's timing, given the previous window and the phrase.

    Input: the previous window's shares, articulations, amplitudes and log length, the place in
    the phrase (one-hot) and each note slot's roughness against the rest of its window. Output:
    mean and log standard deviation of ``1 + 3 V M`` latent values: the log window length and,
    per slot, the share logit, articulation logit and amplitude logit.
    """

    def __init__(self, config: TimeConfig) -> None:
        super().__init__()
        self.config = config
        k = config.voices * MAX_NOTES
        self.n_latent = 1 + 3 * k
        n_in = 3 * k + 1 + PHRASE_WINDOWS + k
        self.net = nn.Sequential(
            nn.Linear(n_in, config.hidden),
            nn.Tanh(),
            nn.Linear(config.hidden, config.hidden),
            nn.Tanh(),
            nn.Linear(config.hidden, 2 * self.n_latent),
        )
        self.register_buffer("mask", note_mask(config.voices), persistent=False)

    def condition(
        self, previous: Window | None, position: torch.Tensor, roughness: torch.Tensor
    ) -> torch.Tensor:
        """The input vector ``(..., n_in)``."""
        batch = position.shape
        k = self.config.voices * MAX_NOTES
        if previous is None:
            prev = torch.zeros(*batch, 3 * k + 1)
        else:
            prev = torch.cat(
                [
                    previous.share.flatten(-2),
                    previous.articulation.flatten(-2),
                    previous.amplitude.flatten(-2),
                    torch.log(previous.length_s)[..., None],
                ],
                -1,
            ).detach()
        pos = nn.functional.one_hot(position, PHRASE_WINDOWS).to(torch.float32)
        rough = roughness.sum(-1)  # (..., K)
        return torch.cat([prev, pos, rough], -1)

    def draw(
        self,
        previous: Window | None,
        position: torch.Tensor,
        roughness: torch.Tensor,
        noise: torch.Tensor,
    ) -> tuple[Window, torch.Tensor]:
        """One window from ``noise (..., n_latent)`` (standard normal) and its Gaussian entropy ``(...)``."""
        out = self.net(self.condition(previous, position, roughness))
        mu, log_sigma = out[..., : self.n_latent], out[..., self.n_latent :].clamp(-6.0, 1.0)
        z = mu + torch.exp(log_sigma) * noise  # (..., n_latent)
        v, m = self.config.voices, MAX_NOTES
        length = WINDOW_MIN_S + (WINDOW_MAX_S - WINDOW_MIN_S) * torch.sigmoid(z[..., 0])
        logits = z[..., 1 : 1 + v * m].unflatten(-1, (v, m))
        share = torch.softmax(logits.masked_fill(~self.mask, -1e9), -1)  # (..., V, M)
        share = share * self.mask  # exact zeros on unused slots
        art = ART_MIN + (1 - ART_MIN) * torch.sigmoid(z[..., 1 + v * m : 1 + 2 * v * m])
        amp = AMP_MIN + (1 - AMP_MIN) * torch.sigmoid(z[..., 1 + 2 * v * m :])
        window = Window(length, share, art.unflatten(-1, (v, m)), amp.unflatten(-1, (v, m)))
        return window, log_sigma.sum(-1)

    def last_ioi(self, w: Window) -> torch.Tensor:
        """Each voice's last inter-onset interval ``(..., V)``, seconds."""
        counts = self.mask.sum(-1)
        idx = (counts - 1).expand(w.share.shape[:-1])[..., None]
        return torch.gather(w.ioi_s, -1, idx)[..., 0]


def train_time_model(
    config: TimeConfig,
    chords: torch.Tensor,
    *,
    spectrum: Spectrum,
    reference_hz: float,
    period_cents: float,
    r0: float,
    on_step: Callable[[int], None] | None = None,
) -> tuple[TimeModel, dict[str, list[float]]]:
    """Train a `TimeModel` on the perceptual terms alone, over windows of the pitch generator's chords.

    Each step draws ``batch`` runs of two phrases (``2 PHRASE_WINDOWS`` windows, each from the
    previous one) over random stretches of ``chords`` and minimises ``E / T - H`` (``H`` the
    Gaussian entropy of the latent values). Deterministic for a seed (one CPU thread).

    Parameters
    ----------
    chords : Tensor, shape (S, V, T)
        The pitch generator's samples, cents; ``T >= 2``.
    r0 : float
        The timbre's dyad-curve maximum (the pitch energy's roughness scale).
    on_step : callable, optional
        Called with the step number after each step (progress).

    Returns
    -------
    (TimeModel, history)
        ``history`` holds ``step``, ``energy``, ``entropy`` and each term per step.
    """
    g = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)  # the initial weights
    model = TimeModel(config)
    s, v, t = chords.shape
    c = chords.to(torch.float32)
    seq = torch.cat([c, c[..., :1]], -1)  # (S, V, T+1): the last chord moves to the first
    pitches = window_pitches(
        seq[..., :-1].transpose(-1, -2), seq[..., 1:].transpose(-1, -2), period_cents=period_cents
    )  # (S, T, V, M)
    rough = pair_roughness(
        pitches.flatten(-2), spectrum, reference_hz=reference_hz, r0=r0
    )  # (S, T, K, K)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    history: dict[str, list[float]] = {"step": [], "energy": [], "entropy": [], "seconds": []}
    start = time.perf_counter()
    n_windows = 2 * PHRASE_WINDOWS
    for step in range(1, config.train_steps + 1):
        piece = torch.randint(0, s, (config.batch,), generator=g)
        first = torch.randint(0, t, (config.batch,), generator=g)
        opt.zero_grad(set_to_none=True)
        previous: Window | None = None
        energy = torch.zeros(config.batch)
        entropy = torch.zeros(config.batch)
        sums: dict[str, float] = {}
        for k in range(n_windows):
            r = rough[piece, (first + k) % t]  # (B, K, K)
            position = torch.full((config.batch,), k % PHRASE_WINDOWS, dtype=torch.long)
            noise = torch.randn(config.batch, model.n_latent, generator=g)
            w, h = model.draw(previous, position, r, noise)
            terms = time_energy(
                w,
                r,
                model.mask,
                position=position,
                previous_last_ioi=None if previous is None else model.last_ioi(previous),
                weights=config.weights,
            )
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + float(value.detach().mean()) / n_windows
                energy = energy + value
            entropy = entropy + h
            previous = w
        loss = (energy / config.temperature - entropy).mean() / n_windows
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        history["step"].append(step)
        history["energy"].append(float(energy.detach().mean()) / n_windows)
        history["entropy"].append(float(entropy.detach().mean()) / n_windows)
        history["seconds"].append(round(time.perf_counter() - start, 3))
        for name, value in sums.items():
            history.setdefault(name, []).append(value)
        if on_step is not None:
            on_step(step)
    return model.eval(), history
