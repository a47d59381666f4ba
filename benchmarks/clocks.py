"""The clocks of the harness: per-epoch wall time, and a training budget with pauses to measure.

Both are Keras callbacks, and both take the clock as an argument, so that the
tests can drive them with a fake one.
"""

import time

import keras


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


def epochs_label(n):
    """`1 epoch`, `10 epochs`."""
    return f"{n} epoch" + ("" if n == 1 else "s")
