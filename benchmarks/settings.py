"""What the harness measures and how much: the full budget, the smoke budget, the targets.

Kept free of Keras, so that `run.py` can print its time estimate before any
backend is imported.
"""

import dataclasses
import json
import pathlib
import re

# Sections in the order a run measures them. The TensorFlow worker runs all of
# them; the JAX worker only the two that compare backends.
SECTIONS = ("roofline", "speed", "budget", "reference")
PER_BACKEND = ("roofline", "speed")
BACKENDS = ("tensorflow", "jax")
DEFAULT_BACKEND = "tensorflow"  # Keras's default, and the chapters'
MODELS = ("Autoencoder", "VAE", "WAE")

# The compile settings the speed section times, per backend, as `model.compile(**kwargs)`.
# `{}` is what a reader gets from `fit`, whatever aelib's defaults are; the
# others are candidates. Settings that resolve to the same `jit_compile` and
# `steps_per_execution` as one already timed are skipped (measure.py).
SPEED_SETTINGS = {
    "tensorflow": (
        {},
        {"jit_compile": "auto", "steps_per_execution": 1},
        {"jit_compile": True, "steps_per_execution": 32},
    ),
    "jax": ({},),  # jit_compile resolves to True; steps_per_execution=32 gained under 3% here
}

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
CHAPTERS = {"Autoencoder": "01_autoencoder.ipynb", "VAE": "02_vae.ipynb", "WAE": "03_wae.ipynb"}
_EPOCHS_LINE = re.compile(r"^EPOCHS = aelib\.budget\(full=(\d+)", re.MULTILINE)


def chapter_epochs(folder=NOTEBOOKS):
    """The epochs each chapter trains its main model for in a full run, read from its budget cell.

    Returns:
        `{model: epochs}`, with None for a chapter that is missing or sets no
        `EPOCHS = aelib.budget(full=...)`.
    """
    found = {}
    for model, name in CHAPTERS.items():
        path = pathlib.Path(folder) / name
        epochs = None
        if path.exists():
            source = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
            match = _EPOCHS_LINE.search(source)
            epochs = int(match.group(1)) if match else None
        found[model] = epochs
    return found


# Targets: issue 6 (reference, book) and issue 9 (backends, roofline).
REFERENCE_TARGET = 0.90  # our VAE's test negative ELBO / the keras.io recipe's, after the same time
BACKEND_TARGET = 1.25  # the default backend's seconds per epoch / the fastest backend's
ROOFLINE_TARGET = 2.0  # an epoch's seconds / the seconds the roofline would need for its FLOPs
QUALITY_TOLERANCE = 0.03  # test figures of one model across backends and settings: relative spread
BOOK_TARGET_S = 15 * 60  # the whole book's `make execute`

# For the time estimate: an idle 2-core machine.
EPOCH_S = 3.5  # one epoch of 60,000 images, batch 128, MLP model, either backend
EVAL_S = 6.0  # the test metrics at one budget checkpoint
START_S = 15.0  # a worker process: importing the backend and loading the data
MATMUL_S = 10.0  # the roofline's matmuls, and starting the speed section


@dataclasses.dataclass(frozen=True)
class Config:
    """Every size the harness uses. `FULL` is the real run, `SMOKE` a quick check of the code."""

    smoke: bool
    train_size: int | None  # training images (None: all 60,000)
    test_size: int | None  # test images for the metrics (None: all 10,000)
    batch_size: int
    matmul_size: int  # the roofline's square matrices
    matmul_repeats: int
    speed_models: tuple  # the models timed in the speed section
    speed_epochs: int  # the first is the warm-up (compilation), the rest are timed
    budgets_s: tuple  # training seconds at which the test metrics are taken
    chapter_epochs: dict  # model -> the epochs its chapter trains it for
    fd_samples: int  # generated images and test images for the Fréchet distance
    mmd_samples: int  # codes for the latent MMD
    reference_budget_s: float  # training seconds of the keras.io recipe and of ours


FULL = Config(
    smoke=False,
    train_size=None,
    test_size=None,
    batch_size=128,
    matmul_size=4096,
    matmul_repeats=10,
    speed_models=MODELS,
    speed_epochs=5,
    budgets_s=(60.0, 90.0),
    chapter_epochs=chapter_epochs(),
    fd_samples=5000,
    mmd_samples=2000,
    reference_budget_s=90.0,
)

SMOKE = Config(
    smoke=True,
    train_size=2048,  # whole batches: one compilation, not two (a last, smaller batch recompiles)
    test_size=500,
    batch_size=128,
    matmul_size=512,
    matmul_repeats=3,
    speed_models=("VAE",),  # compiling dominates a smoke run; the budget section trains all three
    speed_epochs=3,
    budgets_s=(3.0, 6.0),
    chapter_epochs={name: 1 for name in MODELS},
    fd_samples=500,
    mmd_samples=500,
    reference_budget_s=6.0,
)


def estimate_seconds(config, sections, backends):
    """Returns `{section: seconds}`, the expected time of each section on an idle 2-core machine.

    A rough guide from the constants above, not a measurement.
    """
    epoch = EPOCH_S * (config.train_size or 60000) / 60000
    # `{}` resolves to one of the other candidates whenever aelib's defaults are among them.
    per_backend = {backend: max(1, len(SPEED_SETTINGS[backend]) - 1) for backend in backends}
    estimate = {
        "roofline": MATMUL_S * len(backends),
        "speed": sum(per_backend.values())
        * len(config.speed_models)
        * (config.speed_epochs + 1)
        * epoch,
        "budget": len(MODELS) * (max(config.budgets_s) + (len(config.budgets_s) + 1) * EVAL_S),
        "reference": config.reference_budget_s + EVAL_S,
    }
    result = {name: estimate[name] for name in sections}
    result["start"] = START_S * len(workers(sections, backends))
    return result


def workers(sections, backends):
    """Returns `[(backend, sections), ...]`: the processes a run starts, one after another.

    The roofline and the speed are measured on each backend asked for;
    everything else on the default backend.
    """
    plan = []
    for backend in backends:
        mine = [s for s in sections if s in PER_BACKEND or backend == DEFAULT_BACKEND]
        if mine:
            plan.append((backend, mine))
    if DEFAULT_BACKEND not in backends and any(s not in PER_BACKEND for s in sections):
        plan.insert(0, (DEFAULT_BACKEND, [s for s in sections if s not in PER_BACKEND]))
    return plan
