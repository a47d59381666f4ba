"""Writing the results: bench.json, bench.csv (one row a measurement) and results.md.

Pure Python, no Keras: everything here reads the results dict that run.py
assembles, so it can be tested with a small fake one.
"""

import csv
import json
import statistics

from benchmarks import settings

METRICS = (  # key, column title, decimals
    ("reconstruction_error", "reconstruction error (nats)", 1),
    ("negative_elbo", "negative ELBO (nats)", 1),
    ("latent_mmd", "latent MMD", 4),
    ("frechet_distance", "Frechet distance", 1),
)
NAMES = {key: title.split(" (")[0] for key, title, _ in METRICS}
UNITS = {"reconstruction_error": "nats", "negative_elbo": "nats", "latent_mmd": "", "frechet_distance": ""}
BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX"}
MISSING = "–"


# -- small helpers --------------------------------------------------------------


def epochs(n):
    """`1 epoch`, `5 epochs`."""
    return f"{n:g} epoch" + ("" if n == 1 else "s")


def fmt(value, decimals=2):
    """A number with fixed decimals; a dash for a missing one."""
    if value is None:
        return MISSING
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{value:,.{decimals}f}"


def table(headers, rows):
    """A markdown table, as a list of lines."""
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def machine_line(machine):
    """One line describing the machine: CPU, cores, memory and the versions."""
    parts = [machine.get("cpu") or "unknown CPU", f"{machine.get('usable_cores') or machine.get('cores')} cores"]
    if machine.get("memory_gib"):
        parts.append(f"{machine['memory_gib']} GiB memory")
    parts.append(f"Python {machine.get('python')}")
    for key, name in (("tensorflow", "TensorFlow"), ("keras", "Keras"), ("jax", "JAX")):
        if machine.get(key):
            parts.append(f"{name} {machine[key]}")
    return ", ".join(parts)


def _verdict(value, target, smaller_is_better=True):
    met = value <= target if smaller_is_better else value >= target
    if met:
        return "**met**"
    return f"**missed** by {100 * (value / target - 1):.1f}%"


def _section(results, name):
    """The section's dict, or None if it was not measured or failed."""
    section = results.get("sections", {}).get(name)
    if not section or "error" in section:
        return None
    return section


def _error_lines(results, name):
    section = results.get("sections", {}).get(name)
    if section and "error" in section:
        return [f"This section failed: `{section['error']}`.", ""]
    return [f"Not measured yet: `benchmarks/run.py --only {name}`.", ""]


# -- the sections ---------------------------------------------------------------


def speed_lines(results):
    lines = ["## Speed", ""]
    section = results.get("sections", {}).get("speed")
    backends = {b: r for b, r in (section or {}).get("backends", {}).items() if "error" not in r}
    if not backends:
        return lines + _error_lines(results, "speed")
    first = next(iter(backends.values()))
    lines += [
        f"Seconds per epoch of each default model, {first['images']:,} training images in batches of "
        f"{first['batch_size']}: the median of the epochs after the first. The first epoch, which also "
        "compiles the training step, is shown apart.",
        "",
    ]
    headers = ["model"]
    for backend in backends:
        name = BACKEND_NAMES.get(backend, backend)
        headers += [f"{name}: s/epoch", f"{name}: first epoch (s)"]
    rows = []
    for model in [m for m in settings.MODELS if any(m in r["models"] for r in backends.values())]:
        row = [model]
        for result in backends.values():
            entry = result["models"].get(model, {})
            row += [fmt(entry.get("median_epoch_s")), fmt(entry.get("first_epoch_s"))]
        rows.append(row)
    lines += table(headers, rows) + [""]
    for backend, result in (section or {}).get("backends", {}).items():
        if "error" in result:
            lines += [f"The {BACKEND_NAMES.get(backend, backend)} run failed: `{result['error']}`.", ""]
    return lines


def _metric_cells(values):
    return [fmt(values.get(key), decimals) if values else MISSING for key, _, decimals in METRICS]


def budget_lines(results):
    lines = ["## Quality per minute of training", ""]
    section = _section(results, "budget")
    if section is None:
        return lines + _error_lines(results, "budget")
    budgets = ", ".join(f"{b:g}" for b in section["budgets_s"])
    chapters = ", ".join(f"{n} for the {model}" for model, n in section["chapter_epochs"].items() if n)
    lines += [
        f"Each default model trains on {section['train_images']:,} images (TensorFlow, batch 128) and is "
        f"measured on the {section['test_images']:,} test images after {budgets} seconds of training, after "
        f"the epochs its chapter trains it for (full training, marked \"chapter\": {chapters}), and after "
        f"{epochs(section['full_epochs'])}, if training gets there before the last budget. The training "
        "clock includes the first epoch's compilation and stops while the model is measured. The Frechet "
        f"distance compares {section['fd_samples']:,} images decoded from N(0, I) draws with "
        f"{section['fd_samples']:,} test images; the autoencoder, which has no prior, is given N(0, I) "
        "codes all the same. Lower is better in every column.",
        "",
    ]
    headers = ["model", "trained for", "training (s)", "epochs"] + [title for _, title, _ in METRICS]
    rows = []
    for model in settings.MODELS:
        record = section["models"].get(model)
        if not record:
            continue
        chapter = section["chapter_epochs"].get(model)
        measured = [c for c in record["checkpoints"] + record["epoch_checkpoints"] if "skipped" not in c]
        for checkpoint in sorted(measured, key=lambda c: c["train_s"]):  # in the order training reached them
            label = checkpoint["label"]
            if checkpoint["budget_s"] is None and checkpoint["epochs"] == chapter:
                label += " (chapter)"
            rows.append(
                [model, label, fmt(checkpoint["train_s"], 1), fmt(checkpoint["epochs"], 1)]
                + _metric_cells(checkpoint["metrics"])
            )
    lines += table(headers, rows) + [""]
    lines += [
        f"The floor of the Frechet distance, {section['fd_samples']:,} training images against the same "
        f"test images, is {fmt(section['floor_frechet_distance'], 1)}: what a perfect generator would score.",
        "",
    ]
    for model, record in section["models"].items():
        for checkpoint in record["epoch_checkpoints"]:
            if "skipped" in checkpoint:
                lines += [f"The {model}: {checkpoint['skipped']}.", ""]
    return lines


def reference_lines(results):
    lines = ["## Against the keras.io VAE", ""]
    section = _section(results, "reference")
    if section is None:
        return lines + _error_lines(results, "reference")
    theirs, ours = section["reference"], section["ours"]
    lines += [
        "The reference is the architecture of the keras.io example \"Variational AutoEncoder\" "
        "(`benchmarks/reference_vae.py`, written from its description): two stride-2 convolutions, a "
        "dense layer of 16 units, a 2-D latent space, summed binary cross-entropy plus KL, Adam, batch 128. "
        f"Both models train for {section['budget_s']:g} s on the same cores; both are scored with "
        "`aelib.metrics.negative_elbo` on the test images (one posterior draw per image, the KL term exact).",
        "",
    ]
    headers = ["model", "network", "latent dim", "parameters", "epochs in the time", "negative ELBO (nats)",
               "Frechet distance"]
    rows = [
        [name, entry.get("network", MISSING), entry.get("latent_dim", MISSING), fmt(entry.get("params")),
         fmt(entry["epochs"], 1), fmt(entry["metrics"]["negative_elbo"], 1),
         fmt(entry["metrics"]["frechet_distance"], 1)]
        for name, entry in (("keras.io VAE architecture", theirs), ("aelib `VAE()`", ours))
    ]
    lines += table(headers, rows) + [""]
    lines += [
        f"Ratio of the negative ELBOs, ours / reference: **{section['ratio']:.3f}**. "
        f"Target: at most {section['target']:.2f}; {_verdict(section['ratio'], section['target'])}.",
        "",
    ]
    return lines


def overhead_lines(results):
    lines = ["## The cost of the abstractions", ""]
    section = _section(results, "overhead")
    if section is None:
        return lines + _error_lines(results, "overhead")
    aelib_name, plain_name = section["compared"]
    plain = section["variants"][plain_name]["median_epoch_s"]
    lines += [
        f"Seconds per epoch of {section['images']:,} images (batch {section['batch_size']}) for the default VAE "
        f"trained by `aelib` (`VAE.fit`) and by a plain TensorFlow loop (`benchmarks/plain_loop.py`: the same "
        "networks from `aelib.models.networks`, the same loss, Adam, a `tf.GradientTape` step in a "
        f"`tf.function`), fed by the same `tf.data` pipeline. The variants take turns, {section['rounds']} "
        "epochs each after a warm-up epoch; the table shows the medians. \"whole call\" adds what `fit` does "
        "before and after its epoch (checking the images, building the iterator).",
        "",
    ]
    rows = []
    for name, variant in section["variants"].items():
        rows.append([name, fmt(variant["median_epoch_s"], 3), fmt(variant.get("median_call_s"), 3),
                     fmt(variant["median_epoch_s"] / plain, 3)])
    lines += table(["training", "s/epoch", "whole call (s)", "ratio to the plain loop"], rows) + [""]
    xla = "on" if section.get("keras_jit_compile") else "off"
    lines += [
        f"Ratio {aelib_name} / {plain_name}: **{section['ratio']:.3f}**. Target: at most "
        f"{section['target']:.2f}; {_verdict(section['ratio'], section['target'])}. Keras left XLA {xla} for "
        "`fit` here (it turns XLA off on a machine without an accelerator), so the like-for-like plain loop "
        "is the one without XLA; the XLA loop is shown for information.",
        "",
    ]
    return lines


def execute_lines(results):
    lines = ["## Running the book", ""]
    execute = results.get("execute")
    if not execute or not execute.get("chapters"):
        return lines + ["No chapter timings yet: `make execute` runs every chapter with its full budget and "
                        "records them in `benchmarks/results/execute.json`.", ""]
    machine = execute.get("machine", "an unrecorded machine")
    lines += [f"Wall time of each chapter's full run (`make execute`), on {machine}.", ""]
    rows = [[c["notebook"], fmt(c["seconds"], 1), fmt(c.get("peak_memory_gib"), 2)]
            for c in sorted(execute["chapters"].values(), key=lambda c: c["notebook"])]
    total = execute.get("total_seconds", sum(c["seconds"] for c in execute["chapters"].values()))
    rows.append(["**total**", f"**{fmt(total, 1)}**", ""])
    lines += table(["chapter", "seconds", "peak memory (GiB)"], rows) + [""]
    lines += [f"Target: the whole book in at most {settings.BOOK_TARGET_S / 60:.0f} minutes; "
              f"{total / 60:.1f} min, {_verdict(total, settings.BOOK_TARGET_S)}.", ""]
    return lines


def optional_lines(results):
    """The extra sections (`--only weights`, `--only conv`), shown only once measured."""
    lines = []
    headers = [title for _, title, _ in METRICS]
    weights = _section(results, "weights")
    if weights:
        lines += ["## The WAE's mmd_weight", "",
                  f"Each model trains for {epochs(weights['epochs'])} on {weights['train_images']:,} images "
                  "(MLP networks, latent dimension 16) and is measured as above.", ""]
        rows = [[name, fmt(entry["train_s"], 1)] + _metric_cells(entry["metrics"])
                for name, entry in weights["models"].items()]
        lines += table(["model", "training (s)"] + headers, rows) + [""]
    conv = _section(results, "conv")
    if conv:
        lines += ["## Conv against MLP networks at equal time", "",
                  f"The VAE with each network, after {conv['budget_s']:g} s of training.", ""]
        rows = [[f"VAE, {network}", fmt(conv[network]["epochs"], 1)] + _metric_cells(conv[network]["metrics"])
                for network in ("mlp", "conv")]
        lines += table(["model", "epochs"] + headers, rows) + [""]
    return lines


def why_defaults(results):
    """The reasons for the defaults, as markdown bullets, each computed from the measurements."""
    bullets = []
    defaults, conv = _section(results, "defaults"), _section(results, "conv")
    if defaults:
        mlp, cnn = defaults["network"]["mlp"]["per_60000_s"], defaults["network"]["conv"]["per_60000_s"]
        ratio = cnn / mlp
        text = (
            f"**Network: MLP.** An epoch of the VAE on 60,000 images takes {mlp:.1f} s with the MLP networks and "
            f"{cnn:.1f} s with the conv networks (timed on {defaults['images']:,} images), {ratio:.1f} times as "
            f"long. A chapter's {settings.CHAPTER_BUDGET_S / 60:.0f}-minute budget buys about "
            f"{settings.CHAPTER_BUDGET_S / mlp:.0f} epochs of the MLP or {settings.CHAPTER_BUDGET_S / cnn:.1f} of the "
            "conv network."
        )
        if conv:
            c, m = conv["conv"]["metrics"], conv["mlp"]["metrics"]
            text += (
                f" After {conv['budget_s']:g} s of training each, the conv VAE's negative ELBO is "
                f"{c['negative_elbo']:.1f} and its Frechet distance {c['frechet_distance']:.1f}; the MLP VAE's are "
                f"{m['negative_elbo']:.1f} and {m['frechet_distance']:.1f}."
            )
            if c["negative_elbo"] < m["negative_elbo"] and c["frechet_distance"] < m["frechet_distance"]:
                text += " The conv VAE is better in the same time here: the default should be reconsidered."
            else:
                text += " In the same time the MLP does at least as well on one of the two, so it stays the default."
        elif ratio > 1:
            text += (" The MLP stays the default because a reader's minutes buy "
                     f"{ratio:.1f} times as many epochs (`--only conv` compares the quality at equal time).")
        else:
            text += " The conv network is not slower here: the default should be reconsidered."
        bullets.append(text)
        per_batch = ", ".join(f"{v['per_60000_s']:.1f} s at {b}" for b, v in defaults["batch_size"].items())
        bullets.append(
            f"**Batch size {defaults['default_batch_size']}.** An epoch of 60,000 images takes {per_batch}. "
            "A larger batch makes an epoch cheaper but takes fewer optimizer steps in it; the harness times the "
            "sizes but does not compare their quality, so the batch stays at 128, the keras.io examples' size."
        )
    else:
        bullets.append("**Network and batch size:** not measured in this run (`--only defaults`).")

    budget = _section(results, "budget")
    if budget:
        bullets.append(_epochs_bullet(budget))

    weights = _section(results, "weights")
    if weights:
        wae = {k: v for k, v in weights["models"].items() if k.startswith("WAE")}
        best = min(wae, key=lambda k: wae[k]["metrics"]["frechet_distance"])
        listing = "; ".join(
            f"{name}: reconstruction {v['metrics']['reconstruction_error']:.1f}, latent MMD "
            f"{v['metrics']['latent_mmd']:.4f}, Frechet distance {v['metrics']['frechet_distance']:.1f}"
            for name, v in weights["models"].items()
        )
        verdict = (
            "which is the default." if best.endswith("=100") else "not the default, 100: it should be reconsidered."
        )
        bullets.append(
            f"**mmd_weight 100 (WAE).** After {epochs(weights['epochs'])} each: {listing}. Among the WAEs the lowest "
            f"Frechet distance of samples, the measure that the weight trades reconstruction for, is at {best}, "
            + verdict
        )
    else:
        bullets.append(
            "**mmd_weight 100 (WAE):** not re-measured in this run; `benchmarks/run.py --only weights` trains the "
            "WAE with 10, 100 and 1000 and the VAE, 5 epochs each on all images (about 4 minutes)."
        )
    bullets.append(
        "**Learning rate 1e-3.** Adam's default in Keras and the keras.io examples' choice; the harness does not "
        "vary it."
    )
    return bullets


MAIN_METRIC = {"Autoencoder": "reconstruction_error", "VAE": "negative_elbo", "WAE": "frechet_distance"}


def _epochs_bullet(budget):
    """Why the chapters train for as many epochs as they do, from the budget section."""
    chapter_epochs = {model: n for model, n in budget["chapter_epochs"].items() if n}
    listing = ", ".join(f"the {model} for {epochs(n)}" for model, n in chapter_epochs.items())
    text = f"**Epochs.** The chapters train {listing}."
    at_chapter, gains = {}, []
    for model, n in chapter_epochs.items():
        record = budget["models"].get(model)
        if not record:
            continue
        reached = [c for c in record["epoch_checkpoints"] if "skipped" not in c and c["epochs"] == n]
        if not reached or not record["checkpoints"]:
            continue
        at_chapter[model] = reached[0]
        last = record["checkpoints"][-1]
        key = MAIN_METRIC[model]
        before, after = reached[0]["metrics"][key], last["metrics"][key]
        gains.append(
            f"the {model}'s {NAMES[key]} from {before:.1f} to {after:.1f} ({100 * (before - after) / before:+.1f}%)"
        )
    if not at_chapter:
        return text + " Those epochs did not finish within the budgets measured here."
    seconds = max(c["train_s"] for c in at_chapter.values())
    share = seconds / settings.CHAPTER_BUDGET_S
    text += (
        " Here that takes at most " + f"{seconds:.0f} s of training, {100 * share:.0f}% of a chapter's "
        f"{settings.CHAPTER_BUDGET_S / 60:.0f}-minute budget"
        + (", which leaves room for its other models and figures." if share <= 0.5
           else ": too much of it for a chapter that also trains other models.")
    )
    if gains:
        text += f" Training on to {budget['budgets_s'][-1]:g} s would take " + "; ".join(gains) + "."
    full = [c for r in budget["models"].values() for c in r["epoch_checkpoints"]
            if "skipped" not in c and c["epochs"] == budget["full_epochs"]]
    if full:
        text += (f" {epochs(budget['full_epochs'])} take about "
                 f"{statistics.median(c['train_s'] for c in full):.0f} s.")
    return text


def markdown(results):
    """The whole results.md: a banner for a smoke run, then one section a measurement."""
    lines = []
    if results.get("smoke"):
        lines += [
            "> **SMOKE RUN.** These numbers come from `benchmarks/run.py --smoke`: a few seconds of training on a "
            "few thousand images, to check that the harness works. They say nothing about the models or the "
            "machine. Run `make bench` on an idle machine for real results.",
            "",
        ]
    machine = results.get("machine", {})
    load = machine.get("load_average")
    lines += [
        f"Measured on {machine_line(machine)}, {machine.get('date', 'date unknown')}"
        + (f", with a load average of {load[0]} when the run began." if load else "."),
        "",
    ]
    dates = sorted({s["date"] for s in results.get("sections", {}).values() if s.get("date")})
    if len(dates) > 1:
        lines += [f"The sections come from {len(dates)} runs, from {dates[0]} to {dates[-1]}; `bench.json` "
                  "gives each section its date and machine.", ""]
    lines += speed_lines(results)
    lines += budget_lines(results)
    lines += reference_lines(results)
    lines += overhead_lines(results)
    lines += execute_lines(results)
    lines += optional_lines(results)
    lines += ["## Why the defaults are what they are", ""]
    lines += [f"- {bullet}" for bullet in why_defaults(results)] + [""]
    return "\n".join(lines)


# -- CSV and files --------------------------------------------------------------

CSV_FIELDS = ("section", "backend", "model", "setting", "metric", "value", "unit")


def csv_rows(results):
    """One dict a measurement, with the fields of CSV_FIELDS."""
    rows = []

    def add(section, model, setting, metric, value, unit, backend="tensorflow"):
        if value is not None:
            rows.append(dict(zip(CSV_FIELDS, (section, backend, model, setting, metric, value, unit))))

    sections = results.get("sections", {})
    for backend, result in sections.get("speed", {}).get("backends", {}).items():
        for model, entry in result.get("models", {}).items():
            setting = f"{result['images']} images, batch {result['batch_size']}"
            add("speed", model, setting, "seconds_per_epoch", entry["median_epoch_s"], "s", backend)
            add("speed", model, setting, "first_epoch_seconds", entry["first_epoch_s"], "s", backend)
    budget = _section(results, "budget")
    if budget:
        add("budget", "training images", "5000 vs 5000", "frechet_distance_floor", budget["floor_frechet_distance"], "")
        for model, record in budget["models"].items():
            for checkpoint in record["checkpoints"] + record["epoch_checkpoints"]:
                if "skipped" in checkpoint:
                    continue
                add("budget", model, checkpoint["label"], "training_seconds", checkpoint["train_s"], "s")
                add("budget", model, checkpoint["label"], "epochs", checkpoint["epochs"], "epochs")
                for key, value in checkpoint["metrics"].items():
                    add("budget", model, checkpoint["label"], key, value, UNITS.get(key, ""))
    reference = _section(results, "reference")
    if reference:
        for name, key in (("keras.io VAE architecture", "reference"), ("VAE", "ours")):
            for metric, value in reference[key]["metrics"].items():
                add("reference", name, f"{reference['budget_s']:g} s", metric, value, UNITS.get(metric, ""))
        add("reference", "VAE / keras.io VAE", f"{reference['budget_s']:g} s", "negative_elbo_ratio",
            reference["ratio"], "")
    overhead = _section(results, "overhead")
    if overhead:
        for name, variant in overhead["variants"].items():
            add("overhead", name, f"{overhead['images']} images", "seconds_per_epoch", variant["median_epoch_s"], "s")
        add("overhead", "VAE.fit / plain loop", f"{overhead['images']} images", "ratio", overhead["ratio"], "")
    defaults = _section(results, "defaults")
    if defaults:
        for network, entry in defaults["network"].items():
            add("defaults", f"VAE {network}", "per 60000 images", "seconds_per_epoch", entry["per_60000_s"], "s")
        for batch, entry in defaults["batch_size"].items():
            add("defaults", "VAE mlp", f"batch {batch}, per 60000 images", "seconds_per_epoch",
                entry["per_60000_s"], "s")
    for name in ("weights",):
        section = _section(results, name)
        if section:
            for model, entry in section["models"].items():
                for metric, value in entry["metrics"].items():
                    add(name, model, f"{section['epochs']} epochs", metric, value, UNITS.get(metric, ""))
    conv = _section(results, "conv")
    if conv:
        for network in ("conv", "mlp"):
            for metric, value in conv[network]["metrics"].items():
                add("conv", f"VAE {network}", f"{conv['budget_s']:g} s", metric, value, UNITS.get(metric, ""))
    execute = results.get("execute") or {}
    for chapter in (execute.get("chapters") or {}).values():
        add("execute", chapter["notebook"], "full budget", "seconds", chapter["seconds"], "s")
    return rows


def failures(results, only=None):
    """`section: error` for each section that failed (among `only`, if given)."""
    found = []
    for name, section in results.get("sections", {}).items():
        if only is not None and name not in only:
            continue
        if name == "speed":
            found += [f"speed ({b}): {r['error']}" for b, r in section.get("backends", {}).items() if "error" in r]
        elif "error" in section:
            found.append(f"{name}: {section['error']}")
    return found


def write(results, folder):
    """Writes bench.json, bench.csv and results.md into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    with open(folder / "bench.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(csv_rows(results))
    (folder / "results.md").write_text(markdown(results))
