"""Keyboard layouts: which key plays which degree, checked key by key."""

from __future__ import annotations

import numpy as np
import pytest

from xentune.errors import ConfigError
from xentune.tuning.frequencies import frequency_table, mapped_keys
from xentune.tuning.keyboard import describe_keyboard, keyboard_mapping
from xentune.tuning.scale import Scale

JUST7 = Scale.from_ratios(["9/8", "5/4", "4/3", "3/2", "5/3", "15/8", "2/1"])
SIX = Scale.from_ratios(["6/5", "5/4", "4/3", "3/2", "5/3", "2/1"])


def test_consecutive_repeats_every_n_keys() -> None:
    table = frequency_table(SIX, keyboard_mapping("consecutive", 6, reference_hz=261.6255653005986))
    assert table[60] == pytest.approx(261.6255653005986)
    assert table[66] == pytest.approx(2 * 261.6255653005986)  # one period, 6 keys up
    assert table[61] / table[60] == pytest.approx(6 / 5)
    assert mapped_keys(SIX, keyboard_mapping("consecutive", 6)).all()


def test_white_keys_play_the_seven_degrees() -> None:
    m = keyboard_mapping("white-keys", 7)
    table = frequency_table(JUST7, m, unmapped="nan")
    c4 = table[60]
    whites = [60, 62, 64, 65, 67, 69, 71, 72]
    want = [1, 9 / 8, 5 / 4, 4 / 3, 3 / 2, 5 / 3, 15 / 8, 2]
    assert np.allclose(table[whites] / c4, want)
    assert np.isnan(table[[61, 63, 66, 68, 70]]).all()  # black keys unmapped
    assert table[48] == pytest.approx(c4 / 2)


def test_twelve_key_maps_c_upwards_and_leaves_the_rest() -> None:
    table = frequency_table(SIX, keyboard_mapping("12-key", 6), unmapped="nan")
    c4 = table[60]
    assert np.allclose(table[60:66] / c4, [1, 6 / 5, 5 / 4, 4 / 3, 3 / 2, 5 / 3])
    assert np.isnan(table[66:72]).all()
    assert table[72] == pytest.approx(2 * c4)


def test_layouts_that_cannot_hold_the_scale() -> None:
    with pytest.raises(ConfigError, match="white keys hold exactly 7"):
        keyboard_mapping("white-keys", 6)
    with pytest.raises(ConfigError, match="more than the 12 keys"):
        keyboard_mapping("12-key", 13)
    with pytest.raises(ConfigError, match="unknown keyboard layout"):
        keyboard_mapping("black-keys", 5)


def test_descriptions_say_how_keys_repeat() -> None:
    assert "every 6 keys" in describe_keyboard("consecutive", 6)
    assert "C D E F G A B" in describe_keyboard("white-keys", 7)
    assert "6 keys above the last degree are unmapped" in describe_keyboard("12-key", 6)
