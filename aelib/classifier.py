"""A small Fashion-MNIST classifier: the ruler for the Fréchet distance.

Judging generated images needs a feature space in which "looks like a
Fashion-MNIST garment" is a short distance. The usual choice, Inception-v3
trained on ImageNet, is large and was never shown a 28x28 grey sweater, so
`aelib` ships its own small conv net instead, trained once by
`scripts/train_classifier.py`. Its weights live in
`aelib/assets/fashion_mnist_classifier.weights.h5` (about half a megabyte), so
every chapter measures with the same ruler, on every Keras backend.

The features are the 64 outputs of the dense layer before the logits (taken
before its ReLU, so no feature is constantly zero), the layer named
`"features"`. `classify` names the class of images with the same network; the
trained network is loaded once per process, whichever of them asks first.
"""

import functools
import pathlib

import keras
import numpy as np

from aelib.checks import check_integer
from aelib.data import check_images
from aelib.models.networks import run_in_batches

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
FEATURE_DIM = 64
FEATURE_LAYER = "features"
WEIGHTS_PATH = pathlib.Path(__file__).parent / "assets" / "fashion_mnist_classifier.weights.h5"


def build_classifier():
    """Builds the (untrained) classifier: images to 10 class logits.

    Two convolution blocks, a dense layer of 64 ReLU units and the logits:

    conv 3x3 (32) -> max-pool -> conv 3x3 (64) -> max-pool -> dense (64) -> ReLU -> dense (10)

    The layer named `"features"` is the 64-unit dense layer without its ReLU
    (which follows as a layer of its own); its outputs are what the Fréchet
    distance compares.

    Returns:
        A functional `keras.Model` from images of shape `(N, 28, 28, 1)` in
        [0, 1] to logits of shape `(N, 10)`, with its penultimate layer named
        `"features"`.

    Example:

    >>> model = build_classifier()
    >>> model.get_layer("features").units
    64
    """
    inputs = keras.Input(shape=IMAGE_SHAPE, name="images")
    x = keras.layers.Conv2D(32, 3, activation="relu", name="conv_1")(inputs)  # (N, 26, 26, 32)
    x = keras.layers.MaxPooling2D(2, name="pool_1")(x)  # (N, 13, 13, 32)
    x = keras.layers.Conv2D(64, 3, activation="relu", name="conv_2")(x)  # (N, 11, 11, 64)
    x = keras.layers.MaxPooling2D(2, name="pool_2")(x)  # (N, 5, 5, 64)
    x = keras.layers.Flatten(name="flatten")(x)  # (N, 1600)
    # The features are the dense layer's outputs *before* its ReLU: after it,
    # units that training switched off read 0 on every image, and their zero
    # variance would make the Gaussians the Fréchet distance fits singular.
    features = keras.layers.Dense(FEATURE_DIM, name=FEATURE_LAYER)(x)  # (N, 64)
    x = keras.layers.ReLU(name="features_relu")(features)
    logits = keras.layers.Dense(NUM_CLASSES, name="logits")(x)  # (N, 10)
    return keras.Model(inputs, logits, name="fashion_mnist_classifier")


@functools.lru_cache(maxsize=1)
def load_classifier():
    """Builds the classifier and loads the weights shipped with `aelib`, once per process.

    Returns:
        The trained classifier (images to logits), as `build_classifier` makes it;
        the same object on every call.

    Raises:
        FileNotFoundError: the weights file is missing; the message says how to
            create it.

    Example:

    >>> logits = load_classifier().predict(images, verbose=0)  # (N, 10)
    """
    if not WEIGHTS_PATH.exists():
        raise FileNotFoundError(
            f"The classifier's weights are missing: expected the file {WEIGHTS_PATH}. "
            f"Create it by training the classifier from the repository's root with "
            f"`python scripts/train_classifier.py` (a couple of minutes on a CPU), "
            f"or reinstall aelib, which ships it."
        )
    model = build_classifier()
    model.load_weights(WEIGHTS_PATH)
    return model


@functools.lru_cache(maxsize=1)
def feature_extractor():
    """Returns the trained classifier cut at its `"features"` layer.

    Built once per process and cached, so measuring many times costs one build.

    Returns:
        A `keras.Model` from images `(N, 28, 28, 1)` to features `(N, 64)`.

    Raises:
        FileNotFoundError: the shipped weights file is missing.

    Example:

    >>> feature_extractor().output.shape
    (None, 64)
    """
    classifier = load_classifier()
    return keras.Model(
        classifier.input, classifier.get_layer(FEATURE_LAYER).output, name="feature_extractor"
    )


def classifier_features(images, batch_size=500):
    """Returns the classifier's 64 features for each image.

    Args:
        images: float array of shape `(N, 28, 28, 1)`, pixel values in [0, 1]
            (as `load_dataset` and `model.decode` give them).
        batch_size: images per forward pass; only memory and speed depend on it.

    Returns:
        A float64 NumPy array of shape `(N, 64)`.

    Raises:
        ValueError: `images` have the wrong shape or dtype, NaNs, or pixels
            outside [0, 1].

    Example:

    >>> data = load_dataset()
    >>> classifier_features(data.x_test[:100]).shape
    (100, 64)
    """
    images, batch_size = check_images(images, "images"), check_integer(batch_size, "batch_size")
    features = run_in_batches(feature_extractor(), images, batch_size)
    return np.asarray(features, dtype=np.float64)  # (N, 64)


def classify(images, batch_size=1000):
    """Returns the class the shipped classifier gives each image.

    Args:
        images: float array of shape `(N, 28, 28, 1)`, pixel values in [0, 1].
        batch_size: images per forward pass; only memory and speed depend on it.

    Returns:
        An int64 array of shape `(N,)`, classes in 0..9 (Fashion-MNIST's order).

    Example:

    >>> accuracy = np.mean(classify(data.x_test) == data.y_test)
    """
    images, batch_size = check_images(images, "images"), check_integer(batch_size, "batch_size")
    logits = run_in_batches(load_classifier(), images, batch_size)  # (N, 10)
    return np.argmax(logits, axis=1).astype(np.int64)
