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
integer with one float scale per output column (`aelib.quantization`), about
0.73 MB per decoder in base64. The output states how far that moves the images
from `model.decode`, measured on a grid of codes, and carries a few probe codes
with Python's own images of them, so a test can check the browser against Python.
"""

import base64
import hashlib
import json
import pathlib
import re

import numpy as np

from aelib.data import check_images
from aelib.quantization import decode_error, decoder_layers, grey_levels

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
