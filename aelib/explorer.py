"""The latent-space explorer: a trained 2-D decoder that runs in the reader's browser.

`show(model, x_test, y_test, class_names)` puts one HTML output in the notebook:
the test codes drawn on the plane, and beside them the image the decoder makes
of whatever point the reader points at, drags to, taps or reaches with the
arrow keys. Several models (`show({"VAE": vae, "WAE": wae}, ...)`) are decoded
at the same point, side by side.

The output is self-contained: the decoder's weights travel inside it, and the
forward pass is a few lines of JavaScript (`aelib/assets/explorer.js`), so it
works in the built book, in Jupyter and in Colab with no kernel behind it and
nothing fetched. To keep a page light, each weight is stored as an 8-bit
integer with one float scale per output column (`quantize`), about 0.73 MB per
decoder in base64, rounded so as to keep the layers' outputs right over the plane.
The output states how far that moves the images from
`model.decode`, measured on a grid of codes, and carries a few probe codes with
Python's own images of them, so a test can check the browser against Python.
"""

import base64
import hashlib
import json
import pathlib
import re

import keras
import numpy as np

from aelib.data import check_images

SCRIPT = pathlib.Path(__file__).parent / "assets" / "explorer.js"
STYLE = SCRIPT.with_suffix(".css")
MAX_BYTES_PER_DECODER = 800_000  # what one decoder may add to a page and to a notebook
ERROR_GRID = 41  # the error is measured on an ERROR_GRID x ERROR_GRID grid over the plane
# Probe codes, as fractions of the plane's half-width; the test codes of two images are added.
PROBES = (
    (0.0, 0.0),
    (0.25, -0.125),
    (-0.5, 0.375),
    (0.625, 0.625),
    (-0.875, -0.75),
    (0.075, 0.925),
)


def quantize(kernel, inputs=None):
    """Stores a dense layer's kernel as 8-bit integers, with one scale per output column.

    Rounded one by one, the weights' small errors add up over the layer's inputs.
    Given `inputs`, typical input vectors of the layer, the rows of the kernel are
    rounded in turn instead, and each row's rounding error is passed on to the rows
    not yet rounded, in the proportions that change the layer's outputs on those
    inputs least (GPTQ: Frantar et al., 2023).

    Args:
        kernel: float array of shape (inputs, outputs), as Keras's `Dense` holds it.
        inputs: optional array of shape (N, inputs), what the layer is fed.

    Returns:
        `(weights, scales)`: int8 weights in [-127, 127] of the same shape, and
        float32 scales of shape (outputs,), such that kernel ~ weights * scales.
    """
    kernel = np.array(kernel, dtype=np.float64)  # a copy: the rows still to round take the errors
    scales = (
        np.abs(kernel).max(axis=0) / 127
    )  # (outputs,): the largest weight of a column becomes +-127
    scales[scales == 0] = 1.0  # an all-zero column stays zero
    if inputs is None:
        return np.round(kernel / scales).astype(np.int8), scales.astype(np.float32)
    correlation = inputs.T @ inputs / len(inputs)  # (inputs, inputs)
    correlation += (
        0.01 * np.mean(np.diag(correlation)) * np.eye(len(correlation))
    )  # an input never active
    root = np.linalg.cholesky(
        np.linalg.inv(correlation)
    ).T  # upper triangular, root.T @ root = correlation^-1
    weights = np.zeros(kernel.shape, dtype=np.int8)
    for start in range(
        0, len(kernel), 128
    ):  # 128 rows at a time; the rows below take their errors at once
        end = min(start + 128, len(kernel))
        errors = np.zeros((end - start, kernel.shape[1]))
        for i in range(start, end):
            weights[i] = np.clip(np.round(kernel[i] / scales), -127, 127)
            errors[i - start] = (kernel[i] - weights[i] * scales) / root[i, i]  # (outputs,)
            kernel[i + 1 : end] -= np.outer(root[i, i + 1 : end], errors[i - start])
        kernel[end:] -= root[start:end, end:].T @ errors
    return weights, scales.astype(np.float32)


def quantized_decode(layers, z):
    """The decoder as `explorer.js` runs it: returns pixel means of shape (N, pixels) in [0, 1].

    `layers` is what `decoder_layers` returns; `z` has shape (N, 2).
    """
    h = np.asarray(z, dtype=np.float64)  # (N, 2)
    for layer in layers:
        h = (h @ layer["weights"].astype(np.float64)) * layer["scales"] + layer[
            "bias"
        ]  # y = s * (x q) + b
        if layer["activation"] == "relu":
            h = np.maximum(h, 0.0)
    return 1.0 / (1.0 + np.exp(-np.clip(h, -60.0, 60.0)))  # sigmoid of the logits


def decoder_layers(model, limit=4.0):
    """The dense layers of a model's decoder, quantized: a list of dicts, first layer first.

    Each layer is quantized for the inputs it gets from codes on a 61 x 61 grid over
    the plane [-limit, limit]^2, the codes the explorer can decode.

    Raises:
        ValueError: the model is not 2-D, or its decoder is not a stack of dense layers.
    """
    latent_dim = getattr(model, "latent_dim", None)
    if latent_dim != 2:
        raise ValueError(
            f"Expected a model with a 2-D latent space. Received: latent_dim={latent_dim!r}"
        )
    values = np.linspace(-limit, limit, 61)
    inputs = np.array([[a, b] for b in values for a in values])  # (3721, 2): codes over the plane
    layers = []
    for layer in model.decoder.layers:
        if isinstance(layer, (keras.layers.InputLayer, keras.layers.Reshape)):
            continue
        activation = (
            keras.activations.serialize(layer.activation)
            if isinstance(layer, keras.layers.Dense)
            else None
        )
        activation = activation if isinstance(activation, str) else None
        if activation not in ("relu", "linear"):
            raise ValueError(
                "Expected a decoder made of dense layers with ReLU or no activation "
                "(network='mlp'): the explorer runs only those in the browser. "
                f"Received: network={getattr(model, 'network', None)!r}, "
                f"layer {layer.name!r} ({type(layer).__name__})"
            )
        kernel = keras.ops.convert_to_numpy(layer.kernel).astype(np.float64)  # (inputs, outputs)
        bias = (
            keras.ops.convert_to_numpy(layer.bias).astype(np.float64)
            if layer.use_bias
            else np.zeros(len(kernel.T))
        )
        weights, scales = quantize(kernel, inputs)
        inputs = inputs @ kernel + bias  # what the next layer gets, from the float layer
        inputs = np.maximum(inputs, 0.0) if activation == "relu" else inputs
        layers.append(
            {
                "inputs": kernel.shape[0],
                "outputs": kernel.shape[1],
                "activation": activation,
                "weights": weights,
                "scales": scales,
                "bias": bias.astype(np.float32),
            }
        )
    if not layers or layers[-1]["activation"] != "linear":
        raise ValueError("Expected the decoder's last dense layer to give logits (no activation).")
    return layers


def grey_levels(pixels):
    """Pixel means in [0, 1] as the 8-bit grey levels a canvas holds (0 to 255)."""
    return np.round(255 * np.asarray(pixels, dtype=np.float64)).astype(np.uint8)


def decode_error(model, layers, z):
    """How far the quantized decoder's images are from `model.decode`, in grey levels of 255.

    Returns:
        A dict with the `mean` and the `max` absolute difference over all pixels of
        all codes `z`, after both images are rounded to 8 bits as the canvas does.
    """
    exact = grey_levels(model.decode(np.asarray(z, dtype=np.float32)).reshape(len(z), -1))
    quantized = grey_levels(quantized_decode(layers, z))
    difference = np.abs(exact.astype(int) - quantized.astype(int))
    return {"mean": float(difference.mean()), "max": int(difference.max())}


def explorer_html(models, x, y, class_names=None, limit=4.0, num_codes=2000, seed=0):
    """The explorer as one self-contained HTML string; `show` displays it.

    Args:
        models: a trained model with `latent_dim=2` and an MLP decoder, or a dict
            {name: model} of several, decoded side by side at the same point.
        x: images of shape (N, 28, 28, 1); the codes of some of them are drawn.
        y: integer labels of shape (N,), for the dots' colours.
        class_names: the legend's names, indexed by label (default: the labels).
        limit: the plane shows [-limit, limit]^2.
        num_codes: how many test codes to draw (at most N).
        seed: which images are drawn.

    Returns:
        The HTML: a <div class="aelib-explorer"> holding the data, the script and its style.
    """
    if not isinstance(models, dict):
        models = {type(models).__name__: models}
    if not models:
        raise ValueError("Expected at least one model. Received: models={}")
    x = check_images(x, "x")
    y = np.asarray(y)
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"Expected integer labels `y` of shape ({len(x)},), one per image in `x`. "
            f"Received: x.shape={x.shape}, y.shape={y.shape}, y.dtype={y.dtype}"
        )
    class_names = [
        str(c) for c in (class_names if class_names is not None else range(int(y.max()) + 1))
    ]
    if y.min() < 0 or y.max() >= len(class_names):
        raise ValueError(
            f"Expected labels in 0 .. {len(class_names) - 1}, one per class name. "
            f"Received: labels from {y.min()} to {y.max()}"
        )
    if not (np.isfinite(limit) and limit > 0):
        raise ValueError(f"Expected `limit` to be a number > 0. Received: limit={limit!r}")
    if isinstance(num_codes, bool) or not isinstance(num_codes, (int, np.integer)) or num_codes < 1:
        raise ValueError(
            f"Expected `num_codes` to be a positive integer. Received: num_codes={num_codes!r}"
        )

    shown = np.sort(np.random.default_rng(seed).permutation(len(x))[:num_codes])
    layers = {name: decoder_layers(model, limit) for name, model in models.items()}
    codes = {
        name: np.asarray(model.encode(x[shown]), dtype=np.float32) for name, model in models.items()
    }
    first = codes[next(iter(models))]
    probes = np.concatenate([np.array(PROBES) * limit, np.clip(first[:2], -limit, limit)]).astype(
        np.float32
    )
    values = np.linspace(-limit, limit, ERROR_GRID)
    grid = np.array([[a, b] for b in values for a in values], dtype=np.float32)
    errors = [
        decode_error(model, layers[name], np.concatenate([grid, probes]))
        for name, model in models.items()
    ]
    error = {
        "mean": float(np.mean([e["mean"] for e in errors])),
        "max": max(e["max"] for e in errors),
    }

    def b64(array, dtype):
        return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")

    data = {
        "limit": float(limit),
        "imageSize": int(round(np.sqrt(layers[next(iter(models))][-1]["outputs"]))),
        "classNames": class_names,
        "labels": b64(y[shown], np.uint8),
        "models": [
            {
                "name": name,
                "codes": b64(codes[name], "<f4"),
                "layers": [
                    {
                        "inputs": int(layer["inputs"]),
                        "outputs": int(layer["outputs"]),
                        "activation": layer["activation"],
                        "weights": b64(layer["weights"], np.int8),
                        "scales": b64(layer["scales"], "<f4"),
                        "bias": b64(layer["bias"], "<f4"),
                    }
                    for layer in layers[name]
                ],
            }
            for name in models
        ],
        # Python's own images of a few codes: the book's browser test compares the canvas with them.
        "probes": {
            "z": probes.tolist(),
            "pixels": [
                b64(grey_levels(model.decode(probes)).reshape(len(probes), -1), np.uint8)
                for model in models.values()
            ],
        },
        "error": error,
        "note": (
            f"The weights are stored here as 8-bit integers, one scale per output column. Over a "
            f"{ERROR_GRID} \u00d7 {ERROR_GRID} grid of codes the images differ from model.decode "
            "by "
            f"{error['mean']:.2f} grey levels on average and {error['max']} at most, of 255."
        ),
    }
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=True).replace("<", "\\u003c")
    element_id = "aelib-explorer-" + hashlib.sha1(payload.encode()).hexdigest()[:12]
    return (
        f'<div class="aelib-explorer" id="{element_id}" data-decoders="{len(models)}">\n'
        f"<style>\n{STYLE.read_text()}</style>\n"
        '<p class="aelib-explorer-fallback">The latent-space explorer is drawn by a script. '
        "If you read this line, the script has not run: run this cell (Jupyter runs the "
        "scripts of outputs that you made or that you "
        "trust).</p>\n"
        f"<script>\n{SCRIPT.read_text()}\n"
        "aelibExplorer(document.currentScript ? document.currentScript.parentElement : "
        f'document.getElementById("{element_id}"),\n{payload});\n</script>\n</div>'
    )


def show(models, x, y, class_names=None, limit=4.0, num_codes=2000, seed=0):
    """Displays the latent-space explorer of one 2-D model, or of several side by side.

    The arguments are those of `explorer_html`.

    Example:

    >>> aelib.explorer.show(vae_2d, data.x_test, data.y_test, data.class_names)
    >>> two = {"VAE": vae_2d, "WAE": wae_2d}
    >>> aelib.explorer.show(two, data.x_test, data.y_test, data.class_names)
    """
    from IPython.display import HTML, display

    display(
        HTML(explorer_html(models, x, y, class_names, limit=limit, num_codes=num_codes, seed=seed))
    )


def javascript_source(name):
    """The source of one top-level function of explorer.js, with the comment above it."""
    match = re.search(
        rf"^(?://[^\n]*\n)*function {re.escape(name)}\(.*?^}}$", SCRIPT.read_text(), re.M | re.S
    )
    if match is None:
        raise ValueError(
            f"Expected the name of a function in {SCRIPT.name}. Received: name={name!r}"
        )
    return match.group(0)


def show_javascript(*names):
    """Displays functions of the explorer's JavaScript, as `show_source` does for Python."""
    from IPython.display import Markdown, display

    display(
        Markdown(
            "```javascript\n" + "\n\n".join(javascript_source(name) for name in names) + "\n```"
        )
    )
