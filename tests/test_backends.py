"""Backends that agree: what a trained model does afterwards, not how its loss moved.

A JAX release once trained garbage while the loss fell during `fit`; these
tests score the trained model itself, so that bug fails them.
"""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

import aelib.metrics
from aelib import backends
from aelib.models import VAE, WAE, Autoencoder

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODELS = [Autoencoder, VAE, WAE]


def build(cls, seed=0, **kwargs):
    """The model with its noise seeded (the autoencoder draws no noise)."""
    return cls(**kwargs) if cls is Autoencoder else cls(seed=seed, **kwargs)


# 1,000 + 37 images with batches of 128: the last batch of every epoch is short.
TRAIN_SIZE, BATCH_SIZE, EPOCHS = 1037, 128, 4


@pytest.fixture(scope="module")
def fashion():
    return aelib.load_dataset("fashion_mnist").subset(train_size=TRAIN_SIZE, test_size=1000, seed=0)


@pytest.mark.keras
@pytest.mark.parametrize("cls", MODELS)
def test_trained_model_agrees_with_its_last_epoch(cls, fashion):
    # Scored afterwards on its own training images, outside Keras's training loop
    # (the networks called directly), a model must reconstruct about as well as
    # its last epoch reported. On the broken jax, evaluate() found the trained
    # weights worse than untrained ones while the epoch's loss looked normal.
    keras.utils.set_random_seed(0)
    model = build(cls, latent_dim=8)
    history = model.fit(fashion.x_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    last_epoch = history.history["reconstruction_loss"][-1]
    scored = aelib.metrics.reconstruction_error(model, fashion.x_train)
    untrained = aelib.metrics.reconstruction_error(build(cls, latent_dim=8), fashion.x_train)
    assert scored < 0.6 * untrained
    # The last epoch averages over weights that were still improving, so the
    # trained model may score a little better, never much worse.
    assert 0.8 * last_epoch < scored < 1.05 * last_epoch, (scored, last_epoch)


@pytest.mark.keras
def test_evaluate_agrees_with_an_independent_score(fashion):
    keras.utils.set_random_seed(0)
    model = Autoencoder(latent_dim=8)
    model.fit(fashion.x_train, epochs=2, batch_size=BATCH_SIZE, verbose=0)
    reported = model.evaluate(fashion.x_train, batch_size=BATCH_SIZE, verbose=0, return_dict=True)[
        "loss"
    ]
    assert reported == pytest.approx(
        aelib.metrics.reconstruction_error(model, fashion.x_train), rel=1e-4
    )


_TRAIN_AND_SCORE = """
import json, keras, aelib, aelib.metrics
from aelib.models import VAE, WAE, Autoencoder
data = aelib.load_dataset("fashion_mnist").subset(train_size={train}, test_size=1000, seed=0)
scores = {{}}
for cls in (Autoencoder, VAE, WAE):
    keras.utils.set_random_seed(0)
    model = cls() if cls is Autoencoder else cls(seed=0)
    model.fit(data.x_train, epochs={epochs}, batch_size={batch}, verbose=0)
    if cls is VAE:
        scores[cls.__name__] = aelib.metrics.negative_elbo(model, data.x_test)
    else:
        scores[cls.__name__] = aelib.metrics.reconstruction_error(model, data.x_test)
print(json.dumps(scores))
"""


def _train_and_score(backend):
    script = _TRAIN_AND_SCORE.format(train=4 * TRAIN_SIZE, epochs=EPOCHS, batch=BATCH_SIZE)
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_tensorflow_and_jax_reach_the_same_test_figures():
    # Same models, budget and seed on each backend, each in its own process; the
    # test figures (negative ELBO, reconstruction error) must agree to a few
    # percent. Initial weights differ (each backend has its own random numbers),
    # which moves these figures by well under 1%.
    on_tf, on_jax = _train_and_score("tensorflow"), _train_and_score("jax")
    for name in on_tf:
        assert on_jax[name] == pytest.approx(on_tf[name], rel=0.03), (
            name,
            on_tf[name],
            on_jax[name],
        )


@pytest.mark.parametrize(
    "version, broken",
    [
        ("0.8.1", True),
        ("0.8.0", True),
        ("0.8.3", True),
        ("0.7.2", False),
        ("0.10.2", False),
        ("0.9.0.1", False),
    ],
)
def test_known_broken_jax_releases(version, broken):
    assert backends.known_broken(version) is broken


def test_installed_jax_is_not_known_broken():
    # The environment `make` builds must train correctly on both backends.
    version = backends.jax_version()
    assert version is not None, "make test runs every Keras test on JAX too: jax must be installed"
    assert not backends.known_broken(version), f"jax {version} is known to train wrong weights"


def test_fit_refuses_a_broken_jax_before_training(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setattr(backends, "jax_version", lambda: "0.8.1")
    monkeypatch.delenv(backends.OVERRIDE, raising=False)
    model = VAE(latent_dim=2)
    with pytest.raises(
        RuntimeError, match=r"jax 0\.8\.1.*0\.8\.x.*jax\[cpu\]>=0\.9\.0.*AELIB_ALLOW_BROKEN_JAX=1"
    ):
        model.fit(np.zeros((4, 28, 28, 1), np.float32), epochs=1, verbose=0)
    assert getattr(model, "optimizer", None) is None  # refused before compiling or training
    monkeypatch.setenv(backends.OVERRIDE, "1")
    backends.check_backend()  # the override lets it through


def test_known_broken_needs_a_version_string():
    with pytest.raises(ValueError, match="Received: version=None"):
        backends.known_broken(None)
