"""A hierarchical generator: it samples a scale (a period and K pitch classes), then a piece over it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from xentune.errors import ConfigError

__all__ = ["ScaleConfig", "ScalePieceModel"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _log_normal(z: torch.Tensor, sd: torch.Tensor) -> torch.Tensor:
    """Log-density (1/cents) of ``sd * z`` for standard normal ``z``."""
    return -0.5 * z.square() - _LOG_SQRT_2PI - torch.log(sd)


@dataclass(frozen=True)
class ScaleConfig:
    """Shape of a `ScalePieceModel`.

    Parameters
    ----------
    voices, steps : int
        A piece is ``voices x steps`` pitches.
    n_classes : int
        Pitch classes of a scale, the root (class 0, at 0 cents) included.
    n_periods : int
        Registers: a note is its class plus 0..n_periods-1 periods above the piece's root.
    period_low_cents, period_high_cents : float
        Support of the period (every octave-like interval; nothing about the timbre).
    root_low_cents, root_high_cents : float
        Support of the piece's root (uniform: transposition is not learned).
    jitter_cents : float
        Initial standard deviation of a note around its scale degree, in cents.
    max_jitter_cents : float
        Largest standard deviation of a note around its degree, in cents. Without a bound the
        jitter is the cheapest entropy there is: 32 notes gain 32 nats per e-fold of width, and
        while the classes are still misplaced the energy barely objects, so the width ran to
        250 cents and the classes never formed (harmonic, T = 0.1, measured 2026-12-03). The
        width always ends at its bound, so the bound is the precision of a degree: 3 cents, not
        the earlier 6, moves the entropy the generator wants from detuning into which degrees
        it plays. Measured 2026-12-04, tuning seeds 0-9, 64 raw pieces, the energy's repetition
        term on (criteria met / mean share near the curve minima): harmonic 10/10, 63.2% at 6
        cents; 10/10, 72.1% at 3; stretched 2.1 10/10, 62.0% and 71.5%.
    max_spread_cents : float
        Largest piece-to-piece standard deviation of the period and of each pitch class, in
        cents. Unbounded, a class the pieces rarely use spread over hundreds of cents (free
        entropy), which made it too rough to use, so it was used less still: the scales
        collapsed onto root and fifth (harmonic, T = 0.2, measured 2026-12-03).
    """

    voices: int = 4
    steps: int = 8
    n_classes: int = 7
    n_periods: int = 3
    period_low_cents: float = 1000.0
    period_high_cents: float = 1450.0
    root_low_cents: float = -1500.0
    root_high_cents: float = -900.0
    jitter_cents: float = 2.0
    max_jitter_cents: float = 3.0
    max_spread_cents: float = 4.0

    def __post_init__(self) -> None:
        for name in ("voices", "steps", "n_classes", "n_periods"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name}={value!r}: must be an integer >= 1")
        if not 0 < self.period_low_cents < self.period_high_cents:
            raise ConfigError(
                f"period range {self.period_low_cents}..{self.period_high_cents} cents: need "
                "0 < period_low_cents < period_high_cents"
            )
        if not self.root_low_cents < self.root_high_cents:
            raise ConfigError("root_low_cents must be below root_high_cents")
        if not 0 < self.jitter_cents < self.max_jitter_cents:
            raise ConfigError(
                f"jitter_cents={self.jitter_cents}: must be > 0 and below max_jitter_cents"
            )

    @property
    def dim(self) -> int:
        """Number of pitches of a piece, ``voices * steps``."""
        return self.voices * self.steps

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``ScaleConfig(**d)`` reads it back."""
        return asdict(self)


class ScalePieceModel(nn.Module):
    """Scale first, then a piece over it; every part trained on the energy alone.

    Why: reverse KL to ``exp(-E / T)`` seeks modes, and a flow over all ``voices x steps``
    pitches at once learns broad humps around the consonant intervals (raw peakedness about
    0.2 nats). Here the interval system is a variable of the generator itself: each piece draws

    1. a scale: a period ``P`` (between ``period_low_cents`` and ``period_high_cents``) and
       ``n_classes - 1`` pitch classes ``c_k`` in ``(0, P)`` (class 0 is the root at 0), each a
       learned Gaussian pushed through a sigmoid;
    2. a root ``r``, uniform over the root range (transposition is not learned);
    3. for every voice a register ``o_v`` (0..n_periods-1) and for every note (voice v, step t)
       a degree ``k``, from learned logits, and a Gaussian jitter of learned width ``sigma``:
       ``x = r + c_k + o_v P + sigma eps``. A register per voice, not per note: with registers
       drawn per note, random leaps of a period made the melodic-step term pull the period down
       to the bottom of its range before the choices could learn (harmonic, measured).

    The log-density returned is that of the whole draw (scale, root, choices, jitter): its
    negative mean is the entropy of the joint, an upper bound of the entropy of the pieces
    alone (the objective is a bound of the reverse KL, as in hierarchical variational inference).
    Continuous parts are reparameterised; the discrete choices get a score-function gradient
    (`sample` returns their log-probability for it). No note grid is given: the classes, the
    period and the width of each degree are all learned, from the energy.

    Parameters
    ----------
    config : ScaleConfig
    """

    def __init__(self, config: ScaleConfig) -> None:
        super().__init__()
        self.config = config
        k = config.n_classes - 1
        self.period_loc = nn.Parameter(torch.zeros(()))
        self.period_spread_logit = nn.Parameter(torch.zeros(()))
        # Classes start evenly spread over the period.
        start = torch.arange(1, k + 1, dtype=torch.float32) / (k + 1)
        self.class_loc = nn.Parameter(torch.log(start / (1 - start)))
        self.class_spread_logit = nn.Parameter(torch.zeros(k))
        # Degree of voice v given the degree of voice v - 1 in the same chord (a chain up the
        # chord; voice 0 reads row 0): chords, not only notes, are learned.
        self.degree_logits = nn.Parameter(
            torch.zeros(config.voices, config.steps, config.n_classes, config.n_classes)
        )
        self.register_logits = nn.Parameter(torch.zeros(config.voices, config.n_periods))
        ratio = config.jitter_cents / config.max_jitter_cents
        self.jitter_logit = nn.Parameter(torch.tensor(math.log(ratio / (1 - ratio))))
        self.register_buffer("offset", torch.zeros(()))  # device anchor (see sample_pieces)

    def _spread_cents(self, logit: torch.Tensor) -> torch.Tensor:
        """Piece-to-piece standard deviation of a scale variable, cents (0..max_spread_cents)."""
        return self.config.max_spread_cents * torch.sigmoid(logit)

    def jitter_cents(self) -> torch.Tensor:
        """Standard deviation of a note around its degree, cents (0..max_jitter_cents)."""
        return self.config.max_jitter_cents * torch.sigmoid(self.jitter_logit)

    def _choose_chords(
        self, n: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Degrees ``(n, V, T)`` drawn voice by voice up each chord, and their log-probabilities."""
        cfg = self.config
        log_probs = torch.log_softmax(self.degree_logits, dim=-1)  # (V, T, K, K)
        below = torch.zeros(n, cfg.steps, dtype=torch.long, device=log_probs.device)  # (n, T)
        steps = torch.arange(cfg.steps, device=log_probs.device)
        degrees, logps = [], []
        for v in range(cfg.voices):  # V is small (4): a loop over voices, not over the batch
            lp = log_probs[v, steps[None, :], below]  # (n, T, K)
            k = torch.multinomial(
                lp.detach().exp().reshape(-1, cfg.n_classes), 1, generator=generator
            ).view(n, cfg.steps)
            degrees.append(k)
            logps.append(lp.gather(-1, k[..., None]).squeeze(-1))
            below = k
        return torch.stack(degrees, dim=1), torch.stack(logps, dim=1)  # (n, V, T) each

    @staticmethod
    def _choose(
        logits: torch.Tensor, n: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` draws of the categoricals ``logits (..., C)``: indices and log-probabilities ``(n, ...)``."""
        log_probs = torch.log_softmax(logits, dim=-1).expand(n, *logits.shape)  # (n, ..., C)
        flat = log_probs.detach().exp().reshape(-1, logits.shape[-1])
        index = torch.multinomial(flat, 1, generator=generator).view(log_probs.shape[:-1])
        return index, log_probs.gather(-1, index[..., None]).squeeze(-1)

    def sample_with_score(
        self, n: int, *, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``n`` pieces, the log-density of each draw, and the log-probability of its choices.

        Returns
        -------
        cents : Tensor, shape (n, V, T)
        log_q : Tensor, shape (n,)
            Log-density of the whole draw (1/cents for every continuous variable).
        log_p_choices : Tensor, shape (n,)
            Log-probability of the discrete choices (degree and register of every note): the
            score-function term of the gradient.
        """
        cfg = self.config
        device = self.offset.device
        k = cfg.n_classes - 1

        def normal(*shape: int) -> torch.Tensor:
            return torch.randn(*shape, generator=generator, device=device)

        def uniform(*shape: int) -> torch.Tensor:
            return torch.rand(*shape, generator=generator, device=device)

        span = cfg.period_high_cents - cfg.period_low_cents
        z_period = normal(n)
        period_sd = self._spread_cents(self.period_spread_logit)  # () cents
        period = cfg.period_low_cents + span * torch.sigmoid(self.period_loc) + period_sd * z_period
        log_q = _log_normal(z_period, period_sd)  # (n,) 1/cents
        z_class = normal(n, k)
        class_sd = self._spread_cents(self.class_spread_logit)  # (K-1,) cents
        classes = period[:, None] * torch.sigmoid(self.class_loc) + class_sd * z_class  # (n, K-1)
        log_q = log_q + _log_normal(z_class, class_sd).sum(-1)
        classes = F.pad(classes, (1, 0))  # (n, K) cents, the root first

        root_span = cfg.root_high_cents - cfg.root_low_cents
        root = cfg.root_low_cents + root_span * uniform(n)  # (n,) cents
        log_q = log_q - math.log(root_span)

        degree, log_p_degree = self._choose_chords(n, generator)  # (n, V, T)
        register, log_p_register = self._choose(self.register_logits, n, generator)  # (n, V)
        log_p_choices = log_p_degree.sum((-1, -2)) + log_p_register.sum(-1)  # (n,)
        degree_cents = torch.gather(
            classes[:, None, :].expand(n, cfg.voices, cfg.n_classes), 2, degree
        )  # (n, V, T) cents above the root
        periods_up = register.to(period.dtype)[:, :, None] * period[:, None, None]  # (n, V, 1)
        eps = normal(n, cfg.voices, cfg.steps)
        sigma = self.jitter_cents()
        cents = root[:, None, None] + degree_cents + periods_up + sigma * eps  # (n, V, T) cents
        log_q_notes = -0.5 * eps.square() - _LOG_SQRT_2PI - torch.log(sigma)  # (n, V, T)
        log_q = log_q + log_p_choices + log_q_notes.sum((-1, -2))
        return cents, log_q, log_p_choices

    def scale_cents(self) -> tuple[float, tuple[float, ...], tuple[float, ...]]:
        """The generator's own scale: its mean period and classes, and how often each is played.

        Returns
        -------
        period_cents : float
        classes_cents : tuple of float
            Mean pitch class of each degree above the root, ascending (the root, 0, first).
        usage : tuple of float
            Share of notes on each class (same order), from the degree chains' stationary use
            (estimated on 256 draws from a fixed seed).
        """
        cfg = self.config
        with torch.no_grad():
            span = cfg.period_high_cents - cfg.period_low_cents
            period = cfg.period_low_cents + span * torch.sigmoid(self.period_loc)
            classes = torch.cat([torch.zeros(1), period * torch.sigmoid(self.class_loc.cpu())])
            degree, _ = self._choose_chords(256, torch.Generator(self.offset.device).manual_seed(0))
            usage = torch.bincount(degree.flatten().cpu(), minlength=cfg.n_classes).double()
            usage = usage / usage.sum()
        order = torch.argsort(classes)
        return (
            float(period),
            tuple(float(classes[i]) for i in order),
            tuple(float(usage[i]) for i in order),
        )

    def sample(self, n: int, *, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` pieces ``(n, V, T)`` and the log-density of each draw ``(n,)``."""
        cents, log_q, _ = self.sample_with_score(n, generator=generator)
        return cents, log_q

    def forward(self, n: int, *, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return self.sample(n, generator=generator)
