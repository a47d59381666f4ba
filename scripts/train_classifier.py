"""Trains the small Fashion-MNIST classifier whose features `aelib` measures with.

Run it from the repository's root:

    python -m scripts.train_classifier     # or: python scripts/train_classifier.py

It trains `aelib.classifier.build_classifier()` with a fixed seed, prints the
test accuracy and writes the weights to
`aelib/assets/fashion_mnist_classifier.weights.h5`, the file `aelib` ships.
Retraining changes the ruler: Frechet distances measured before and after are
no longer comparable, so do it only on purpose (and re-measure the floor).
"""

import argparse
import pathlib
import time

import keras

from aelib.classifier import WEIGHTS_PATH, build_classifier
from aelib.data import load_dataset


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=pathlib.Path, default=WEIGHTS_PATH)
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    data = load_dataset("fashion_mnist")
    model = build_classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    model.fit(data.x_train, data.y_train, epochs=args.epochs, batch_size=args.batch_size, verbose=2)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(data.x_test, data.y_test, batch_size=1000, verbose=0)
    print(f"Backend {keras.backend.backend()}: trained {args.epochs} epochs in {seconds:.0f} s.")
    print(f"Test accuracy: {accuracy:.4f}")

    # Save from an uncompiled copy: the file then holds the model's weights
    # alone, without the optimizer's state (which would triple its size).
    shipped = build_classifier()
    shipped.set_weights(model.get_weights())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    shipped.save_weights(args.output)
    print(f"Saved the weights to {args.output} ({args.output.stat().st_size / 1e6:.2f} MB).")


if __name__ == "__main__":
    main()
