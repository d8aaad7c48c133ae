"""The generator: score format, energy, model, training and sampling of continuous-pitch pieces."""
