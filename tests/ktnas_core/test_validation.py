from __future__ import annotations

import numpy as np
import pytest

from ktnas_core.errors import ParameterError
from ktnas_core.validation import check_choice, check_flag, check_int, check_rate, is_int, make_rng


@pytest.mark.parametrize("value, ok", [(3, True), (np.int64(3), True), (0, False), (True, False), (3.0, False),
                                       ("3", False), (11, False)])
def test_is_int_takes_integers_in_range_only(value, ok):
    assert is_int(value, 1, 10) is ok


@pytest.mark.parametrize("call, message", [
    (lambda: check_int("budget", 0), "budget=0 is out of range; allowed: an integer >= 1"),
    (lambda: check_int("size", 11, 1, 10), "size=11 is out of range; allowed: an integer in [1, 10]"),
    (lambda: check_int("seed", True, 0), "seed=True is out of range; allowed: an integer >= 0"),
    (lambda: check_rate("rate", 1.5), "rate=1.5 is out of range; allowed: a number in [0, 1]"),
    (lambda: check_rate("top", 0, low_open=True), "top=0 is out of range; allowed: a number in (0, 1]"),
    (lambda: check_choice("kind", "c", ("a", "b")), "kind='c' is not known; choose one of ['a', 'b']"),
    (lambda: check_flag("amp", 1), "amp=1 must be True or False"),
    (lambda: make_rng(-1), "random_state=-1 is not allowed"),
])
def test_messages_name_the_value_and_what_is_allowed(call, message):
    with pytest.raises(ParameterError) as info:
        call()
    assert str(info.value).startswith(message)


def test_accepted_values_come_back_as_plain_python():
    assert type(check_int("n", np.int64(4))) is int and check_int("n", np.int64(4)) == 4
    assert type(check_rate("r", np.float32(0.5))) is float
    assert check_flag("f", False) is False
    rng = np.random.default_rng(0)
    assert make_rng(rng) is rng
    assert make_rng(5).integers(100) == np.random.default_rng(5).integers(100)
