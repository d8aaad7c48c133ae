"""Tuning: Scala scales and keyboard mappings, frequency tables, ratios, EDO fits, MIDI export."""

from xentune.tuning.scala import (
    AbletonScale,
    format_kbm,
    format_scl,
    parse_ascl,
    parse_kbm,
    parse_scl,
    read_ascl,
    read_kbm,
    read_scl,
    write_kbm,
    write_scl,
)
from xentune.tuning.scale import KeyboardMapping, Scale, frequency_table, mapped_keys

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
