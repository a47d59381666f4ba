"""Tests for aelib.checks: what each check lets through, and the message for what it refuses."""

import numpy as np
import pytest

from aelib.checks import check_choice, check_codes, check_integer, check_number


@pytest.mark.parametrize("value", [1, 7, np.int64(3), np.int32(10)])
def test_check_integer_returns_a_python_int(value):
    result = check_integer(value, "size", high=10)
    assert result == value and type(result) is int


@pytest.mark.parametrize(
    "value, kwargs, message",
    [
        (0, {}, "Expected `n` to be a positive integer. Received: n=0"),
        (True, {}, "Expected `n` to be a positive integer. Received: n=True"),
        (2.0, {}, "Expected `n` to be a positive integer. Received: n=2.0"),
        ("3", {}, "Expected `n` to be a positive integer. Received: n='3'"),
        (None, {}, "Expected `n` to be a positive integer. Received: n=None"),
        (2, {"low": 3}, "Expected `n` to be an integer >= 3. Received: n=2"),
        (11, {"high": 10}, "Expected `n` to be an integer between 1 and 10. Received: n=11"),
        (
            31,
            {"high": 30, "high_is": "the number of codes"},
            r"an integer between 1 and the number of codes \(30\). Received: n=31",
        ),
    ],
)
def test_check_integer_refuses_with_the_received_value(value, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_integer(value, "n", **kwargs)


def test_check_number_accepts_finite_numbers_and_none_when_asked():
    assert check_number(0, "kl_weight") == 0.0 and type(check_number(2, "w")) is float
    assert check_number(np.float32(0.5), "w", low=0.0, strict=True) == 0.5
    assert check_number(None, "dimension", none_ok=True) is None


@pytest.mark.parametrize(
    "value, kwargs, message",
    [
        (-1.0, {}, "Expected `w` to be a finite number >= 0. Received: w=-1.0"),
        (float("nan"), {}, "Received: w=nan"),
        (float("inf"), {}, "Received: w=inf"),
        (True, {}, "Received: w=True"),
        ("1", {}, "Received: w='1'"),
        (0, {"strict": True}, "Expected `w` to be a finite number > 0. Received: w=0"),
        (0, {"strict": True, "none_ok": True}, "to be None or a finite number > 0"),
        (None, {}, "Received: w=None"),
    ],
)
def test_check_number_refuses_with_the_received_value(value, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_number(value, "w", **kwargs)


def test_check_choice():
    assert check_choice("imq", "kernel", ("imq", "rbf")) == "imq"
    with pytest.raises(ValueError, match=r"one of \('imq', 'rbf'\). Received: kernel='linear'"):
        check_choice("linear", "kernel", ("imq", "rbf"))


def test_check_codes():
    codes = check_codes(np.arange(12, dtype=np.int32).reshape(6, 2))
    assert codes.dtype == np.float64 and codes.shape == (6, 2)
    with pytest.raises(
        ValueError, match=r"reference of shape \(N, 3\). Received: reference.shape=\(4, 2\)"
    ):
        check_codes(np.zeros((4, 2)), width=3, name="reference")
    with pytest.raises(ValueError, match="one code per image"):
        check_codes(np.zeros((4, 2)), count=5)
    with pytest.raises(ValueError, match="at least 3 codes"):
        check_codes(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="1 values are NaN"):
        check_codes(np.array([[0.0], [1.0], [np.nan]]))
