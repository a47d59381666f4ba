"""The roofline: what the machine's matmul can do, and how much of it an epoch needs.

An epoch of the default MLP models is almost all dense layers, so its work can
be counted from the layers' shapes, and its time compared with the time the
machine's fastest large matmul would need for the same work. A fraction near 1
means the training step keeps the cores as busy as a single large matmul does;
the models' matmuls are smaller (a batch of 128 rows), so they cannot quite get
there.

Importing this module imports no backend: `run.py` and the tests use the
counting functions without Keras.
"""

import statistics
import time

# Training multiplies a dense layer's forward work by three: the forward matmul,
# the gradient with respect to the weights, and the gradient with respect to the
# inputs (not needed by the first layer, which the count includes anyway, as the
# usual "3x forward" rule does).
TRAINING_MULTIPLIER = 3


def dense_kernel_shapes(model):
    """The `(inputs, units)` shape of every dense layer's kernel, in nested models too.

    Args:
        model: a built Keras model, e.g. `aelib.VAE()` after one call or `fit`.

    Returns:
        A list of `(inputs, units)` tuples.

    Raises:
        ValueError: when the model has a layer with weights that is not dense
            (a convolution): its work is not counted here.
    """
    import keras

    shapes = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # the encoder or the decoder
            shapes += dense_kernel_shapes(layer)
        elif isinstance(layer, keras.layers.Dense):
            shapes.append(tuple(int(n) for n in layer.kernel.shape))
        elif layer.trainable_weights:
            raise ValueError(
                "Expected a model whose weights are all in dense layers (the MLP networks); the FLOP count "
                f"covers dense layers only. Received: a {type(layer).__name__} layer named {layer.name!r}"
            )
    return shapes


def forward_flops(shapes):
    """Floating-point operations of one image's forward pass through dense layers of these shapes.

    A dense layer with an `(inputs, units)` kernel does `inputs * units`
    multiply-adds an image, two operations each; biases and activations are
    left out (under 0.2% of the total for the default networks).
    """
    return sum(2 * inputs * units for inputs, units in shapes)


def epoch_flops(shapes, images):
    """Operations of one training epoch over `images` images: forward and backward, dense layers only."""
    if images < 1:
        raise ValueError(f"Expected a positive number of images. Received: images={images!r}")
    return TRAINING_MULTIPLIER * forward_flops(shapes) * images


def fraction_of_roofline(flops, seconds, roofline_gflops):
    """The share of the roofline an epoch reached: (flops / seconds) / roofline.

    Args:
        flops: the epoch's operations, from `epoch_flops`.
        seconds: the epoch's wall time.
        roofline_gflops: the machine's matmul throughput, in GFLOP/s.

    Returns:
        A float; 1 would be the speed of one large matmul, 0.5 an epoch twice as long.
    """
    if seconds <= 0 or roofline_gflops <= 0:
        raise ValueError(
            f"Expected positive times and throughputs. Received: seconds={seconds!r}, "
            f"roofline_gflops={roofline_gflops!r}"
        )
    return flops / seconds / 1e9 / roofline_gflops


def matmul_gflops(size=4096, repeats=10, clock=time.perf_counter):
    """Throughput of one large float32 matmul with `keras.ops.matmul` on this process's backend.

    `keras.ops.matmul` is what the models' dense layers call, so this is the
    kernel library the training step uses (Eigen and oneDNN under TensorFlow,
    XLA's CPU runtime under JAX), at a size where it runs at its best.

    Returns:
        `{"size", "repeats", "seconds", "gflops"}`: the fastest of `repeats`
        timed products after one warm-up. A roofline is a bound: other work on
        the machine can only slow a product down, so the fastest is the
        machine's, and the others are the noise.
    """
    import keras

    a = keras.random.normal((size, size), seed=0, dtype="float32")
    b = keras.random.normal((size, size), seed=1, dtype="float32")

    def once():
        # Reading one element back waits for the whole product (JAX dispatches asynchronously).
        keras.ops.convert_to_numpy(keras.ops.matmul(a, b)[0, 0])

    once()
    seconds = []
    for _ in range(repeats):
        start = clock()
        once()
        seconds.append(clock() - start)
    return {
        "size": size,
        "repeats": repeats,
        "seconds": [round(s, 4) for s in seconds],
        "gflops": round(2 * size**3 / min(seconds) / 1e9, 1),
        "median_gflops": round(2 * size**3 / statistics.median(seconds) / 1e9, 1),
    }
