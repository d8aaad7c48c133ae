"""Psychoacoustic models on spectra: roughness, harmonicity, dissonance curves, listening."""
