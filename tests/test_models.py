"""Tests for aelib.models: surface, losses, save/load, bad input, one short fit each."""

import keras
import numpy as np
import pytest
from conftest import blob_images

from aelib.losses import bernoulli_nll
from aelib.models import VAE, WAE, Autoencoder

pytestmark = pytest.mark.keras

MODELS = [Autoencoder, VAE, WAE]
LOSS_NAMES = {Autoencoder: set(), VAE: {"kl_loss"}, WAE: {"mmd_loss"}}


@pytest.fixture(scope="module")
def images():
    return blob_images(256, seed=0)


@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("network", ["mlp", "conv"])
def test_shapes(cls, network, images):
    model = cls(latent_dim=3, network=network)
    codes = model.encoder(images[:5])
    if cls is VAE:
        z_mean, z_log_var = codes
        assert tuple(z_mean.shape) == tuple(z_log_var.shape) == (5, 3)
    else:
        assert tuple(codes.shape) == (5, 3)
    assert tuple(model.decoder(np.zeros((5, 3), np.float32)).shape) == (5, 28, 28, 1)
    assert model.encode(images[:5]).shape == (5, 3)
    decoded = model.decode(np.zeros((5, 3), np.float32))
    assert decoded.shape == (5, 28, 28, 1) and decoded.min() >= 0 and decoded.max() <= 1


@pytest.mark.parametrize("cls", MODELS)
def test_sample_is_reproducible(cls):
    model = cls(latent_dim=4)
    first = model.sample(6, seed=1)
    assert first.shape == (6, 28, 28, 1) and 0 <= first.min() and first.max() <= 1
    np.testing.assert_array_equal(first, model.sample(6, seed=1))
    assert not np.array_equal(first, model.sample(6, seed=2))


@pytest.mark.parametrize("cls", MODELS)
def test_fit_reports_its_losses_and_learns(cls, images):
    keras.utils.set_random_seed(0)
    model = cls(latent_dim=4)
    before = model.evaluate(images, verbose=0, return_dict=True)
    history = model.fit(images, epochs=3, batch_size=32, validation_data=images[:64], verbose=0)
    expected = {"loss", "reconstruction_loss"} | LOSS_NAMES[cls]
    assert set(history.history) == expected | {"val_" + name for name in expected}
    assert all(np.isfinite(v).all() for v in history.history.values())
    after = model.evaluate(images, verbose=0, return_dict=True)
    assert after["reconstruction_loss"] < 0.8 * before["reconstruction_loss"]


@pytest.mark.parametrize(
    "model, extra",
    [
        (Autoencoder(2), None),
        (VAE(2, kl_weight=0.5), "kl_loss"),
        (WAE(2, mmd_weight=30.0), "mmd_loss"),
    ],
)
def test_loss_is_the_weighted_sum_of_its_terms(model, extra, images):
    result = model.evaluate(
        images, batch_size=100, verbose=0, return_dict=True
    )  # uneven last batch
    weight = {None: 0.0, "kl_loss": 0.5, "mmd_loss": 30.0}[extra]
    terms = result["reconstruction_loss"] + weight * result.get(extra, 0.0)
    assert result["loss"] == pytest.approx(terms, rel=1e-5)


def test_vae_loss_against_numpy(images):
    # The VAE's loss for one batch, recomputed from its own outputs with NumPy.
    vae = VAE(latent_dim=3, kl_weight=0.7)
    vae.compile()
    x = images[:8]
    y_pred = vae(x)  # one draw of z; the loss must follow from these outputs alone
    numpy_out = {k: keras.ops.convert_to_numpy(v).astype(np.float64) for k, v in y_pred.items()}
    p = 1 / (1 + np.exp(-numpy_out["logits"]))
    nll = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))
    kl = 0.5 * np.sum(
        np.exp(numpy_out["z_log_var"]) + numpy_out["z_mean"] ** 2 - 1 - numpy_out["z_log_var"],
        axis=1,
    )
    loss = float(keras.ops.convert_to_numpy(vae.compute_loss(x=x, y_pred=y_pred)))
    assert loss == pytest.approx(np.mean(nll) + 0.7 * np.mean(kl), rel=1e-4)


def test_vae_log_variance_is_clamped(images):
    vae = VAE(latent_dim=2)
    head = vae.encoder.get_layer("z_log_var")
    kernel, bias = head.get_weights()
    head.set_weights([kernel, np.full_like(bias, 1e4)])  # a wild step
    out = vae(images[:4])
    assert np.isfinite(keras.ops.convert_to_numpy(out["z"])).all()
    assert float(keras.ops.max(out["z_log_var"])) == 10.0
    loss = vae.compute_loss(x=images[:4], y_pred=out)
    assert np.isfinite(float(keras.ops.convert_to_numpy(loss)))


def test_vae_encode_mean_or_draw(images):
    vae = VAE(latent_dim=3)
    z_mean, z_log_var = vae.posterior(images[:5])
    np.testing.assert_allclose(vae.encode(images[:5]), z_mean, rtol=1e-6)
    draw = vae.encode(images[:5], draw=True, seed=3)
    np.testing.assert_array_equal(draw, vae.encode(images[:5], draw=True, seed=3))
    assert not np.allclose(draw, z_mean)


@pytest.mark.parametrize("cls", MODELS)
def test_save_and_load_round_trip(cls, images, tmp_path):
    model = cls(latent_dim=3)
    model.fit(images, epochs=1, batch_size=64, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is cls and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.encode(images[:10]), model.encode(images[:10]))
    z = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.decode(z), model.decode(z))
    assert (
        loaded.compiled
        and loaded.optimizer.iterations.numpy() == model.optimizer.iterations.numpy()
    )
    loaded.fit(images, epochs=1, batch_size=64, verbose=0)  # training goes on


@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("latent_dim", [0, -2, 2.5, True, "8"])
def test_latent_dim_must_be_positive_integer(cls, latent_dim):
    with pytest.raises(ValueError, match="Expected `latent_dim` to be a positive integer"):
        cls(latent_dim=latent_dim)


def test_constructor_arguments_are_checked():
    with pytest.raises(ValueError, match="Received: network='resnet'"):
        VAE(network="resnet")
    with pytest.raises(ValueError, match="kl_weight"):
        VAE(kl_weight=-1.0)
    with pytest.raises(ValueError, match="mmd_weight"):
        WAE(mmd_weight=float("nan"))
    with pytest.raises(ValueError, match="Received: kernel='linear'"):
        WAE(kernel="linear")


@pytest.mark.parametrize("cls", MODELS)
def test_bad_images_are_refused_before_training(cls, images):
    model = cls(latent_dim=2)
    with pytest.raises(
        ValueError, match=r"\(N, 28, 28, 1\).*channel axis.*Received: x.shape=\(256, 28, 28\)"
    ):
        model.fit(images[..., 0], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="Did you forget to divide by 255"):
        model.fit(images * 255, epochs=1, verbose=0)
    with_nan = images.copy()
    with_nan[3, 4, 5, 0] = np.nan
    with pytest.raises(ValueError, match="1 pixels are NaN"):
        model.fit(with_nan, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(images, epochs=1, verbose=0, validation_data=(images * 255,))
    with pytest.raises(ValueError, match="Received: x.shape=\\(5, 32, 32, 3\\)"):
        model.encode(np.zeros((5, 32, 32, 3)))
    assert getattr(model, "optimizer", None) is None  # nothing was trained


def test_compile_refuses_a_loss():
    with pytest.raises(ValueError, match="defines its own loss"):
        VAE().compile(loss="mse")


def test_decode_checks_code_shape():
    with pytest.raises(
        ValueError, match=r"Expected codes of shape \(N, 4\). Received: z.shape=\(3, 2\)"
    ):
        VAE(latent_dim=4).decode(np.zeros((3, 2)))


def test_loss_terms_of_a_subclass_are_averaged_weighted_and_logged(images):
    # The chapter-1 exercise's pattern: a model that changes only `loss_terms`.
    class TwoTerms(Autoencoder):
        loss_names = ("reconstruction_loss", "size_loss")

        def loss_terms(self, x, y_pred):
            size = keras.ops.sum(keras.ops.square(y_pred["z"]), axis=1)  # (N,)
            return {
                "reconstruction_loss": (1.0, bernoulli_nll(x, y_pred["logits"])),
                "size_loss": (0.25, size),
            }

    model = TwoTerms(latent_dim=3)
    model.compile()
    x = images[:8]
    y_pred = model(x)
    nll = keras.ops.convert_to_numpy(bernoulli_nll(x, y_pred["logits"]))
    size = np.sum(keras.ops.convert_to_numpy(y_pred["z"]) ** 2, axis=1)
    weights = np.arange(1.0, 9.0, dtype=np.float32)
    loss = float(
        keras.ops.convert_to_numpy(model.compute_loss(x=x, y_pred=y_pred, sample_weight=weights))
    )
    expected = np.average(nll, weights=weights) + 0.25 * np.average(size, weights=weights)
    assert loss == pytest.approx(expected, rel=1e-5)
    history = model.fit(images, epochs=1, batch_size=64, verbose=0)
    assert set(history.history) == {"loss", "reconstruction_loss", "size_loss"}


def test_the_autoencoder_samples_like_the_others():
    # Decoded draws from N(0, I), the same draws for every model of one latent size.
    z = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    for cls in MODELS:
        model = cls(latent_dim=4)
        np.testing.assert_array_equal(model.sample(3, seed=5), model.decode(z))
    with pytest.raises(ValueError, match="Received: n=0"):
        Autoencoder(latent_dim=4).sample(0)
