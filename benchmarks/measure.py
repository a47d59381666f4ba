"""The measurements: one function a section, each returning a dict of plain numbers.

Run inside a worker process whose Keras backend is already fixed (see run.py).
Every model is trained with `fit` on NumPy arrays, as the chapters train them.
"""

import os
import statistics
import time
import traceback

import keras
import numpy as np

import aelib
from aelib import metrics
from aelib.classifier import classifier_features
from aelib.data import subset_indices
from aelib.frechet import frechet_distance
from benchmarks import roofline, settings
from benchmarks.clocks import BudgetClock, EpochTimer, epochs_label
from benchmarks.reference_vae import ReferenceVAE

MODEL_CLASSES = {"Autoencoder": aelib.Autoencoder, "VAE": aelib.VAE, "WAE": aelib.WAE}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')} {keras.backend.backend()}] {message}", flush=True)


def new_model(name, seed=0, **kwargs):
    """A default model, its weights drawn from `seed`, so that results do not depend on section order."""
    keras.utils.set_random_seed(seed)
    return MODEL_CLASSES[name](**kwargs)


# -- test metrics -------------------------------------------------------------


def quality_figures(model, x_test):
    """The figures the speed section puts next to each time: the test reconstruction error, and a VAE's ELBO."""
    values = {"reconstruction_error": metrics.reconstruction_error(model, x_test)}
    if hasattr(model, "posterior"):
        values["negative_elbo"] = metrics.negative_elbo(model, x_test, seed=0)
    return {name: round(float(value), 3) for name, value in values.items()}


class Evaluator:
    """The test metrics of one model, with the test images' classifier features computed once.

    `image_frechet_distance(a, b)` is `frechet_distance` of the two sets'
    `classifier_features`; the test set's features are the same at every
    checkpoint, so they are computed here once, and each call only embeds
    the generated images.
    """

    def __init__(self, x_train, x_test, y_train, y_test, config):
        self.config = config
        self.x_test = x_test
        fd_test = x_test[subset_indices(y_test, min(config.fd_samples, len(x_test)), seed=0)]
        fd_train = x_train[subset_indices(y_train, min(config.fd_samples, len(x_train)), seed=0)]
        self.test_features = classifier_features(fd_test)
        # The floor: real training images against the same test images, at the same sizes.
        self.floor = frechet_distance(classifier_features(fd_train), self.test_features)

    def __call__(self, model):
        values = dict(quality_figures(model, self.x_test))
        values["latent_mmd"] = metrics.latent_mmd(
            model, self.x_test, max_images=self.config.mmd_samples, seed=0
        )
        values["frechet_distance"] = frechet_distance(
            classifier_features(prior_samples(model, self.config.fd_samples, seed=0)),
            self.test_features,
        )
        return {name: round(float(value), 4) for name, value in values.items()}


def prior_samples(model, n, seed):
    """Images decoded from N(0, I) draws: `model.sample` where it exists (the autoencoder has none)."""
    if hasattr(model, "sample"):
        return model.sample(n, seed=seed)
    z = np.random.default_rng(seed).standard_normal((n, model.latent_dim)).astype(np.float32)
    return model.decode(z)


def train_under_budget(model, x_train, config, evaluate, budgets, epochs=()):
    """Fits `model` on `x_train` until the last budget, measuring at each; returns the clock's record.

    The record holds `checkpoints` (one a budget) and `epoch_checkpoints` (one
    an epoch count, or a `skipped` note where training stopped before it).
    """
    clock = BudgetClock(budgets, evaluate, epochs=epochs)
    model.fit(x_train, epochs=1_000_000, batch_size=config.batch_size, verbose=0, callbacks=[clock])
    record = {
        "checkpoints": [c for c in clock.checkpoints if c["budget_s"] is not None],
        "epoch_checkpoints": [],
    }
    reached = {int(c["epochs"]): c for c in clock.checkpoints if c["budget_s"] is None}
    for n in sorted(epochs):
        record["epoch_checkpoints"].append(
            reached.get(n)
            or {
                "label": epochs_label(n),
                "skipped": f"{epochs_label(n)} did not finish within the last budget "
                f"({max(budgets):g} s of training); not measured",
            }
        )
    return record


# -- sections -----------------------------------------------------------------


def roofline_section(data, config):
    """The throughput of one large float32 matmul on this process's backend."""
    result = roofline.matmul_gflops(size=config.matmul_size, repeats=config.matmul_repeats)
    log(f"roofline: {result['size']}x{result['size']} float32 matmul at {result['gflops']} GFLOP/s")
    return result


def speed(data, config):
    """Seconds per epoch of each default model, for each compile setting of this backend, and its test figures.

    The settings are `settings.SPEED_SETTINGS`, named by what Keras resolved
    them to (`jit_compile`, `steps_per_execution`); `aelib_default` marks the
    one `fit` uses when the reader compiles nothing. Each (setting, model) trains a fresh model from the same seed for
    `config.speed_epochs` epochs: the first compiles and is reported apart,
    the median of the others is the speed. The test figures are taken after
    the last epoch, so that a setting (or a backend) that is fast because it
    computes something else shows it.
    """
    backend = keras.backend.backend()
    runs = {}
    for compile_kwargs in settings.SPEED_SETTINGS[backend]:
        probe = new_model("VAE")
        probe.compile(**compile_kwargs)
        resolved = {
            "jit_compile": bool(probe.jit_compile),
            "steps_per_execution": int(probe.steps_per_execution),
        }
        label = ", ".join(f"{key}={value}" for key, value in resolved.items())
        if label in runs:
            if not compile_kwargs:
                runs[label]["aelib_default"] = True
            continue
        runs[label] = {
            "compile": compile_kwargs,
            "resolved": resolved,
            "aelib_default": not compile_kwargs,
            "models": {},
        }
        for name in config.speed_models:
            model = new_model(name)
            model.compile(**compile_kwargs)
            timer = EpochTimer()
            history = model.fit(
                data.x_train,
                epochs=config.speed_epochs,
                batch_size=config.batch_size,
                verbose=0,
                callbacks=[timer],
            )
            timed = timer.seconds[1:]
            flops = roofline.epoch_flops(roofline.dense_kernel_shapes(model), len(data.x_train))
            entry = runs[label]["models"][name] = {
                "first_epoch_s": round(timer.seconds[0], 3),
                "epoch_s": [round(s, 3) for s in timed],
                "median_epoch_s": round(statistics.median(timed), 3),
                "epoch_gflop": round(flops / 1e9, 2),
                "final_loss": round(float(history.history["loss"][-1]), 3),
                "quality": quality_figures(model, data.x_test),
                "load_average": round(os.getloadavg()[0], 2),
            }
            log(
                f"speed {label} {name}: first epoch {entry['first_epoch_s']:.1f} s, then {entry['median_epoch_s']:.2f} "
                f"s an epoch ({entry['epoch_gflop']:.0f} GFLOP); test {entry['quality']}"
            )
    return {
        "images": len(data.x_train),
        "test_images": len(data.x_test),
        "batch_size": config.batch_size,
        "epochs": config.speed_epochs,
        "settings": runs,
    }


def budget(data, config, evaluator):
    """Test metrics of each default model after fixed training times, and after its chapter's epochs."""
    models = {}
    for name in settings.MODELS:
        log(f"budget {name}: training for {max(config.budgets_s):g} s")
        epochs = (config.chapter_epochs[name],) if config.chapter_epochs.get(name) else ()
        record = train_under_budget(
            new_model(name), data.x_train, config, evaluator, config.budgets_s, epochs
        )
        for checkpoint in record["checkpoints"] + record["epoch_checkpoints"]:
            log(
                f"budget {name} at {checkpoint['label']}: {checkpoint.get('metrics', checkpoint.get('skipped'))}"
            )
        models[name] = record
    return {
        "budgets_s": list(config.budgets_s),
        "chapter_epochs": dict(config.chapter_epochs),
        "train_images": len(data.x_train),
        "test_images": len(data.x_test),
        "fd_samples": config.fd_samples,
        "floor_frechet_distance": round(evaluator.floor, 4),
        "models": models,
    }


def reference(data, config, evaluator, budget_result=None):
    """The keras.io VAE recipe against our default VAE, the same training time each."""
    budget_s = config.reference_budget_s
    log(f"reference: training the keras.io VAE architecture for {budget_s:g} s")
    keras.utils.set_random_seed(0)
    model = ReferenceVAE(latent_dim=2)
    model.compile(optimizer=keras.optimizers.Adam())  # Keras's default step size, 1e-3
    record = train_under_budget(model, data.x_train, config, evaluator, [budget_s])
    theirs = dict(
        record["checkpoints"][0],
        params=int(model.count_params()),
        latent_dim=model.latent_dim,
        network="conv",
    )
    ours = None
    for checkpoint in (budget_result or {}).get("models", {}).get("VAE", {}).get("checkpoints", []):
        if checkpoint["budget_s"] == budget_s:
            ours = dict(checkpoint, source="budget section of this run")
    if ours is None:
        log(f"reference: training our VAE for {budget_s:g} s")
        record = train_under_budget(new_model("VAE"), data.x_train, config, evaluator, [budget_s])
        ours = dict(record["checkpoints"][0], source="trained in this section")
    default_vae = new_model("VAE")
    default_vae(data.x_test[:1])  # builds it, to count its weights
    ours.update(
        params=int(default_vae.count_params()),
        latent_dim=default_vae.latent_dim,
        network=default_vae.network,
    )
    ratio = ours["metrics"]["negative_elbo"] / theirs["metrics"]["negative_elbo"]
    log(
        f"reference: negative ELBO ours {ours['metrics']['negative_elbo']:.1f}, "
        f"reference {theirs['metrics']['negative_elbo']:.1f}, ratio {ratio:.3f}"
    )
    return {
        "budget_s": budget_s,
        "reference": theirs,
        "ours": ours,
        "ratio": round(ratio, 4),
        "target": settings.REFERENCE_TARGET,
        "met": bool(ratio <= settings.REFERENCE_TARGET),
    }


def run_sections(names, config, on_result):
    """Loads the data once and runs the sections in order; `on_result(name, dict)` after each."""
    data = aelib.load_dataset()
    if config.train_size or config.test_size:
        data = data.subset(config.train_size, config.test_size, seed=0)
    evaluator = None
    results = {}
    for name in names:
        start = time.perf_counter()
        load = os.getloadavg()[0]
        log(f"section {name} begins (load average {load:.2f})")
        try:
            if name in ("budget", "reference") and evaluator is None:
                evaluator = Evaluator(data.x_train, data.x_test, data.y_train, data.y_test, config)
            if name == "roofline":
                result = roofline_section(data, config)
            elif name == "speed":
                result = speed(data, config)
            elif name == "budget":
                result = budget(data, config, evaluator)
            elif name == "reference":
                result = reference(data, config, evaluator, results.get("budget"))
            else:
                raise ValueError(f"Unknown section {name!r}; expected one of {settings.SECTIONS}")
        except Exception as error:  # keep the other sections' results; run.py reports the failure
            traceback.print_exc()
            result = {"error": f"{type(error).__name__}: {error}"}
        result["seconds"] = round(time.perf_counter() - start, 1)
        result["load_average_at_start"] = round(load, 2)
        results[name] = result
        on_result(name, result)
    return results
