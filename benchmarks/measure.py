"""The measurements: one function a section, each returning a dict of plain numbers.

Run inside a worker process whose Keras backend is already fixed (see run.py).
Every model is trained with `fit` on NumPy arrays, as the chapters train them,
unless a section says otherwise.
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

from benchmarks import settings
from benchmarks.reference_vae import ReferenceVAE

MODEL_CLASSES = {"Autoencoder": aelib.Autoencoder, "VAE": aelib.VAE, "WAE": aelib.WAE}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')} {keras.backend.backend()}] {message}", flush=True)


def new_model(name, seed=0, **kwargs):
    """A default model, its weights drawn from `seed`, so that results do not depend on section order."""
    keras.utils.set_random_seed(seed)
    return MODEL_CLASSES[name](**kwargs)


# -- clocks -------------------------------------------------------------------


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of each epoch of `fit`, in seconds."""

    def __init__(self, clock=time.perf_counter):
        super().__init__()
        self.clock = clock
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self.clock()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(self.clock() - self._start)


class BudgetClock(keras.callbacks.Callback):
    """Stops training after a wall-clock budget and measures the model at fixed times on the way.

    The training clock starts with `fit` (so it counts the first epoch's
    compilation, as a reader's clock would) and is read after every batch.
    When it passes a budget, the clock is paused, `evaluate(model)` runs, and
    the clock resumes; after the last budget, training stops. The model is
    also measured at the end of each epoch count in `epochs` that the run
    completes before then: the epochs a chapter trains for ("full training").

    Args:
        budgets: training seconds at which to measure, e.g. `(60, 120, 300)`.
        evaluate: `evaluate(model) -> dict` of test metrics.
        epochs: epoch counts at which to measure, e.g. `(10, 12)`.
        clock: a function returning seconds (tests pass a fake one).

    Attributes:
        checkpoints: one dict per measurement: `label`, `budget_s` (None at
            an epoch count), `train_s` (the training clock when measured),
            `epochs` (epochs done, fractional), `eval_s` and `metrics`.
        epoch_seconds: the training time of each whole epoch.
    """

    def __init__(self, budgets, evaluate, epochs=(), clock=time.perf_counter):
        super().__init__()
        self.budgets = sorted(float(b) for b in budgets)
        self.evaluate = evaluate
        self.epoch_counts = set(epochs)
        self.clock = clock
        self.checkpoints = []
        self.epoch_seconds = []

    def on_train_begin(self, logs=None):
        self._start = self.clock()
        self._paused = 0.0
        self._pending = list(self.budgets)
        self._epoch = 0
        self._steps = self.params.get("steps") if self.params else None

    def elapsed(self):
        """Seconds of training so far, evaluation pauses excluded."""
        return self.clock() - self._start - self._paused

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_start = self.elapsed()
        self._batches = 0

    def on_train_batch_end(self, batch, logs=None):
        train_s = self.elapsed()
        self._batches = batch + 1
        epochs = self._epoch + ((batch + 1) / self._steps if self._steps else 0.0)
        while self._pending and train_s >= self._pending[0]:
            budget = self._pending.pop(0)
            self._measure(f"{budget:g} s", budget, train_s, epochs)
        if not self._pending:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self._steps and self._batches < self._steps:
            return  # stopped part-way through: neither a whole epoch nor full training
        train_s = self.elapsed()
        self.epoch_seconds.append(train_s - self._epoch_start)
        if epoch + 1 in self.epoch_counts:
            self._measure(epochs_label(epoch + 1), None, train_s, float(epoch + 1))

    def _measure(self, label, budget, train_s, epochs):
        paused_at = self.clock()
        values = self.evaluate(self.model)
        eval_s = self.clock() - paused_at
        self._paused += eval_s
        self.checkpoints.append(
            {
                "label": label,
                "budget_s": budget,
                "train_s": round(train_s, 2),
                "epochs": round(epochs, 2),
                "eval_s": round(eval_s, 2),
                "metrics": values,
            }
        )


# -- test metrics -------------------------------------------------------------


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
        self.floor = metrics.frechet_distance(classifier_features(fd_train), self.test_features)

    def __call__(self, model):
        values = {
            "reconstruction_error": metrics.reconstruction_error(model, self.x_test),
            "latent_mmd": metrics.latent_mmd(model, self.x_test, num_samples=self.config.mmd_samples, seed=0),
            "frechet_distance": metrics.frechet_distance(
                classifier_features(prior_samples(model, self.config.fd_samples, seed=0)), self.test_features
            ),
        }
        if hasattr(model, "posterior"):  # a VAE: our own or the reference
            values["negative_elbo"] = metrics.negative_elbo(model, self.x_test, seed=0)
        return {name: round(float(value), 4) for name, value in values.items()}


def prior_samples(model, n, seed):
    """Images decoded from N(0, I) draws: `model.sample` where it exists (the autoencoder has none)."""
    if hasattr(model, "sample"):
        return model.sample(n, seed=seed)
    z = np.random.default_rng(seed).standard_normal((n, model.latent_dim)).astype(np.float32)
    return model.decode(z)


def epochs_label(n):
    return f"{n} epoch" + ("" if n == 1 else "s")


def train_under_budget(model, x_train, config, evaluate, budgets, epochs=(), batch_size=None):
    """Fits `model` on `x_train` until the last budget, measuring at each; returns the clock's record.

    The record holds `checkpoints` (one a budget), `epoch_checkpoints` (one an
    epoch count, or a `skipped` note where training stopped before it) and
    `median_epoch_s`.
    """
    clock = BudgetClock(budgets, evaluate, epochs=epochs)
    model.fit(x_train, epochs=1_000_000, batch_size=batch_size or config.batch_size, verbose=0, callbacks=[clock])
    record = {"checkpoints": [c for c in clock.checkpoints if c["budget_s"] is not None], "epoch_checkpoints": []}
    reached = {int(c["epochs"]): c for c in clock.checkpoints if c["budget_s"] is None}
    for n in sorted(epochs):
        record["epoch_checkpoints"].append(reached.get(n) or {
            "label": epochs_label(n),
            "skipped": f"{epochs_label(n)} did not finish within the last budget "
            f"({max(budgets):g} s of training); not measured",
        })
    timed = clock.epoch_seconds[1:]  # whole epochs after the first, which compiles
    record["median_epoch_s"] = round(statistics.median(timed), 2) if timed else None
    return record


# -- sections -----------------------------------------------------------------


def speed(data, config):
    """Seconds per epoch of each default model on this process's backend."""
    x_train = data.x_train
    result = {}
    for name in config.speed_models:
        model = new_model(name)
        timer = EpochTimer()
        history = model.fit(
            x_train, epochs=config.speed_epochs, batch_size=config.batch_size, verbose=0, callbacks=[timer]
        )
        timed = timer.seconds[1:]
        result[name] = {
            "first_epoch_s": round(timer.seconds[0], 2),
            "epoch_s": [round(s, 2) for s in timed],
            "median_epoch_s": round(statistics.median(timed), 2),
            "final_loss": round(float(history.history["loss"][-1]), 2),
        }
        log(f"speed {name}: first epoch {timer.seconds[0]:.1f} s, then {statistics.median(timed):.2f} s an epoch")
    return {"images": len(x_train), "batch_size": config.batch_size, "models": result}


def budget(data, config, evaluator):
    """Test metrics of each default model after fixed training times, and after full training."""
    models = {}
    for name in settings.MODELS:
        log(f"budget {name}: training for {max(config.budgets_s):g} s")
        record = train_under_budget(
            new_model(name), data.x_train, config, evaluator, config.budgets_s,
            epochs=settings.epoch_checkpoints(config, name),
        )
        for checkpoint in record["checkpoints"] + record["epoch_checkpoints"]:
            log(f"budget {name} at {checkpoint['label']}: {checkpoint.get('metrics', checkpoint.get('skipped'))}")
        models[name] = record
    return {
        "budgets_s": list(config.budgets_s),
        "chapter_epochs": dict(config.chapter_epochs),
        "full_epochs": config.full_epochs,
        "train_images": len(data.x_train),
        "test_images": len(data.x_test),
        "fd_samples": config.fd_samples,
        "floor_frechet_distance": round(evaluator.floor, 4),
        "models": models,
    }


def _ours_at(budget_result, budget_s, data, config, evaluator, name="VAE", **kwargs):
    """Our default model's checkpoint at `budget_s`: from the budget section, or trained here."""
    if budget_result and "models" in budget_result:
        for checkpoint in budget_result["models"][name]["checkpoints"]:
            if checkpoint["budget_s"] == budget_s:
                return dict(checkpoint, source="budget section of this run")
    log(f"training our {name} for {budget_s:g} s")
    record = train_under_budget(new_model(name, **kwargs), data.x_train, config, evaluator, [budget_s])
    return dict(record["checkpoints"][0], source="trained in this section")


def reference(data, config, evaluator, budget_result=None):
    """The keras.io VAE architecture against our default VAE, 120 s of training each."""
    budget_s = config.reference_budget_s
    log(f"reference: training the keras.io VAE architecture for {budget_s:g} s")
    keras.utils.set_random_seed(0)
    model = ReferenceVAE(latent_dim=2)
    model.compile(optimizer=keras.optimizers.Adam())  # Keras's default step size, 1e-3
    record = train_under_budget(model, data.x_train, config, evaluator, [budget_s])
    theirs = dict(record["checkpoints"][0], params=int(model.count_params()), latent_dim=model.latent_dim)
    theirs["network"] = "conv"
    ours = _ours_at(budget_result, budget_s, data, config, evaluator)
    default_vae = new_model("VAE")
    default_vae(data.x_test[:1])  # builds it, to count its weights
    ours.update(params=int(default_vae.count_params()), latent_dim=default_vae.latent_dim, network=default_vae.network)
    ratio = ours["metrics"]["negative_elbo"] / theirs["metrics"]["negative_elbo"]
    log(f"reference: negative ELBO ours {ours['metrics']['negative_elbo']:.1f}, "
        f"reference {theirs['metrics']['negative_elbo']:.1f}, ratio {ratio:.3f}")
    return {
        "budget_s": budget_s,
        "reference": theirs,
        "ours": ours,
        "ratio": round(ratio, 4),
        "target": settings.REFERENCE_TARGET,
        "met": bool(ratio <= settings.REFERENCE_TARGET),
    }


def overhead(data, config):
    """Time per epoch of `VAE.fit` against a plain tf.GradientTape loop over the same network and data."""
    import tensorflow as tf

    from benchmarks.plain_loop import PlainVAELoop

    x = data.x_train[: config.overhead_size]
    # One pipeline feeds both: shuffled each epoch, batched, prefetched.
    dataset = (
        tf.data.Dataset.from_tensor_slices(x)
        .shuffle(len(x), seed=0, reshuffle_each_iteration=True)
        .batch(config.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    vae_data = new_model("VAE")
    vae_numpy = new_model("VAE")
    keras.utils.set_random_seed(0)
    loop = PlainVAELoop(jit_compile=False)
    keras.utils.set_random_seed(0)
    loop_xla = PlainVAELoop(jit_compile=True)

    def fit_epoch(model, inputs):
        # The epoch as `fit` runs it (from the callback), and the whole call with its set-up.
        timer = EpochTimer()
        fit_kwargs = {} if isinstance(inputs, tf.data.Dataset) else {"batch_size": config.batch_size}
        start = time.perf_counter()
        model.fit(inputs, epochs=1, verbose=0, callbacks=[timer], **fit_kwargs)
        return timer.seconds[0], time.perf_counter() - start

    def loop_epoch(plain):
        start = time.perf_counter()
        plain.train_epoch(dataset)
        seconds = time.perf_counter() - start
        return seconds, seconds

    variants = {
        "aelib VAE.fit, tf.data": lambda: fit_epoch(vae_data, dataset),
        "plain loop, tf.function": lambda: loop_epoch(loop),
        "plain loop, tf.function with XLA": lambda: loop_epoch(loop_xla),
        "aelib VAE.fit, NumPy arrays": lambda: fit_epoch(vae_numpy, x),
    }
    times = {name: [] for name in variants}
    calls = {name: [] for name in variants}
    for round_ in range(config.overhead_rounds + 1):  # round 0 is the warm-up
        for name, run_epoch in variants.items():
            seconds, call_seconds = run_epoch()
            if round_ > 0:
                times[name].append(round(seconds, 3))
                calls[name].append(round(call_seconds, 3))
        log(f"overhead round {round_}: " + ", ".join(f"{n} {t[-1] if t else 'warm-up'}" for n, t in times.items()))
    medians = {name: statistics.median(t) for name, t in times.items()}
    ratio = medians["aelib VAE.fit, tf.data"] / medians["plain loop, tf.function"]
    return {
        "images": len(x),
        "batch_size": config.batch_size,
        "rounds": config.overhead_rounds,
        "keras_jit_compile": bool(vae_data.jit_compile),
        "variants": {
            name: {
                "epoch_s": times[name],
                "median_epoch_s": round(medians[name], 3),
                "median_call_s": round(statistics.median(calls[name]), 3),
            }
            for name in variants
        },
        "compared": ["aelib VAE.fit, tf.data", "plain loop, tf.function"],
        "ratio": round(ratio, 4),
        "target": settings.OVERHEAD_TARGET,
        "met": bool(ratio <= settings.OVERHEAD_TARGET),
    }


def defaults(data, config):
    """The timings behind the defaults: MLP against conv, and the batch size."""
    x = data.x_train[: config.defaults_size]

    def timed(network, batch_size):
        model = new_model("VAE", network=network)
        timer = EpochTimer()
        model.fit(x, epochs=config.defaults_epochs, batch_size=batch_size, verbose=0, callbacks=[timer])
        median = statistics.median(timer.seconds[1:])
        log(f"defaults: VAE {network}, batch {batch_size}: {median:.2f} s an epoch of {len(x)} images")
        return {"median_epoch_s": round(median, 3), "per_60000_s": round(median * 60000 / len(x), 2)}

    batch_sizes = {str(b): timed("mlp", b) for b in config.batch_sizes}
    conv = timed("conv", config.batch_size)
    return {
        "images": len(x),
        "timed_epochs": config.defaults_epochs - 1,
        "network": {"mlp": batch_sizes[str(config.batch_size)], "conv": conv},
        "batch_size": batch_sizes,
        "default_batch_size": config.batch_size,
    }


def weights(data, config, evaluator):
    """The WAE's mmd_weight: 10, 100, 1000 against the VAE, a few epochs each on all training images."""
    results = {}
    runs = [(f"WAE mmd_weight={w:g}", "WAE", {"mmd_weight": w}) for w in config.mmd_weights]
    runs.append(("VAE", "VAE", {}))
    for label, name, kwargs in runs:
        model = new_model(name, **kwargs)
        timer = EpochTimer()
        model.fit(
            data.x_train, epochs=config.weights_epochs, batch_size=config.batch_size, verbose=0, callbacks=[timer]
        )
        results[label] = {"train_s": round(sum(timer.seconds), 2), "metrics": evaluator(model)}
        log(f"weights {label}: {results[label]['metrics']}")
    return {"epochs": config.weights_epochs, "train_images": len(data.x_train), "models": results}


def conv(data, config, evaluator, budget_result=None):
    """A conv VAE against the default MLP VAE, after the same training time."""
    log(f"conv: training a conv VAE for {config.conv_budget_s:g} s")
    model = new_model("VAE", network="conv")
    record = train_under_budget(model, data.x_train, config, evaluator, [config.conv_budget_s])
    return {
        "budget_s": config.conv_budget_s,
        "conv": record["checkpoints"][0],
        "mlp": _ours_at(budget_result, config.conv_budget_s, data, config, evaluator),
    }


def _run_section(name, data, config, evaluator, results):
    if name == "speed":
        return speed(data, config)
    if name == "overhead":
        return overhead(data, config)
    if name == "defaults":
        return defaults(data, config)
    if name == "budget":
        return budget(data, config, evaluator)
    if name == "reference":
        return reference(data, config, evaluator, results.get("budget"))
    if name == "weights":
        return weights(data, config, evaluator)
    if name == "conv":
        return conv(data, config, evaluator, results.get("budget"))
    raise ValueError(f"Unknown section {name!r}; expected one of {settings.SECTIONS}")


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
        if name in ("budget", "reference", "weights", "conv") and evaluator is None:
            evaluator = Evaluator(data.x_train, data.x_test, data.y_train, data.y_test, config)
        try:
            result = _run_section(name, data, config, evaluator, results)
        except Exception as error:  # keep the other sections' results; run.py reports the failure
            traceback.print_exc()
            result = {"error": f"{type(error).__name__}: {error}"}
        result["seconds"] = round(time.perf_counter() - start, 1)
        result["load_average_at_start"] = round(load, 2)
        results[name] = result
        on_result(name, result)
    return results
