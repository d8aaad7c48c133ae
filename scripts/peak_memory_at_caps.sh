#!/usr/bin/env bash
# Peak memory (max RSS, /usr/bin/time -v) of each capped command at its cap (issue 16).
# Usage: scripts/peak_memory_at_caps.sh [WORK_DIR]   (writes inputs and outputs there)
#
# Measured 2026-12-03 on the shared 2-core CPU box (load 4-6; wall times inflated), max RSS:
#   import torch (timbre show harmonic)            625 MB    3 s
#   timbre show, 256 partials                      625 MB    3 s
#   curve, 256 partials, range 1:16                758 MB   40 s  (5:52 before the work budget)
#   score, 12 chords x 32 voices x 256 p, 6 models 2.8 GB  1:44  (24 chords: 3:27, same memory)
#   analyze, .scl of 4096 notes                    762 MB   37 s
#   render, 16 voices x 600 s                      4.0 GB   57 s
#   timbre extract, 60 s stereo                    1.4 GB   10 s  (600 s: 8.9 GB before the cap)
#   train, 16 voices x 32 steps, 2 steps           3.2 GB   39 s
#   sample, 128 pieces x 16 x 32 (65,536 pitches)  2.0 GB  1:18  (999 pieces: 9.0 GB, 5:52)
#   generate, 16 x 32, 31 pieces (595 s audio)     3.2 GB   20 s  (then refused: MIDI range)
set -u
work=${1:-/tmp/xentune-caps}
mkdir -p "$work" && cd "$work" || exit 1
python - <<'PY'
import json
import numpy as np
import soundfile as sf

# A timbre file at MAX_PARTIALS (256).
json.dump({"partials": [[1 + k, 1 / (k + 1)] for k in range(256)]}, open("t256.json", "w"))
# 12 chords of 32 voices (MAX_CHORD_VOICES) x 256 partials x 6 models: just under MAX_SCORE_WORK.
rows = [",".join(str(100 + 7 * k + j) for k in range(32)) for j in range(12)]
open("chords.csv", "w").write(",".join(f"f_{k}" for k in range(1, 33)) + "\n" + "\n".join(rows) + "\n")
# One piece of 16 voices (MAX_SCORE_VOICES) lasting 600 s (MAX_RENDER_S).
V, N = 16, 999
piece = {
    "cents": np.random.default_rng(0).uniform(-1200, 1200, (V, N)).tolist(),
    "onset_s": [[0.6 * n for n in range(N)]] * V,
    "duration_s": [[0.6] * N] * V,
    "amplitude": [[0.5] * N] * V,
    "timbre": "harmonic",
}
json.dump({"format": "xentune-score", "version": 1, "pieces": [piece]}, open("s600.json", "w"))
# A scale of 4096 notes (MAX_SCL_NOTES).
lines = "".join(f" {1200 * (k + 1) / 4096:.5f}\n" for k in range(4095)) + " 2/1\n"
open("s4096.scl", "w").write("! s4096.scl\n4096-EDO\n 4096\n!\n" + lines)
# 60 s of stereo at 48 kHz (MAX_READ_SAMPLES).
t = np.arange(60 * 48000) / 48000
x = (0.3 * np.sin(2 * np.pi * 220 * t) * np.exp(-t / 20)).astype(np.float32)
sf.write("tone60.wav", np.stack([x, x], 1), 48000, subtype="FLOAT")
PY
m() {
    name=$1; shift
    /usr/bin/time -v timeout 1800 python -m xentune.cli "$@" > "out-$name.txt" 2> "err-$name.txt"
    rc=$?
    rss=$(grep "Maximum resident" "err-$name.txt" | awk '{print $6}')
    wall=$(grep "Elapsed (wall" "err-$name.txt" | awk '{print $8}')
    echo "$name rc=$rc max_rss_mb=$((rss / 1024)) wall=$wall :: xentune $*"
}
m import-torch timbre show harmonic
m timbre-show timbre show t256.json
m curve curve --timbre t256.json --range 1:16
m score score chords.csv --timbre t256.json --out sc.csv --force --quiet --device cpu
m analyze-scl analyze s4096.scl --out a4096 --force
m render render s600.json --out r.wav --force --quiet --device cpu
m timbre-extract timbre extract tone60.wav --out t.json --force --max-partials 256
m train train --voices 16 --steps 32 --train-steps 2 --out m.pt --force --quiet --device cpu
m sample sample m.pt --out smp --pieces 128 --refine-steps 20 --force --device cpu
m generate generate --voices 16 --steps 32 --pieces 31 --train-steps 2 --refine-steps 2 --out g --force --quiet --device cpu
