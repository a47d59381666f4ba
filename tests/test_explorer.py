"""Tests for aelib.explorer and aelib.quantization: the int8 decoder, the sizes, the errors.

The browser's side (the canvas against Python's decode, the decode time, the
pointer and keys) is tested on the built book in tests/site/test_explorer_site.py.
"""

import base64
import json
import pathlib
import re

import numpy as np
import pytest

import aelib
from aelib import explorer, quantization

pytestmark = pytest.mark.keras

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHAPTERS = {
    "02_vae.ipynb": 1,
    "03_wae.ipynb": 1,
    "04_comparison.ipynb": 3,
}  # decoders in each chapter's explorer


def _with_random_biases(model, seed):
    """Fresh Dense biases are 0; a trained decoder's are not, and a lost bias must show."""
    rng = np.random.default_rng(seed)
    for layer in model.decoder.layers:
        if hasattr(layer, "bias") and layer.bias is not None:
            layer.bias.assign(rng.normal(0.0, 0.5, size=layer.bias.shape).astype("float32"))
    return model


@pytest.fixture(scope="module")
def models():
    return {
        "VAE": _with_random_biases(aelib.VAE(latent_dim=2, seed=0), 1),
        "WAE": _with_random_biases(aelib.WAE(latent_dim=2, seed=0), 2),
        "autoencoder": _with_random_biases(aelib.Autoencoder(latent_dim=2), 3),
    }


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return rng.uniform(size=(300, 28, 28, 1)).astype("float32"), rng.integers(0, 10, size=300)


@pytest.fixture(scope="module")
def quantized(models):
    return {name: quantization.decoder_layers(model) for name, model in models.items()}


@pytest.fixture(scope="module")
def outputs(models, images):
    """The explorer of one model and of three, built once: quantizing takes a second a decoder."""
    x, y = images
    return {
        "one": explorer.explorer_html(
            models["VAE"], x, y, [f"class {k}" for k in range(10)], num_codes=100
        ),
        "three": explorer.explorer_html(models, x, y),
    }


def _payload(html):
    return json.loads(re.search(r"aelibExplorer\(.*?,\n(\{.*\})\);\n</script>", html, re.S)[1])


def _array(text, dtype):
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


def test_quantize_keeps_each_weight_within_half_a_step():
    kernel = np.random.default_rng(0).normal(size=(64, 10)) * np.linspace(
        0.01, 3.0, 10
    )  # columns of all sizes
    kernel[:, 3] = 0.0
    weights, scales = quantization.quantize(kernel)
    assert weights.dtype == np.int8 and scales.dtype == np.float32 and scales.shape == (10,)
    assert np.abs(weights).max() == 127 and weights.min() >= -127
    assert np.all(np.abs(kernel - weights * scales) <= scales / 2 * (1 + 1e-6))
    assert np.all(weights[:, 3] == 0)


def test_rounding_with_error_feedback_keeps_the_outputs_closer():
    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(64, 20)) * rng.exponential(
        size=(64, 1)
    )  # rows of all sizes, as after training
    inputs = np.maximum(
        rng.normal(size=(500, 64)) @ rng.normal(size=(64, 64)) * 0.3, 0
    )  # correlated, >= 0
    outputs = inputs @ kernel
    plain = quantization.quantize(kernel)
    feedback = quantization.quantize(kernel, inputs)
    np.testing.assert_array_equal(
        plain[1], feedback[1]
    )  # the same scales, the weights rounded otherwise
    error = {
        name: np.abs(inputs @ (w * s) - outputs).mean()
        for name, (w, s) in {"plain": plain, "feedback": feedback}.items()
    }
    assert error["feedback"] < 0.8 * error["plain"], error
    assert np.abs(feedback[0]).max() <= 127


def test_quantized_decode_without_quantization_is_the_model(models):
    # The NumPy twin of explorer.js, run on the float kernels (scale 1), recomputes model.decode.
    model = models["VAE"]
    layers = [
        dict(layer, weights=kernel, scales=np.ones(kernel.shape[1]))
        for layer, kernel in zip(
            quantization.decoder_layers(model),
            [
                np.asarray(dense.kernel)
                for dense in model.decoder.layers
                if hasattr(dense, "kernel")
            ],
        )
    ]
    z = np.random.default_rng(1).normal(size=(50, 2)).astype("float32")
    np.testing.assert_allclose(
        quantization.quantized_decode(layers, z), model.decode(z).reshape(50, -1), atol=1e-5
    )


def test_quantized_images_are_close_to_the_model_over_the_plane(models, quantized):
    codes = (
        np.random.default_rng(2).uniform(-4, 4, size=(2000, 2)).astype("float32")
    )  # not the grid it was fitted on
    for name, model in models.items():
        error = quantization.decode_error(model, quantized[name], codes)
        assert error["mean"] < 0.2 and error["max"] <= 3, (name, error)


def test_output_carries_the_quantized_decoder_and_pythons_probes(models, quantized, outputs):
    data = _payload(outputs["one"])
    layers = quantized["VAE"]
    (model,) = data["models"]
    assert [layer["outputs"] for layer in model["layers"]] == [256, 512, 784]
    for sent, kept in zip(model["layers"], layers):  # what the browser gets is what was measured
        np.testing.assert_array_equal(_array(sent["weights"], np.int8), kept["weights"].ravel())
        np.testing.assert_array_equal(_array(sent["scales"], "<f4"), kept["scales"])
        np.testing.assert_array_equal(_array(sent["bias"], "<f4"), kept["bias"])
    z = np.array(data["probes"]["z"], dtype="float32")
    pixels = _array(data["probes"]["pixels"][0], np.uint8).reshape(len(z), -1)
    np.testing.assert_array_equal(
        pixels, quantization.grey_levels(models["VAE"].decode(z).reshape(len(z), -1))
    )
    in_browser = quantization.grey_levels(quantization.quantized_decode(layers, z)).astype(int)
    assert np.all(np.abs(in_browser - pixels) <= data["error"]["max"])
    codes = _array(model["codes"], "<f4").reshape(-1, 2)
    assert codes.shape == (100, 2) and len(_array(data["labels"], np.uint8)) == 100
    assert f"{data['error']['max']} at most" in data["note"]


def test_output_is_light_and_fetches_nothing(outputs):
    one, three = outputs["one"], outputs["three"]
    assert len(one) <= explorer.MAX_BYTES_PER_DECODER
    assert len(three) <= 3 * explorer.MAX_BYTES_PER_DECODER and len(three) <= 2_500_000
    assert three.count('class="aelib-explorer"') == 1 and 'data-decoders="3"' in three
    for html in (one, three):
        assert not re.search(r"https?:|src=|href=|url\(|import\(|fetch\(", html), (
            "the explorer asks for something"
        )
    assert (
        one[one.index(' id="') : one.index('" data-')]
        != three[three.index(' id="') : three.index('" data-')]
    )


def test_mistakes_give_clear_errors(models, images):
    x, y = images
    with pytest.raises(ValueError, match="2-D latent space. Received: latent_dim=16"):
        explorer.explorer_html(aelib.VAE(latent_dim=16), x, y)
    with pytest.raises(ValueError, match="network='conv'"):
        explorer.explorer_html(aelib.VAE(latent_dim=2, network="conv"), x, y)
    with pytest.raises(
        ValueError,
        match=r"one per image in `x`. Received: x.shape=\(300, 28, 28, 1\), y.shape=\(299,\)",
    ):
        explorer.explorer_html(models["VAE"], x, y[:-1])
    with pytest.raises(ValueError, match="Expected labels in 0 .. 2"):
        explorer.explorer_html(models["VAE"], x, y, class_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="limit"):
        explorer.explorer_html(models["VAE"], x, y, limit=0)
    with pytest.raises(ValueError, match="shape \\(N, 28, 28, 1\\)"):
        explorer.explorer_html(models["VAE"], x[..., 0], y)
    with pytest.raises(ValueError, match="at least one model"):
        explorer.explorer_html({}, x, y)


def test_javascript_functions_are_shown_whole():
    decode = explorer.javascript_source("decode")
    assert decode.startswith("// The decoder") and decode.rstrip().endswith("}")
    assert "</script" not in explorer.SCRIPT.read_text()  # it would end the script inside a page
    assert "function dense" not in decode
    shown = explorer.javascript_source("dense") + decode
    assert max(len(line) for line in shown.splitlines()) <= 80  # the book's code column, unscrolled
    with pytest.raises(ValueError, match="Received: name='encode'"):
        explorer.javascript_source("encode")


def _explorer_outputs(path):
    cells = json.loads(path.read_text())["cells"]
    return [
        "".join(output["data"]["text/html"])
        for cell in cells
        if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
        if 'class="aelib-explorer"' in "".join(output.get("data", {}).get("text/html", ""))
    ]


@pytest.mark.parametrize("name", CHAPTERS)
def test_committed_chapter_carries_a_light_explorer_and_colab_has_it_too(name):
    outputs = _explorer_outputs(ROOT / "notebooks" / name)
    assert len(outputs) == 1, (
        f"{name}: {len(outputs)} explorer outputs; run the chapter (make execute)"
    )
    (html,) = outputs
    decoders = CHAPTERS[name]
    assert f'data-decoders="{decoders}"' in html
    size = len(html.encode())
    assert size <= decoders * explorer.MAX_BYTES_PER_DECODER and size <= 2_500_000, (
        f"{name}: {size:,} bytes"
    )
    assert _explorer_outputs(ROOT / "colab" / "notebooks" / name) == outputs, "run make editions"
