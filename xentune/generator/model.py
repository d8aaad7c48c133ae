"""The generator: an autoregressive spline flow from Gaussian noise to continuous pitches (exact entropy)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from xentune.errors import ConfigError

__all__ = ["FlowConfig", "PieceFlow", "rational_quadratic_spline"]

#: Smallest bin width, bin height and knot derivative of a spline (Durkan et al. 2019 defaults),
#: so that no bin degenerates and the log-derivative stays finite.
MIN_BIN = 1e-3
MIN_DERIVATIVE = 1e-3


@dataclass(frozen=True)
class FlowConfig:
    """Shape of a `PieceFlow`.

    Parameters
    ----------
    voices, steps : int
        A piece is ``voices x steps`` pitches.
    bass_low_cents, bass_high_cents : float
        Range of the lowest voice, in cents (the flow's support for it).
    gap_max_cents : float
        Largest interval between adjacent voices (the support of each gap is 0..gap_max_cents).
    n_bins : int
        Bins of each rational-quadratic spline (resolution of the 1-D densities it can shape).
    hidden : int
        Width of the masked conditioner network.
    n_layers : int
        Autoregressive spline layers (the variable order is reversed between layers).
    """

    voices: int = 4
    steps: int = 8
    bass_low_cents: float = -1500.0
    bass_high_cents: float = 900.0
    gap_max_cents: float = 1500.0
    n_bins: int = 32
    hidden: int = 256
    n_layers: int = 2

    def __post_init__(self) -> None:
        for name in ("voices", "steps", "n_bins", "hidden", "n_layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name}={value!r}: must be an integer >= 1")
        for name in ("bass_low_cents", "bass_high_cents", "gap_max_cents"):
            if not math.isfinite(getattr(self, name)):
                raise ConfigError(f"{name}={getattr(self, name)}: must be a finite number of cents")
        if not self.bass_high_cents > self.bass_low_cents:
            raise ConfigError(
                f"bass range {self.bass_low_cents}..{self.bass_high_cents} cents is empty; "
                "bass_low_cents must be below bass_high_cents"
            )
        if not self.gap_max_cents > 0:
            raise ConfigError(f"gap_max_cents={self.gap_max_cents}: must be > 0 cents")

    @property
    def dim(self) -> int:
        """Number of pitches of a piece, ``voices * steps``."""
        return self.voices * self.steps

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``FlowConfig(**d)`` reads it back."""
        return asdict(self)


def rational_quadratic_spline(
    x: torch.Tensor,
    widths: torch.Tensor,
    heights: torch.Tensor,
    derivatives: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Monotone rational-quadratic spline on [0, 1] and its log-derivative (Durkan et al. 2019).

    Parameters
    ----------
    x : Tensor, shape (...)
        Inputs in [0, 1] (clamped).
    widths, heights : Tensor, shape (..., K)
        Unnormalised bin widths (input side) and heights (output side); softmax-normalised here.
    derivatives : Tensor, shape (..., K + 1)
        Unnormalised derivatives at the K + 1 knots; softplus here. Zero parameters everywhere
        give the identity.

    Returns
    -------
    y : Tensor, shape (...)
        Outputs in [0, 1]. Differentiable in ``x`` and in every parameter.
    log_derivative : Tensor, shape (...)
        ``log dy/dx``.

    References
    ----------
    C. Durkan, A. Bekasov, I. Murray, G. Papamakarios, "Neural spline flows", NeurIPS 2019, eq. 4-5.
    """
    n_bins = widths.shape[-1]
    w = MIN_BIN + (1 - MIN_BIN * n_bins) * torch.softmax(widths, dim=-1)  # (..., K)
    h = MIN_BIN + (1 - MIN_BIN * n_bins) * torch.softmax(heights, dim=-1)  # (..., K)
    # softplus(0) + shift = 1: zero parameters give unit derivatives (the identity).
    d = MIN_DERIVATIVE + F.softplus(
        derivatives + math.log(math.expm1(1 - MIN_DERIVATIVE))
    )  # (..., K+1)
    x_knots = F.pad(torch.cumsum(w, dim=-1), (1, 0))  # (..., K+1)
    y_knots = F.pad(torch.cumsum(h, dim=-1), (1, 0))
    x = x.clamp(0.0, 1.0)
    k = torch.searchsorted(
        x_knots[..., 1:-1].contiguous(), x.unsqueeze(-1).contiguous()
    )  # (..., 1)

    def at(t: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        return torch.gather(t, -1, idx).squeeze(-1)

    x_k, y_k, w_k, h_k = at(x_knots, k), at(y_knots, k), at(w, k), at(h, k)
    d_k, d_k1 = at(d, k), at(d, k + 1)
    s_k = h_k / w_k  # slope of the bin's chord
    xi = ((x - x_k) / w_k).clamp(0.0, 1.0)  # position inside the bin, 0..1
    xi1 = xi * (1 - xi)
    denom = s_k + (d_k1 + d_k - 2 * s_k) * xi1
    y = y_k + h_k * (s_k * xi.square() + d_k * xi1) / denom
    numer = s_k.square() * (d_k1 * xi.square() + 2 * s_k * xi1 + d_k * (1 - xi).square())
    log_derivative = torch.log(numer) - 2 * torch.log(denom)
    return y.clamp(0.0, 1.0), log_derivative


class _MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask (MADE)."""

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__(mask.shape[1], mask.shape[0])
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class _AutoregressiveSpline(nn.Module):
    """One autoregressive spline layer: ``y_i = spline_i(x_i; MADE(x_<i))`` on [0, 1]^D.

    The conditioner is a masked MLP (MADE, Germain et al. 2015) whose output for variable i sees
    only variables before i in ``order``; applied to noise, this is an inverse autoregressive
    flow (Kingma et al. 2016): sampling and the log-density of a sample are one parallel pass.
    """

    def __init__(self, dim: int, *, n_bins: int, hidden: int, order: torch.Tensor) -> None:
        super().__init__()
        self.dim, self.n_bins = dim, n_bins
        degree_in = torch.empty(dim, dtype=torch.long)
        degree_in[order] = torch.arange(dim)  # position of each variable in the order
        degree_hidden = torch.arange(hidden) % max(dim - 1, 1)  # 0..D-2
        n_params = 3 * n_bins + 1
        degree_out = degree_in.repeat_interleave(n_params)  # (D * n_params,)
        self.inp = _MaskedLinear((degree_hidden[:, None] >= degree_in[None, :]).float())
        self.mid = _MaskedLinear((degree_hidden[:, None] >= degree_hidden[None, :]).float())
        self.out = _MaskedLinear((degree_out[:, None] > degree_hidden[None, :]).float())
        # Zero output layer: every spline starts as the identity.
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x (B, D)`` in [0, 1] -> ``(y (B, D), log|det J| (B,))``."""
        h = F.gelu(self.inp(x))  # (B, H)
        h = F.gelu(self.mid(h))
        params = self.out(h).view(*x.shape, 3 * self.n_bins + 1)  # (B, D, 3K+1)
        k = self.n_bins
        y, logd = rational_quadratic_spline(
            x, params[..., :k], params[..., k : 2 * k], params[..., 2 * k :]
        )
        return y, logd.sum(-1)


class PieceFlow(nn.Module):
    """A normalising flow from ``z ~ N(0, I)`` to pieces of continuous pitches, with exact entropy.

    Why a flow: training minimises ``E_q[E(x)] / T - H(q)``, which needs the entropy of the
    generator's own distribution. A flow gives ``log q(x)`` exactly for its own samples (change of
    variables), so the entropy term is an unbiased Monte-Carlo average with no estimator bias
    and no batch-size effects, unlike a k-nearest-neighbour estimate in ``voices * steps``
    dimensions. Why autoregressive rational-quadratic splines: the target is multimodal (one mode
    per consonant interval), and a monotone spline with K bins can shape a 1-D conditional
    density with many narrow peaks, which affine flows cannot.

    The map, in order: ``u0 = Phi(z)`` (uniform on [0, 1]^D, so the untrained flow is uniform
    over the whole pitch box: maximal entropy at the start); ``n_layers`` autoregressive spline
    layers on [0, 1]^D; an affine map to the bass pitch of each step and the gaps between
    adjacent voices; a cumulative sum over voices (unit Jacobian). Pitches are continuous reals:
    there is no note grid and no quantisation anywhere.

    Parameters
    ----------
    config : FlowConfig
    """

    def __init__(self, config: FlowConfig) -> None:
        super().__init__()
        self.config = config
        dim = config.dim
        layers = []
        # Chord by chord (time-major): bass then gaps of step 0, then step 1, ...; reversed on
        # every other layer so that each variable is also conditioned on what follows it.
        chordwise = torch.arange(dim).view(config.voices, config.steps).T.flatten()  # (D,)
        for n in range(config.n_layers):
            order = chordwise if n % 2 == 0 else chordwise.flip(0)
            layers.append(
                _AutoregressiveSpline(dim, n_bins=config.n_bins, hidden=config.hidden, order=order)
            )
        self.layers = nn.ModuleList(layers)
        lo = torch.zeros(config.voices, config.steps)  # (V, T) cents
        width = torch.full((config.voices, config.steps), config.gap_max_cents)
        lo[0] = config.bass_low_cents
        width[0] = config.bass_high_cents - config.bass_low_cents
        self.register_buffer("offset", lo.flatten())  # (D,) cents
        self.register_buffer("scale", width.flatten())  # (D,) cents

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Map noise to pieces.

        Parameters
        ----------
        z : Tensor, shape (B, V * T)
            Standard normal noise.

        Returns
        -------
        cents : Tensor, shape (B, V, T)
            Pitches in cents; voice 0 is the lowest.
        log_q : Tensor, shape (B,)
            ``log q(cents)``, the flow's exact log-density (in 1/cents^D) at each sample.
        """
        cfg = self.config
        # log N(z) - log|d Phi/dz| = -log 1 on the cube: the uniform base has log-density 0.
        u = torch.special.ndtr(z)  # (B, D) uniform on [0, 1]
        log_det = torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
        for layer in self.layers:
            u, ld = layer(u)
            log_det = log_det + ld
        params = self.offset + self.scale * u  # (B, D) cents: bass (voice 0) and gaps (voices 1..)
        log_det = log_det + torch.log(self.scale).sum()
        cents = params.view(-1, cfg.voices, cfg.steps).cumsum(
            dim=1
        )  # (B, V, T) pitches, unit Jacobian
        return cents, -log_det

    def sample(self, n: int, *, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` pieces ``(n, V, T)`` and their log-densities ``(n,)``, from ``generator``'s noise."""
        device = self.offset.device
        z = torch.randn(n, self.config.dim, generator=generator, device=device)
        return self(z)
