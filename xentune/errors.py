"""The one exception hierarchy of xentune: every user-facing error is a ``XentuneError``."""

from __future__ import annotations

__all__ = [
    "AudioError",
    "CheckpointError",
    "ConfigError",
    "Interrupted",
    "MidiError",
    "OutputError",
    "OutputExistsError",
    "ScalaError",
    "ScoreError",
    "SpecError",
    "XentuneError",
]


class XentuneError(Exception):
    """Base class of errors caused by bad input; the CLI prints the message and exits with 2.

    The message says what is wrong, with the offending value, and how to fix it.
    """


class SpecError(XentuneError):
    """A timbre spec (preset string, partials file or audio source) that cannot be used."""


class ScalaError(XentuneError):
    """A malformed Scala ``.scl`` or ``.kbm`` file (the message names file and line)."""


class ScoreError(XentuneError):
    """A malformed or invalid ``score.json``."""


class MidiError(XentuneError):
    """A MIDI file that cannot be written or read back."""


class AudioError(XentuneError):
    """An audio file that cannot be read, or audio that cannot be analysed (silent, too short)."""


class ConfigError(XentuneError):
    """An impossible parameter value (out of range, NaN, inconsistent with another one)."""


class CheckpointError(XentuneError):
    """A checkpoint that is missing, corrupt, or from another configuration."""


class OutputExistsError(XentuneError):
    """An output that already exists and would be replaced without ``--force``."""


class OutputError(XentuneError):
    """An output that cannot be written: a full disk, a read-only folder, no permission, a name too long."""


class Interrupted(XentuneError):
    """Ctrl-C or SIGTERM stopped a command; the message says what was kept (and how to resume).

    The CLI prints it as ``xentune: interrupted: ...`` and exits with 130 (128 + SIGINT).
    """
