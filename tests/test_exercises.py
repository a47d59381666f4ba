"""The exercise checks accept right answers, reject the usual wrong ones, remind on stubs."""

import numpy as np
import pytest

from aelib import exercises

pytestmark = pytest.mark.keras


def stable_nll(x, logits):
    return np.sum(np.logaddexp(0, logits) - x * logits, axis=(1, 2, 3))


def sigmoid_then_log_nll(x, logits):
    p = 1 / (1 + np.exp(-logits))
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))


def test_right_answers_pass():
    assert exercises.check_reparameterization(lambda m, lv, e: m + np.exp(lv / 2) * e).startswith(
        "Correct"
    )
    assert exercises.check_reparameterization(
        lambda m, lv, e: m + np.sqrt(np.exp(lv)) * e
    ).startswith("Correct")

    def kl(m, lv):
        return 0.5 * np.sum(np.exp(lv) + m**2 - 1 - lv, axis=-1)

    assert exercises.check_gaussian_kl(kl).startswith("Correct")
    assert exercises.check_bernoulli_nll(stable_nll).startswith("Correct")

    # Another stable form: softplus(l) = max(l, 0) + log(1 + exp(-|l|)).
    def other(x, logits):
        return np.sum(
            np.maximum(logits, 0) + np.log1p(np.exp(-np.abs(logits))) - x * logits, axis=(1, 2, 3)
        )

    assert exercises.check_bernoulli_nll(other).startswith("Correct")

    def mmd(x, y):
        def k(a, b):
            d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
            return sum(2 * 3 * s / (2 * 3 * s + d2) for s in (0.1, 0.2, 0.5, 1, 2, 5, 10))

        kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
        n, m = len(x), len(y)
        return (
            (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
            + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2 * kxy.mean()
        )

    assert exercises.check_mmd(mmd).startswith("Correct")


def test_bernoulli_check_needs_a_loss_finite_at_logits_of_100():
    # The exercise asks for a loss finite at logits of +-100.
    with np.errstate(all="ignore"):
        naive = exercises.check_bernoulli_nll(sigmoid_then_log_nll)
        in_float64 = exercises.check_bernoulli_nll(
            lambda x, logits: sigmoid_then_log_nll(x, logits.astype(np.float64))
        )
        naive_softplus = exercises.check_bernoulli_nll(
            lambda x, logits: np.sum(np.log1p(np.exp(logits)) - x * logits, axis=(1, 2, 3))
        )
    for message in (naive, in_float64, naive_softplus):
        assert message.startswith("Not yet") and "not finite" in message and "+-100" in message

    # Clipping the probability keeps the loss finite, and wrong by up to 84 nats a pixel.
    def clipped_nll(x, logits):
        p = np.clip(1 / (1 + np.exp(-logits)), 1e-7, 1 - 1e-7)
        return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))

    with np.errstate(over="ignore"):
        clipped = exercises.check_bernoulli_nll(clipped_nll)
    assert clipped.startswith("Not yet: your bernoulli_nll differs") and "+-100" in clipped


def test_reparameterization_check_names_the_variance_slip():
    variance = exercises.check_reparameterization(lambda m, lv, e: m + np.exp(lv) * e)
    assert variance.startswith("Not yet") and "variance exp(z_log_var)" in variance
    log_var = exercises.check_reparameterization(lambda m, lv, e: m + lv * e)
    assert log_var.startswith("Not yet") and "z_log_var itself" in log_var
    own_noise = exercises.check_reparameterization(
        lambda m, lv, e: m + np.exp(lv / 2) * np.random.normal(size=m.shape)
    )
    assert own_noise.startswith("Not yet: your reparameterization differs")


def test_gaussian_kl_check_wants_one_value_per_example_and_the_right_constants():
    def summand(m, lv):
        return np.exp(lv) + m**2 - 1 - lv

    for wrong in (
        lambda m, lv: 0.5 * summand(m, lv),  # no sum: (batch, latent_dim)
        lambda m, lv: 0.5 * np.sum(summand(m, lv)),  # summed over the batch too: one number
        lambda m, lv: 0.5 * np.sum(summand(m, lv), axis=0),  # over the batch only: (latent_dim,)
        lambda m, lv: 0.5 * np.sum(summand(m, lv), axis=-1, keepdims=True),  # (batch, 1)
    ):
        assert "shape" in exercises.check_gaussian_kl(wrong)
    assert "1/2" in exercises.check_gaussian_kl(lambda m, lv: np.sum(summand(m, lv), axis=-1))
    assert "minus sign" in exercises.check_gaussian_kl(
        lambda m, lv: 0.5 * np.sum(np.exp(lv) + m**2 - 1 + lv, axis=-1)
    )
    assert "-1 is missing" in exercises.check_gaussian_kl(
        lambda m, lv: 0.5 * np.sum(np.exp(lv) + m**2 - lv, axis=-1)
    )

    def log_std(m, lv):
        return 0.5 * np.sum(np.exp(2 * lv) + m**2 - 1 - 2 * lv, axis=-1)

    assert "log of the variance" in exercises.check_gaussian_kl(log_std)


def test_unfinished_answers_get_a_reminder():
    def unfinished(*args):
        raise NotImplementedError

    assert exercises.check_mmd(lambda x, y: None).startswith("Not done yet")
    assert exercises.check_gaussian_kl(unfinished).startswith("Not done yet")
    assert exercises.check_bernoulli_nll(unfinished).startswith("Not done yet")
    assert exercises.check_reparameterization(unfinished).startswith("Not done yet")
    # A stub that still raises is "not filled in"; a function that returns nothing "returned None".
    assert "not filled in" in exercises.check_bernoulli_nll(unfinished)
    assert "returned None" in exercises.check_mmd(lambda x, y: None)


def knn_weights(codes, k, dimension, count_self=False, power=True):
    """Brute-force k-NN weights: r_k ** dimension, scaled to mean 1 (the chapter-5 exercise)."""
    distances = np.sqrt(((codes[:, None, :] - codes[None, :, :]) ** 2).sum(-1))
    r_k = np.sort(distances, axis=1)[:, k - 1 if count_self else k]  # column 0 is the code itself
    weights = r_k**dimension if power else r_k
    return weights / weights.mean()


def test_knn_weights_check_accepts_brute_force_and_names_the_usual_slips():
    assert exercises.check_knn_weights(knn_weights).startswith("Correct")
    # Counting each code as its own nearest neighbour, or forgetting the power of the dimension.
    assert exercises.check_knn_weights(
        lambda c, k, d: knn_weights(c, k, d, count_self=True)
    ).startswith("Not yet")
    assert exercises.check_knn_weights(
        lambda c, k, d: knn_weights(c, k, d, power=False)
    ).startswith("Not yet")
    assert exercises.check_knn_weights(lambda c, k, d: None).startswith("Not done yet")
    # Using the codes' width as the exponent, where the check's dimension differs from it.
    width = exercises.check_knn_weights(lambda c, k, d: knn_weights(c, k, c.shape[1]))
    assert width.startswith("Not yet") and "`dimension`" in width


def test_bernoulli_check_catches_a_float64_loss_that_overflows_past_709():
    def overflowing(x, logits):
        logits = logits.astype(np.float64)
        return np.sum(np.log1p(np.exp(logits)) - x * logits, axis=(1, 2, 3))

    with np.errstate(over="ignore"):
        message = exercises.check_bernoulli_nll(overflowing)
    assert message.startswith("Not yet") and "not finite" in message and "+-1000" in message
