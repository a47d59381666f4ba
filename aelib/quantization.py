"""Dense layers in 8 bits: how the explorer's decoders travel light, and how far that moves them.

A decoder's kernels are stored as int8 with one float scale per output column
(`quantize`), which takes a 2-D MLP decoder from 2.1 MB of float32 to 0.55 MB. The
rounding is done with error feedback over the codes the explorer can reach, so that
the decoded images barely move: `decode_error` measures by how much, in the 8-bit
grey levels a canvas shows. `quantized_decode` is the NumPy twin of the JavaScript
that runs the decoder in the browser (aelib/assets/explorer.js).
"""

import keras
import numpy as np


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
