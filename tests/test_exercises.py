"""The exercise checks accept a right answer, reject a wrong one, and remind on an unfinished one."""

import numpy as np
import pytest

from aelib import exercises

pytestmark = pytest.mark.keras


def test_right_answers_pass():
    assert exercises.check_reparameterization(lambda m, lv, e: m + np.exp(lv / 2) * e).startswith("Correct")
    kl = lambda m, lv: 0.5 * np.sum(np.exp(lv) + m**2 - 1 - lv, axis=-1)
    assert exercises.check_gaussian_kl(kl).startswith("Correct")
    nll = lambda x, l: np.sum(np.logaddexp(0, l) - x * l, axis=(1, 2, 3))
    assert exercises.check_bernoulli_nll(nll).startswith("Correct")

    def mmd(x, y):
        def k(a, b):
            d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
            return sum(2 * 3 * s / (2 * 3 * s + d2) for s in (0.1, 0.2, 0.5, 1, 2, 5, 10))

        kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
        n, m = len(x), len(y)
        return (kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.mean()

    assert exercises.check_mmd(mmd).startswith("Correct")


def test_wrong_answers_are_told_apart():
    assert "differs" in exercises.check_reparameterization(lambda m, lv, e: m + np.exp(lv) * e)
    assert "shape" in exercises.check_gaussian_kl(lambda m, lv: 0.5 * (np.exp(lv) + m**2 - 1 - lv))


def test_unfinished_answers_get_a_reminder():
    def unfinished(*args):
        raise NotImplementedError

    assert exercises.check_mmd(lambda x, y: None).startswith("Not done yet")
    assert exercises.check_gaussian_kl(unfinished).startswith("Not done yet")


def test_frechet_check_tells_the_covariance_divisor_apart():
    import scipy.linalg

    def frechet(a, b, ddof=1):
        cov_a, cov_b = np.cov(a, rowvar=False, ddof=ddof), np.cov(b, rowvar=False, ddof=ddof)
        root = scipy.linalg.sqrtm(cov_a @ cov_b).real
        return np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(cov_a + cov_b - 2 * root)

    real = (np.random.default_rng(1).normal(size=(300, 5)), np.random.default_rng(2).normal(size=(200, 5)))
    assert exercises.check_frechet_distance(frechet, features=real).startswith("Correct")
    assert "Not yet" in exercises.check_frechet_distance(lambda a, b: frechet(a, b, ddof=0))
    assert exercises.check_frechet_distance(lambda a, b: None).startswith("Not done yet")
