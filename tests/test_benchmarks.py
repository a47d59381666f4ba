"""Tests for the benchmark harness: the reference VAE, the training clock, the report."""

import json
import pathlib
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import report, run, settings  # noqa: E402


def _images(n, seed=0):
    return np.random.default_rng(seed).uniform(0.0, 1.0, size=(n, 28, 28, 1)).astype(np.float32)


def _numpy_bce(x, logits):
    """Binary cross-entropy summed over pixels, from probabilities, in float64."""
    x, logits = np.asarray(x, np.float64), np.asarray(logits, np.float64)
    p = 1.0 / (1.0 + np.exp(-logits))
    return -np.sum(x * np.log(p) + (1.0 - x) * np.log(1.0 - p), axis=(1, 2, 3))  # (N,)


def _numpy_kl(z_mean, z_log_var):
    """KL(N(m, exp(v)) || N(0, 1)), one latent dimension at a time."""
    z_mean, z_log_var = np.asarray(z_mean, np.float64), np.asarray(z_log_var, np.float64)
    kl = np.zeros(z_mean.shape[0])
    for j in range(z_mean.shape[1]):
        m, v = z_mean[:, j], z_log_var[:, j]
        kl += 0.5 * (np.exp(v) + m**2 - 1.0 - v)
    return kl


# -- the reference VAE ----------------------------------------------------------


@pytest.mark.keras
def test_reference_vae_has_the_example_architecture():
    import keras

    from benchmarks.reference_vae import ReferenceVAE

    keras.utils.set_random_seed(0)
    model = ReferenceVAE(latent_dim=2)
    # Shapes as built (a forward pass is checked in the next test).
    assert [tuple(t.shape) for t in model.encoder.outputs] == [(None, 2), (None, 2)]
    assert tuple(model.decoder.outputs[0].shape) == (None, 28, 28, 1)

    def conv(k, channels_in, channels_out):
        return k * k * channels_in * channels_out + channels_out

    def dense(units_in, units_out):
        return units_in * units_out + units_out

    encoder = conv(3, 1, 32) + conv(3, 32, 64) + dense(7 * 7 * 64, 16) + 2 * dense(16, 2)
    decoder = dense(2, 7 * 7 * 64) + conv(3, 64, 64) + conv(3, 64, 32) + conv(3, 32, 1)
    assert model.encoder.count_params() == encoder  # 69,076
    assert model.decoder.count_params() == decoder  # 65,089


@pytest.mark.keras
def test_reference_loss_matches_numpy():
    import keras

    from benchmarks.reference_vae import ReferenceVAE

    keras.utils.set_random_seed(1)
    model = ReferenceVAE(latent_dim=2, seed=3)
    x = _images(4, seed=2)
    y_pred = model(x)
    assert {k: tuple(v.shape) for k, v in y_pred.items()} == {
        "logits": (4, 28, 28, 1), "z_mean": (4, 2), "z_log_var": (4, 2), "z": (4, 2)
    }
    loss = float(keras.ops.convert_to_numpy(model.compute_loss(x=x, y_pred=y_pred)))
    logits, z_mean, z_log_var = (keras.ops.convert_to_numpy(y_pred[k]) for k in ("logits", "z_mean", "z_log_var"))
    expected = np.mean(_numpy_bce(x, logits)) + np.mean(_numpy_kl(z_mean, z_log_var))
    assert loss == pytest.approx(expected, rel=1e-5)
    # The decoded code is the one the loss saw.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.decoder(y_pred["z"])), logits, rtol=1e-5, atol=1e-5)


@pytest.mark.keras
def test_aelib_negative_elbo_scores_the_reference_as_written_out():
    import keras

    from aelib.metrics import negative_elbo
    from benchmarks.reference_vae import ReferenceVAE

    keras.utils.set_random_seed(2)
    model = ReferenceVAE(latent_dim=2)
    x = _images(5, seed=4)
    z_mean, z_log_var = (keras.ops.convert_to_numpy(t) for t in model.encoder(x))
    z = z_mean + np.exp(0.5 * z_log_var) * np.random.default_rng(7).standard_normal(z_mean.shape)
    logits = keras.ops.convert_to_numpy(model.decoder(z.astype(np.float32)))
    expected = np.mean(_numpy_bce(x, logits) + _numpy_kl(z_mean, z_log_var))
    assert negative_elbo(model, x, seed=7) == pytest.approx(expected, rel=1e-4)


# -- the training clock ---------------------------------------------------------


class _FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class _FakeModel:
    stop_training = False


@pytest.mark.keras
def test_budget_clock_pauses_while_measuring_and_stops_at_the_last_budget():
    from benchmarks.measure import BudgetClock

    clock = _FakeClock()

    def evaluate(model):
        clock.now += 100.0  # a slow evaluation, which must not count as training
        return {"score": clock.now}

    budget_clock = BudgetClock([7, 3], evaluate, epochs=(1, 3), clock=clock)
    model = _FakeModel()
    budget_clock.set_model(model)
    budget_clock.set_params({"steps": 5})
    budget_clock.on_train_begin()
    for epoch in range(3):
        budget_clock.on_epoch_begin(epoch)
        for batch in range(5):
            clock.now += 1.0  # each batch takes a second of training
            budget_clock.on_train_batch_end(batch)
            if model.stop_training:
                break
        budget_clock.on_epoch_end(epoch)
        if model.stop_training:
            break
    labels = [(c["label"], c["budget_s"], c["train_s"], c["epochs"]) for c in budget_clock.checkpoints]
    assert labels == [("3 s", 3.0, 3.0, 0.6), ("1 epoch", None, 5.0, 1.0), ("7 s", 7.0, 7.0, 1.4)]
    assert model.stop_training and epoch == 1 and batch == 1  # stopped right after the 7th second
    assert budget_clock.epoch_seconds == [5.0]  # the interrupted epoch is not a whole one
    assert all(c["eval_s"] == 100.0 for c in budget_clock.checkpoints)


# -- the report -----------------------------------------------------------------

FAKE_MACHINE = {"cpu": "Test CPU", "cores": 2, "usable_cores": 2, "memory_gib": 8.0, "python": "3.11.7",
                "tensorflow": "2.20.0", "keras": "3.13.2", "jax": "0.8.1", "date": "2026-01-01T00:00:00+00:00"}


def _fake_results(smoke=False):
    speed = {"images": 60000, "batch_size": 128, "models": {
        "Autoencoder": {"median_epoch_s": 9.0, "first_epoch_s": 11.5},
        "VAE": {"median_epoch_s": 10.0, "first_epoch_s": 12.5},
    }}
    jax = {"images": 60000, "batch_size": 128, "models": {"VAE": {"median_epoch_s": 8.0, "first_epoch_s": 20.0}}}
    checkpoint = {"epochs": 11.6, "metrics": {"negative_elbo": 255.0, "frechet_distance": 80.0}}
    return {
        "smoke": smoke,
        "machine": FAKE_MACHINE,
        "sections": {
            "speed": {"backends": {"tensorflow": speed, "jax": jax}},
            "reference": {
                "budget_s": 120.0, "ratio": 0.85, "target": 0.9, "met": True,
                "reference": {**checkpoint, "params": 134165, "latent_dim": 2, "network": "conv",
                              "metrics": {"negative_elbo": 300.0, "frechet_distance": 150.0}},
                "ours": {**checkpoint, "params": 1079600, "latent_dim": 16, "network": "mlp"},
            },
            "overhead": {
                "images": 20000, "batch_size": 128, "rounds": 4, "keras_jit_compile": False,
                "compared": ["aelib VAE.fit, tf.data", "plain loop, tf.function"],
                "variants": {"aelib VAE.fit, tf.data": {"median_epoch_s": 3.3, "median_call_s": 3.4},
                             "plain loop, tf.function": {"median_epoch_s": 3.0, "median_call_s": 3.0}},
                "ratio": 1.1, "target": 1.05, "met": False,
            },
            "budget": {"error": "RuntimeError: out of memory"},
        },
        "execute": {
            "machine": "x86_64, 2 cores",
            "chapters": {
                "01_a.ipynb": {"notebook": "01_a.ipynb", "seconds": 600.0, "peak_memory_gib": 1.5},
                "02_b.ipynb": {"notebook": "02_b.ipynb", "seconds": 400.0, "peak_memory_gib": 2.0},
            },
            "total_seconds": 1000.0,
        },
    }


def test_markdown_has_the_expected_tables():
    text = report.markdown(_fake_results())
    lines = text.splitlines()
    assert "SMOKE" not in text
    # Speed: one column pair per backend, a dash where a backend did not time a model.
    header = "| model | TensorFlow: s/epoch | TensorFlow: first epoch (s) | JAX: s/epoch | JAX: first epoch (s) |"
    assert header in lines
    assert "| Autoencoder | 9.00 | 11.50 | – | – |" in lines
    assert "| VAE | 10.00 | 12.50 | 8.00 | 20.00 |" in lines
    # The reference: both rows, the ratio and the verdict.
    assert "| keras.io VAE architecture | conv | 2 | 134,165 | 11.6 | 300.0 | 150.0 |" in lines
    assert "| aelib `VAE()` | mlp | 16 | 1,079,600 | 11.6 | 255.0 | 80.0 |" in lines
    assert "Ratio of the negative ELBOs, ours / reference: **0.850**. Target: at most 0.90; **met**." in lines
    # The overhead: ratio to the plain loop per row, and a missed target says by how much.
    assert "| aelib VAE.fit, tf.data | 3.300 | 3.400 | 1.100 |" in lines
    assert "**missed** by 4.8%" in text
    # The book's run against 15 minutes.
    assert "| **total** | **1,000.0** |  |" in lines
    assert "Target: the whole book in at most 15 minutes; 16.7 min, **missed** by 11.1%." in lines
    # A failed section says so; a section never run says how to run it.
    assert "This section failed: `RuntimeError: out of memory`." in lines
    assert any(line.startswith("- **Network and batch size:** not measured") for line in lines)
    results = _fake_results()
    del results["sections"]["reference"]
    assert "Not measured yet: `benchmarks/run.py --only reference`." in report.markdown(results).splitlines()


def test_budget_table_lists_checkpoints_in_training_order():
    def checkpoint(label, budget_s, train_s, epochs, value):
        return {"label": label, "budget_s": budget_s, "train_s": train_s, "epochs": epochs,
                "metrics": {"negative_elbo": value, "reconstruction_error": value, "latent_mmd": 0.01,
                            "frechet_distance": 50.0}}

    results = _fake_results()
    results["sections"]["budget"] = {
        "budgets_s": [60.0, 120.0], "chapter_epochs": {"VAE": 10}, "full_epochs": 12, "train_images": 60000,
        "test_images": 10000, "fd_samples": 5000, "floor_frechet_distance": 2.0,
        "models": {"VAE": {
            "checkpoints": [checkpoint("60 s", 60.0, 60.0, 5.5, 260.0), checkpoint("120 s", 120.0, 120.0, 11.0, 250.0)],
            "epoch_checkpoints": [checkpoint("10 epochs", None, 110.0, 10.0, 251.0),
                                  {"label": "12 epochs", "skipped": "12 epochs did not finish"}],
        }},
    }
    lines = report.markdown(results).splitlines()
    start = lines.index("## Quality per minute of training")
    rows = [line for line in lines[start:] if line.startswith("| VAE | ")]
    assert [row.split(" | ")[1] for row in rows[:3]] == ["60 s", "10 epochs (chapter)", "120 s"]
    assert "| VAE | 10 epochs (chapter) | 110.0 | 10.0 | 251.0 | 251.0 | 0.0100 | 50.0 |" in lines
    assert "The VAE: 12 epochs did not finish." in lines
    epochs_bullet = next(line for line in lines if line.startswith("- **Epochs.**"))
    assert "the VAE's negative ELBO from 251.0 to 250.0 (+0.4%)" in epochs_bullet
    assert "110 s of training, 46% of a chapter's 4-minute budget" in epochs_bullet


def test_smoke_results_say_so_first():
    text = report.markdown(_fake_results(smoke=True))
    assert text.startswith("> **SMOKE RUN.**")


def test_csv_has_one_row_a_measurement(tmp_path):
    results = _fake_results()
    report.write(results, tmp_path)
    rows = (tmp_path / "bench.csv").read_text().splitlines()
    assert rows[0] == "section,backend,model,setting,metric,value,unit"
    assert 'speed,jax,VAE,"60000 images, batch 128",seconds_per_epoch,8.0,s' in rows
    assert "reference,tensorflow,VAE / keras.io VAE,120 s,negative_elbo_ratio,0.85," in rows
    assert len(rows) == 1 + 6 + 4 + 1 + 2 + 1 + 2  # header, speed, reference, ratio, overhead, ratio, chapters
    assert report.failures(results) == ["budget: RuntimeError: out of memory"]


def test_merge_keeps_what_this_run_did_not_measure():
    previous = _fake_results()
    new = {"speed": {"backends": {"jax": {"images": 60000, "batch_size": 128, "models": {}}}}}
    merged = run.merge(previous, new, FAKE_MACHINE, smoke=False)
    assert set(merged["sections"]["speed"]["backends"]) == {"tensorflow", "jax"}
    assert "reference" in merged["sections"]
    # Smoke results never mix with real ones.
    assert run.merge(_fake_results(), new, FAKE_MACHINE, smoke=True)["sections"].keys() == {"speed"}


def test_chapter_epochs_are_read_from_the_chapters(tmp_path):
    found = settings.chapter_epochs()
    assert set(found) == set(settings.MODELS)
    assert all(isinstance(n, int) and n > 0 for n in found.values()), found
    cell = {"cell_type": "code", "source": ["BATCH_SIZE = 128\n", "EPOCHS = aelib.budget(full=7, fast=1)  # epochs\n"]}
    (tmp_path / "02_vae.ipynb").write_text(json.dumps({"cells": [cell]}))
    assert settings.chapter_epochs(tmp_path) == {"Autoencoder": None, "VAE": 7, "WAE": None}


def test_the_full_run_is_planned_to_fit_25_minutes():
    estimate = settings.estimate_seconds(settings.FULL, settings.DEFAULT_SECTIONS, settings.BACKENDS)
    assert sum(estimate.values()) <= 25 * 60
    assert settings.FULL.reference_budget_s in settings.FULL.budgets_s  # ours comes from the budget run
    assert settings.SMOKE.reference_budget_s in settings.SMOKE.budgets_s
