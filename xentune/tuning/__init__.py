"""Tuning: Scala scales and keyboard mappings, frequency tables, ratios, EDO fits, MIDI export."""

from xentune.tuning.ascl import AbletonScale, parse_ascl, read_ascl
from xentune.tuning.frequencies import frequency_table, mapped_keys
from xentune.tuning.kbm import format_kbm, parse_kbm, read_kbm, write_kbm
from xentune.tuning.scala import format_scl, parse_scl, read_scl, write_scl
from xentune.tuning.scale import KeyboardMapping, Scale

__all__ = [
    "AbletonScale",
    "KeyboardMapping",
    "Scale",
    "format_kbm",
    "format_scl",
    "frequency_table",
    "mapped_keys",
    "parse_ascl",
    "parse_kbm",
    "parse_scl",
    "read_ascl",
    "read_kbm",
    "read_scl",
    "write_kbm",
    "write_scl",
]
