"""Batched additive synthesis of scores, envelopes and audio files."""
