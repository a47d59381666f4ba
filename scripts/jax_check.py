"""Does `fit` on the installed JAX train the weights it reports? A tiny reproduction.

    KERAS_BACKEND=jax python -m scripts.jax_check     # or: python scripts/jax_check.py

A plain Keras `Dense` autoencoder (no aelib code) is trained with Adam for a few
epochs on 10,000 Fashion-MNIST images; the same images are then scored with
`evaluate`. On a sound stack the two numbers agree to a few percent. On the
broken JAX releases (see `aelib.backends`) the last epoch's training loss looks
normal while `evaluate` finds the trained weights worse than the untrained
network. Prints one JSON line: jax's version, both losses, their ratio.

Used to find which releases are affected (the table in the README).
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402


def main(n_images=10_000, epochs=3, jit_compile="auto"):
    keras.utils.set_random_seed(0)
    x = _images(n_images)
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(784, activation="sigmoid"),
        ]
    )
    untrained = float(_compiled(model, jit_compile).evaluate(x, x, batch_size=500, verbose=0))
    history = model.fit(x, x, epochs=epochs, batch_size=128, verbose=0)
    trained = float(model.evaluate(x, x, batch_size=500, verbose=0))
    last_epoch = float(history.history["loss"][-1])
    versions = {"keras": keras.__version__}
    if keras.backend.backend() == "jax":
        import jax

        versions["jax"] = jax.__version__
    print(
        json.dumps(
            {
                **versions,
                "backend": keras.backend.backend(),
                "jit_compile": jit_compile,
                "untrained_loss": round(untrained, 4),
                "last_epoch_loss": round(last_epoch, 4),
                "evaluate_after_fit": round(trained, 4),
                "ratio": round(trained / last_epoch, 3),
            }
        )
    )


def _compiled(model, jit_compile):
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", jit_compile=jit_compile
    )
    return model


def _images(n):
    import aelib

    data = aelib.load_dataset("fashion_mnist")
    return data.x_train[:n].reshape(n, 784)


if __name__ == "__main__":
    import sys

    main(jit_compile=False if "--no-jit" in sys.argv else "auto")
