"""What the harness measures and how much: the full budget and the smoke budget.

Kept free of Keras, so that `run.py` can print its time estimate before any
backend is imported.
"""

import dataclasses
import json
import pathlib
import re

# Sections in the order a full run measures them. `weights` and `conv` train
# extra models and do not fit the 25-minute run; ask for them with --only.
SECTIONS = ("speed", "overhead", "defaults", "budget", "reference", "weights", "conv")
DEFAULT_SECTIONS = ("speed", "overhead", "defaults", "budget", "reference")
BACKENDS = ("tensorflow", "jax")
MODELS = ("Autoencoder", "VAE", "WAE")

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


# Targets from issue 6.
REFERENCE_TARGET = 0.90  # our VAE's test negative ELBO / the reference's, both after 120 s
OVERHEAD_TARGET = 1.05  # aelib's time per epoch / a plain training loop's
BOOK_TARGET_S = 15 * 60  # the whole book's `make execute`
CHAPTER_BUDGET_S = 4 * 60  # a chapter's full run (notebooks/CHAPTERS.md)

# For the time estimate: an idle 2-core machine, from notebooks/CHAPTERS.md.
MLP_EPOCH_S = 10.0  # one epoch of 60,000 images, batch 128, MLP model
CONV_SLOWDOWN = 8.0  # a conv model's epoch / an MLP model's
EVAL_S = 6.0  # the test metrics at one checkpoint
START_S = 15.0  # a worker process: importing the backend and loading the data


def epoch_checkpoints(config, model):
    """The epoch counts at which `model` is measured in the budget section."""
    return tuple(sorted({config.chapter_epochs[model] or config.full_epochs, config.full_epochs}))


@dataclasses.dataclass(frozen=True)
class Config:
    """Every size the harness uses. `FULL` is the real run, `SMOKE` a quick check of the code."""

    smoke: bool
    train_size: int | None  # training images (None: all 60,000)
    test_size: int | None  # test images for the metrics (None: all 10,000)
    batch_size: int
    speed_models: tuple  # the models timed in the speed section
    speed_epochs: int  # the first is the warm-up (compilation), the rest are timed
    budgets_s: tuple  # training seconds at which the test metrics are taken
    chapter_epochs: dict  # model -> the epochs its chapter trains it for ("full training")
    full_epochs: int  # a second epoch count measured for every model
    fd_samples: int  # generated images and test images for the Frechet distance
    mmd_samples: int  # codes for the latent MMD
    reference_budget_s: float  # training seconds of the reference VAE and of ours
    overhead_size: int  # images per epoch in the overhead comparison
    overhead_rounds: int  # timed epochs of each variant, alternating
    defaults_size: int  # images per epoch for the network and batch-size timings
    defaults_epochs: int  # the first is the warm-up
    batch_sizes: tuple
    mmd_weights: tuple
    weights_epochs: int
    conv_budget_s: float


FULL = Config(
    smoke=False,
    train_size=None,
    test_size=None,
    batch_size=128,
    speed_models=MODELS,
    speed_epochs=3,
    budgets_s=(60.0, 120.0, 300.0),
    chapter_epochs=chapter_epochs(),
    full_epochs=12,
    fd_samples=5000,
    mmd_samples=2000,
    reference_budget_s=120.0,
    overhead_size=20000,
    overhead_rounds=4,
    defaults_size=10000,
    defaults_epochs=3,
    batch_sizes=(64, 128, 256),
    mmd_weights=(10.0, 100.0, 1000.0),
    weights_epochs=5,
    conv_budget_s=120.0,
)

SMOKE = Config(
    smoke=True,
    train_size=2048,  # whole batches: one compilation, not two (a last, smaller batch recompiles)
    test_size=500,
    batch_size=128,
    speed_models=("VAE",),  # compiling dominates a smoke run; the budget section trains all three
    speed_epochs=3,
    budgets_s=(3.0, 6.0),
    chapter_epochs={name: 1 for name in MODELS},
    full_epochs=2,
    fd_samples=500,
    mmd_samples=500,
    reference_budget_s=6.0,
    overhead_size=1024,
    overhead_rounds=2,
    defaults_size=512,
    defaults_epochs=2,
    batch_sizes=(128,),
    mmd_weights=(10.0, 100.0, 1000.0),
    weights_epochs=1,
    conv_budget_s=6.0,
)


def estimate_seconds(config, sections, backends):
    """Returns `{section: seconds}`, the expected time of each section on an idle 2-core machine.

    A rough guide from the per-epoch times in notebooks/CHAPTERS.md, not a measurement.
    """

    def mlp_epoch(images):
        return MLP_EPOCH_S * (images or 60000) / 60000

    train = config.train_size or 60000
    checkpoints = len(config.budgets_s) + 2  # and the two epoch counts
    ours_extra = 0.0 if "budget" in sections else config.reference_budget_s + EVAL_S
    estimate = {
        "speed": len(backends) * len(config.speed_models) * config.speed_epochs * mlp_epoch(train),
        "overhead": 4 * (config.overhead_rounds + 1) * mlp_epoch(config.overhead_size),
        "defaults": config.defaults_epochs
        * mlp_epoch(config.defaults_size)
        * (CONV_SLOWDOWN + 1.2 * len(config.batch_sizes)),  # conv, then the MLP at each batch size
        "budget": EVAL_S + len(MODELS) * (max(config.budgets_s) + checkpoints * EVAL_S),
        "reference": config.reference_budget_s + EVAL_S + ours_extra,
        "weights": (len(config.mmd_weights) + 1) * (config.weights_epochs * mlp_epoch(train) + EVAL_S),
        "conv": config.conv_budget_s + EVAL_S + (0.0 if "budget" in sections else config.conv_budget_s + EVAL_S),
    }
    result = {name: estimate[name] for name in sections}
    result["start"] = START_S * len(workers(sections, backends))
    return result


def workers(sections, backends):
    """Returns `[(backend, sections), ...]`: the processes a run starts, one after another.

    Speed is measured on each backend asked for; everything else on TensorFlow.
    """
    tensorflow = [s for s in sections if s != "speed" or "tensorflow" in backends]
    plan = [("tensorflow", tensorflow)] if tensorflow else []
    if "speed" in sections and "jax" in backends:
        plan.append(("jax", ["speed"]))
    return plan
