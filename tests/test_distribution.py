"""Training on several devices: tf.distribute on TensorFlow, keras.distribution on JAX.

Devices must be set up before the backend starts, so each case runs in a fresh
process on two virtual CPU devices -- the same commands the book's page
"More than one device" gives for real GPUs.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Trains each model on two devices, then scores the same weights on one device.
# WAE's compute_loss is wrapped to record how many codes each MMD estimate sees.
_COMMON = """
import json, keras, numpy as np
from aelib.models import VAE, WAE, Autoencoder

class CountingWAE(WAE):
    codes_per_mmd = []
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        CountingWAE.codes_per_mmd.append(int(y_pred["z"].shape[0]))
        return super().compute_loss(x, y, y_pred, sample_weight, training)

x = np.random.default_rng(0).uniform(size=(128, 28, 28, 1)).astype("float32")

def build(cls):
    return cls(latent_dim=2) if cls is Autoencoder else cls(latent_dim=2, seed=0)

def train_and_score(cls, make_in_scope, single_device):
    keras.utils.set_random_seed(0)
    model = make_in_scope(lambda: build(cls))
    CountingWAE.codes_per_mmd.clear()
    history = model.fit(x, epochs=2, batch_size=64, verbose=0)
    codes_per_mmd = sorted(set(CountingWAE.codes_per_mmd))  # as traced during training
    reported = model.evaluate(x, batch_size=64, verbose=0, return_dict=True)
    weights = model.get_weights()
    with single_device():
        single = build(cls)
        single.set_weights(weights)
        alone = single.evaluate(x, batch_size=64, verbose=0, return_dict=True)
    return {
        "history": history.history,
        "reported": reported,
        "single": alone,
        "codes_per_mmd": codes_per_mmd,
    }
"""

_TENSORFLOW = """
import contextlib, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
def in_scope(make):
    with strategy.scope():
        return make()
out = {"replicas": strategy.num_replicas_in_sync}
for cls in (Autoencoder, VAE, CountingWAE):
    out[cls.__name__] = train_and_score(cls, in_scope, contextlib.nullcontext)
print(json.dumps(out))
"""

_JAX = """
import contextlib, jax
devices = jax.devices()
keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
@contextlib.contextmanager
def single_device():
    keras.distribution.set_distribution(None)
    yield
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
out = {"replicas": len(devices)}
for cls in (Autoencoder, VAE, CountingWAE):
    out[cls.__name__] = train_and_score(cls, lambda make: make(), single_device)
try:
    VAE(latent_dim=2).fit(x[:127], epochs=1, batch_size=64, verbose=0)
except ValueError as error:
    out["uneven"] = str(error)
print(json.dumps(out))
"""


def _run(backend, body):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    if backend == "jax":
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    result = subprocess.run(
        [sys.executable, "-c", _COMMON + body],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module", params=["tensorflow", "jax"])
def two_devices(request):
    return request.param, _run(
        request.param, _TENSORFLOW if request.param == "tensorflow" else _JAX
    )


WEIGHTS = {"Autoencoder": ("", 0.0), "VAE": ("kl_loss", 1.0), "CountingWAE": ("mmd_loss", 100.0)}


@pytest.mark.slow
def test_trains_on_two_devices(two_devices):
    backend, out = two_devices
    assert out["replicas"] == 2
    for name, (term, weight) in WEIGHTS.items():
        history, reported, single = out[name]["history"], out[name]["reported"], out[name]["single"]
        assert all(abs(v) < 1e6 for values in history.values() for v in values), (
            backend,
            name,
            history,
        )
        # The loss reported on two devices is the whole batch's, not one device's
        # share: its terms add up, and the parts that draw no noise equal a
        # one-device evaluation of the same weights.
        assert reported["loss"] == pytest.approx(
            reported["reconstruction_loss"] + weight * reported.get(term, 0.0), rel=1e-4
        )
        deterministic = {
            "Autoencoder": "reconstruction_loss",
            "VAE": "kl_loss",
            "CountingWAE": "reconstruction_loss",
        }[name]
        assert reported[deterministic] == pytest.approx(single[deterministic], rel=1e-4), (
            backend,
            name,
        )
        # The VAE's reconstruction and the WAE's MMD draw fresh noise in each evaluation.
        assert reported["loss"] == pytest.approx(single["loss"], rel=0.1), (backend, name)


@pytest.mark.slow
def test_what_the_wae_mmd_is_computed_over(two_devices):
    # As the WAE's docstring says: on JAX (keras.distribution) one MMD estimate
    # over the whole global batch of 64 codes; under tf.distribute one estimate
    # per replica, over its share of 32, averaged over the replicas.
    backend, out = two_devices
    assert out["CountingWAE"]["codes_per_mmd"] == ([64] if backend == "jax" else [32])


@pytest.mark.slow
def test_an_uneven_batch_on_jax_gets_a_clear_error(two_devices):
    backend, out = two_devices
    if backend != "jax":
        pytest.skip("the check is for keras.distribution, on JAX")
    assert (
        "Received: x with 127 images and batch_size=64, so a last batch of 63 images"
        in out["uneven"]
    )
    assert "Use 126 of them" in out["uneven"]
