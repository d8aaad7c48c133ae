"""Against people: every consonance model vs Schwartz et al. 2003 dyad ranks and Johnson-Laird et al.
2012 triad/tetrad ratings, checked against the published correlations (reference §3.6).

Print the table for the README with ``.venv/bin/python -m tests.psychoacoustics.test_perception``.

Sign convention: every correlation is oriented so that positive = the model agrees with people
(roughness is negated, harmonicity kept; Schwartz ranks and Johnson-Laird ratings are
dissonance-like: a higher rank or rating = more dissonant).

Tolerances, and why:
- Where our model is the published model on the published stimuli (Hutchinson-Knopoff = incon's
  ``hutch_78_roughness``, 12-TET tones of 11 harmonics with 1/n amplitudes), the correlation is a
  deterministic function of the same numbers, so it must match to 0.01 (rounding of the printed
  figure), far inside the sampling CI (e.g. jl12a r = 0.62, 95 % CI about 0.42-0.76).
- ``harmonicity`` is Harrison & Pearce's KL harmonicity (``har_18``) with continuous pitch and
  12 template harmonics where incon rounds to whole cents and uses 11: allowed 0.03.
- On the Bowling-style stimuli (just ratios, 10 partials, 1/n), which differ from the published
  ones, we ask for the published figure's 95 % confidence interval (Fisher z, n = 12): that is
  what "agrees with the published figure" can honestly mean for a different stimulus set.
- Where nothing is published for a model and data set (Sethares and Vassilakis on Johnson-Laird),
  we check the sign on triads and record the finding on tetrads (no predictive power).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr

from xentune.psychoacoustics.consonance import (
    CONSONANCE_MODELS,
    HIGHER_IS_CONSONANT,
    score_chords,
)
from xentune.spectrum import Spectrum

#: Just ratios of the Bowling et al. (2018) stimuli by semitone (incon bowl18, reference §3.4).
BOWLING_JUST = {
    1: Fraction(16, 15),
    2: Fraction(9, 8),
    3: Fraction(6, 5),
    4: Fraction(5, 4),
    5: Fraction(4, 3),
    6: Fraction(7, 5),
    7: Fraction(3, 2),
    8: Fraction(8, 5),
    9: Fraction(5, 3),
    10: Fraction(9, 5),
    11: Fraction(15, 8),
    12: Fraction(2, 1),
}

F0_HZ = 261.63

#: incon model label of each of our models (where one corresponds).
INCON_LABEL = {
    "sethares": "seth_93",
    "vassilakis": "vass_01",
    "hutchinson": "hutch_78",
    "harmonicity": "har_18",
    "harmonicity_peak": "milne_13",
}

#: Plain Pearson r, sign flipped to agreement, inconPaper output/perception-generalise-lm.csv
#: (reference §3.6): (model, data set) -> r. Stimuli: 12-TET, 11 harmonics, 1/n.
PUBLISHED_PEARSON = {
    ("hutchinson", "sch03"): 0.852,
    ("hutchinson", "jl12a"): 0.620,
    ("hutchinson", "jl12b"): 0.425,
    ("harmonicity", "sch03"): 0.756,
    ("harmonicity", "jl12a"): 0.584,
    ("harmonicity", "jl12b"): 0.661,
}

#: Spearman on the 12 Bowling dyads (reference §3.6, "computed here" from incon's models).
PUBLISHED_DYAD_SPEARMAN = {
    "sethares": 0.588,
    "vassilakis": 0.382,
    "hutchinson": 0.928,
    "harmonicity": 0.830,
    "harmonicity_peak": 0.856,
}


def harmonic_spectrum(n_partials: int) -> Spectrum:
    """Harmonic tone with amplitudes 1/n (sawtooth-like), as Bowling's and incon's defaults."""
    return Spectrum(
        tuple(float(k) for k in range(1, n_partials + 1)),
        tuple(1.0 / k for k in range(1, n_partials + 1)),
        f"harmonic 1/n, {n_partials} partials",
    )


def _midi_hz(midi: np.ndarray) -> np.ndarray:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _agreement_scores(scores: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Orient every model so that higher = more consonant."""
    return {m: (v if m in HIGHER_IS_CONSONANT else -v) for m, v in scores.items()}


@dataclass(frozen=True)
class DataSet:
    name: str
    description: str
    f0_hz: np.ndarray  # (N, V)
    dissonance: np.ndarray  # (N,) higher = more dissonant (rank or rating)
    spectrum: Spectrum


#: Published listener ratings, transcribed (tests/data/perception/SOURCES.md cites each).
PERCEPTION_DIR = Path(__file__).resolve().parents[1] / "data" / "perception"


def load_datasets(folder: Path = PERCEPTION_DIR) -> dict[str, DataSet]:
    """The perceptual data sets of tests/data/perception, with the stimuli to score them with."""
    rows = list(csv.DictReader((folder / "schwartz2003_dyad_rank.csv").open()))
    semitones = [int(r["interval_semitones"].split()[1]) for r in rows]
    rank = np.array([float(r["consonance_rank"]) for r in rows])
    out = {
        "sch03": DataSet(
            "sch03",
            "Schwartz 2003 dyad ranks; Bowling stimuli: just ratios, 10 partials 1/n, f0 261.63 Hz",
            np.array([[F0_HZ, F0_HZ * float(BOWLING_JUST[s])] for s in semitones]),
            rank,
            harmonic_spectrum(10),
        ),
        "sch03-incon": DataSet(
            "sch03-incon",
            "Schwartz 2003 dyad ranks; incon stimuli: 12-TET, 11 partials 1/n",
            np.array([[F0_HZ, F0_HZ * 2 ** (s / 12)] for s in semitones]),
            rank,
            harmonic_spectrum(11),
        ),
    }
    for name, file in (
        ("jl12a", "johnsonlaird2012_fig2_triads.csv"),
        ("jl12b", "johnsonlaird2012_fig3_tetrads.csv"),
    ):
        rows = list(csv.DictReader((folder / file).open()))
        midi = np.array([[float(x) for x in r["midi"].split()] for r in rows])
        out[name] = DataSet(
            name,
            f"Johnson-Laird 2012 {'triads' if name == 'jl12a' else 'tetrads'} (dissonance ratings); "
            "12-TET, 11 partials 1/n",
            _midi_hz(midi),
            np.array([float(r["mean_rating"]) for r in rows]),
            harmonic_spectrum(11),
        )
    return out


def correlations(data: DataSet) -> dict[str, tuple[float, float]]:
    """Model -> (Pearson r, Spearman rho), oriented so that positive = agrees with people."""
    scores = _agreement_scores(score_chords(data.f0_hz, data.spectrum))
    consonance = -data.dissonance
    return {
        m: (float(pearsonr(v, consonance)[0]), float(spearmanr(v, consonance)[0]))
        for m, v in scores.items()
    }


def _fisher_ci(r: float, n: int, *, spearman: bool = False) -> tuple[float, float]:
    """95 % CI of a correlation (Fisher z; Spearman with the Fieller et al. 1957 factor 1.06)."""
    se = (1.06 if spearman else 1.0) / math.sqrt(n - 3)
    z = math.atanh(r)
    return math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se)


@pytest.fixture(scope="module")
def table() -> dict[str, dict[str, tuple[float, float]]]:
    return {name: correlations(data) for name, data in load_datasets().items()}


@pytest.mark.parametrize(("model", "dataset"), sorted(PUBLISHED_PEARSON))
def test_reproduces_published_correlations(
    table: dict[str, dict[str, tuple[float, float]]], model: str, dataset: str
) -> None:
    key = "sch03-incon" if dataset == "sch03" else dataset
    r = table[key][model][0]
    tol = 0.01 if model == "hutchinson" else 0.03
    assert r == pytest.approx(PUBLISHED_PEARSON[(model, dataset)], abs=tol)


@pytest.mark.parametrize("model", sorted(PUBLISHED_DYAD_SPEARMAN))
def test_bowling_dyads_within_published_ci(
    table: dict[str, dict[str, tuple[float, float]]], model: str
) -> None:
    # Published: Spearman with Bowling's dyad ratings (which rank the dyads like Schwartz 2003:
    # Spearman 0.975 between the two); ours: with the Schwartz ranks, on Bowling-style stimuli.
    rho = table["sch03"][model][1]
    lo, hi = _fisher_ci(PUBLISHED_DYAD_SPEARMAN[model], 12, spearman=True)
    assert rho > 0
    assert lo <= rho <= hi, (model, rho, (lo, hi))


def test_every_model_agrees_on_dyads_and_triads(
    table: dict[str, dict[str, tuple[float, float]]],
) -> None:
    for model in CONSONANCE_MODELS:
        for dataset in ("sch03", "sch03-incon", "jl12a"):
            pearson, spearman = table[dataset][model]
            assert pearson > 0 and spearman > 0, (model, dataset, pearson, spearman)


def test_hutchinson_is_the_best_roughness_model(
    table: dict[str, dict[str, tuple[float, float]]],
) -> None:
    # Harrison & Pearce 2020: Hutchinson-Knopoff beats Sethares and Vassilakis (partial r 0.77 vs
    # 0.56 and 0.48 on Bowling's 298 chords); the same order holds on every data set here.
    for dataset in ("sch03", "jl12a", "jl12b"):
        r = {m: table[dataset][m][0] for m in ("hutchinson", "sethares", "vassilakis")}
        assert r["hutchinson"] > max(r["sethares"], r["vassilakis"]), (dataset, r)


def test_sethares_and_vassilakis_do_not_predict_tetrads(
    table: dict[str, dict[str, tuple[float, float]]],
) -> None:
    # A finding, not a published figure: on Johnson-Laird's tetrads (many spread over two octaves)
    # the Sethares-curve models carry no information (|r| < 0.2), while harmonicity does (r 0.66).
    for model in ("sethares", "sethares1993", "vassilakis"):
        assert abs(table["jl12b"][model][0]) < 0.2, (model, table["jl12b"][model])
    assert table["jl12b"]["harmonicity"][0] > 0.5


def markdown_table() -> str:
    """The README table: Pearson / Spearman per model and data set, published figures beside."""
    datasets = load_datasets()
    results = {name: correlations(data) for name, data in datasets.items()}
    published_key = {"sch03-incon": "sch03", "jl12a": "jl12a", "jl12b": "jl12b"}
    lines = [
        "| model | " + " | ".join(datasets) + " |",
        "|---|" + "---|" * len(datasets),
    ]
    for model in CONSONANCE_MODELS:
        cells = []
        for name in datasets:
            r, rho = results[name][model]
            cell = f"{r:.3f} / {rho:.3f}"
            if name == "sch03" and model in PUBLISHED_DYAD_SPEARMAN:
                cell += f" (pub. rho {PUBLISHED_DYAD_SPEARMAN[model]:.3f})"
            pub = PUBLISHED_PEARSON.get((model, published_key.get(name, "")))
            if pub is not None:
                cell += f" (pub. r {pub:.3f})"
            cells.append(cell)
        label = f"{model} (~{INCON_LABEL[model]})" if model in INCON_LABEL else model
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    lines += [
        f"- {name}: {data.description}, n = {len(data.dissonance)}"
        for name, data in datasets.items()
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
