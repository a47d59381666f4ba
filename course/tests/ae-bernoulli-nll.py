"""Hidden tests of chapter 1's exercise ae-bernoulli-nll: `my_bernoulli_nll(x, logits)`."""

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "ae-bernoulli-nll"
points = None


def _expected(x, logits):
    x, logits = np.asarray(x, np.float64), np.asarray(logits, np.float64)
    return (np.logaddexp(0.0, logits) - x * logits).reshape(len(x), -1).sum(axis=1)


def _result(fn, x, logits):
    return np.asarray(fn(x, logits), dtype=np.float64)


@test_case(points=1, hidden=True)
def test_matches_the_formula(my_bernoulli_nll):
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(5, 28, 28, 1)).astype(np.float32)
    logits = (3 * rng.normal(size=(5, 28, 28, 1))).astype(np.float32)
    np.testing.assert_allclose(
        _result(my_bernoulli_nll, x, logits), _expected(x, logits), rtol=1e-4
    )


def _extreme(fn, size, seed, hint):
    """Pixels of 0, of 1 and grey, under logits of +-size: the loss must be finite and right."""
    rng = np.random.default_rng(seed)
    x = np.concatenate(
        [np.zeros((1, 28, 28, 1)), np.ones((1, 28, 28, 1)), rng.uniform(size=(2, 28, 28, 1))]
    ).astype(np.float32)
    logits = np.where(rng.uniform(size=x.shape) < 0.5, -size, size).astype(np.float32)
    result = _result(fn, x, logits)
    assert np.all(np.isfinite(result)), f"logits of +-{size:g} give {result}: {hint}"
    np.testing.assert_allclose(result, _expected(x, logits), rtol=1e-4)


@test_case(points=2, hidden=True)
def test_finite_and_right_at_logits_of_plus_minus_100(my_bernoulli_nll):
    _extreme(my_bernoulli_nll, 100.0, 2, "compute the loss from the logits (softplus)")


@test_case(points=1, hidden=True)
def test_finite_and_right_at_logits_of_plus_minus_1000(my_bernoulli_nll):
    # log1p(exp(logits)) overflows past about 709 even in float64; softplus or logaddexp does not
    _extreme(my_bernoulli_nll, 1000.0, 5, "use a form that cannot overflow")


@test_case(points=1, hidden=True)
def test_one_value_per_image_for_any_batch(my_bernoulli_nll):
    rng = np.random.default_rng(3)
    for batch in (1, 3):
        x = rng.uniform(size=(batch, 28, 28, 1)).astype(np.float32)
        logits = rng.normal(size=(batch, 28, 28, 1)).astype(np.float32)
        result = _result(my_bernoulli_nll, x, logits)
        assert result.shape == (batch,), (
            f"batch of {batch}: expected shape ({batch},), got {result.shape}"
        )
        np.testing.assert_allclose(result, _expected(x, logits), rtol=1e-4)


@test_case(points=1, hidden=True)
def test_float64_inputs(my_bernoulli_nll):
    rng = np.random.default_rng(4)
    x = rng.uniform(size=(2, 28, 28, 1))
    logits = 5 * rng.normal(size=(2, 28, 28, 1))
    result = _result(my_bernoulli_nll, x, logits)
    np.testing.assert_allclose(result, _expected(x, logits), rtol=1e-6)
