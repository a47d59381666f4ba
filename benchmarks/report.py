"""Writing the results: bench.json, bench.csv (one row a measurement) and results.md.

Pure Python, no Keras: everything here reads the results dict that run.py
assembles, so it can be tested with a small fake one.
"""

import csv
import json

from benchmarks import settings, targets

METRICS = (  # key, column title, decimals
    ("reconstruction_error", "reconstruction error (nats)", 1),
    ("negative_elbo", "negative ELBO (nats)", 1),
    ("latent_mmd", "latent MMD", 4),
    ("frechet_distance", "Fréchet distance", 1),
)
UNITS = {"reconstruction_error": "nats", "negative_elbo": "nats"}
MISSING = "–"


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
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def machine_line(machine):
    """One line describing the machine: CPU, cores, memory and the versions."""
    parts = [
        machine.get("cpu") or "unknown CPU",
        f"{machine.get('usable_cores') or machine.get('cores')} cores",
    ]
    if machine.get("memory_gib"):
        parts.append(f"{machine['memory_gib']} GiB memory")
    parts.append(f"Python {machine.get('python')}")
    parts += [
        f"{name} {machine[key]}"
        for key, name in (("tensorflow", "TensorFlow"), ("keras", "Keras"), ("jax", "JAX"))
        if machine.get(key)
    ]
    return ", ".join(parts)


def verdict(value, target):
    """`**met**` when `value <= target`, else by how much it is missed."""
    return "**met**" if value <= target else f"**missed** by {100 * (value / target - 1):.1f}%"


def _section(results, name):
    """The section's dict, or None if it was not measured or failed."""
    section = results.get("sections", {}).get(name)
    return None if not section or "error" in section else section


def _not_there(results, name):
    section = results.get("sections", {}).get(name)
    if section and "error" in section:
        return [f"This section failed: `{section['error']}`.", ""]
    return [f"Not measured yet: `benchmarks/run.py --only {name}`.", ""]


# -- the speed against the roofline ---------------------------------------------


def speed_lines(results):
    lines = ["## Speed against the roofline", ""]
    gflops, best = targets.machine_roofline(results)
    rooflines = targets.backends(results, "roofline")
    if rooflines:
        size = next(iter(rooflines.values()))["size"]
        each = ", ".join(
            f"{targets.BACKEND_NAMES.get(b, b)} {r['gflops']:.1f}" for b, r in rooflines.items()
        )
        lines += [
            f"The roofline is the machine's matmul throughput: one {size}×{size} float32 product with "
            f"`keras.ops.matmul`, the call the models' dense layers make, on each backend in its own process "
            f"(the fastest of {next(iter(rooflines.values()))['repeats']}, as other work on the machine can only "
            f"slow a product down): {each} GFLOP/s. Every backend is held to the faster, **{gflops:.1f} GFLOP/s**.",
            "",
        ]
    else:
        lines += _not_there(results, "roofline")
    rows = targets.speed_rows(results)
    if not rows:
        return lines + _not_there(results, "speed")
    first = next(iter(targets.backends(results, "speed").values()))
    flops = {r["model"]: r["entry"]["epoch_gflop"] for r in rows}
    lines += [
        f"Each default model trains for {first['epochs']} epochs on {first['images']:,} images in batches of "
        f"{first['batch_size']}, from the same seed, once per backend and compile setting; the first epoch "
        "compiles and is shown apart, the median of the others is the speed. An epoch's work is counted from "
        "the dense layers' shapes, forward and backward (3 times the forward matmuls): "
        + ", ".join(f"{fmt(g, 0)} GFLOP for the {m}" for m, g in flops.items())
        + ". The test figures are taken on "
        f"{first['test_images']:,} test images after the last epoch: a setting that is fast because it computes "
        'something else shows it there. "aelib" marks what `fit` uses when the reader compiles nothing; the load '
        "average, read after each row, shows how busy the machine was (about 2 is this run alone on 2 cores).",
        "",
    ]
    headers = [
        "model",
        "backend",
        "compile setting",
        "s/epoch",
        "first epoch (s)",
        "GFLOP/s",
        "of the roofline",
        "reconstruction error (nats)",
        "negative ELBO (nats)",
        "load average",
    ]
    body = []
    for r in rows:
        entry = r["entry"]
        body.append(
            [
                r["model"],
                targets.BACKEND_NAMES.get(r["backend"], r["backend"]),
                r["setting"] + (" (aelib)" if r["aelib_default"] else ""),
                fmt(entry["median_epoch_s"]),
                fmt(entry["first_epoch_s"], 1),
                fmt(entry["epoch_gflop"] / entry["median_epoch_s"], 1),
                f"{100 * r['fraction']:.0f}%" if r["fraction"] else MISSING,
                fmt(entry["quality"].get("reconstruction_error"), 1),
                fmt(entry["quality"].get("negative_elbo"), 1),
                fmt(entry.get("load_average")),
            ]
        )
    lines += table(headers, body) + [""]
    found = targets.targets(results)
    if found:
        name = targets.BACKEND_NAMES[settings.DEFAULT_BACKEND]
        lines += [
            f"Targets for {name} with aelib's settings, the default a reader gets: at most "
            f"{settings.BACKEND_TARGET:g} times the fastest row's time, at most {settings.ROOFLINE_TARGET:g} "
            "times the roofline's time, and the same test figures everywhere (spread of the main figure "
            f"across rows at most {100 * settings.QUALITY_TOLERANCE:g}%).",
            "",
        ]
        body = [
            [
                m,
                fmt(t["default_s"]),
                f"{fmt(t['fastest_s'])} ({t['fastest']})",
                f"{t['backend_ratio']:.2f}, {verdict(t['backend_ratio'], settings.BACKEND_TARGET)}",
                f"{t['roofline_ratio']:.2f}, {verdict(t['roofline_ratio'], settings.ROOFLINE_TARGET)}"
                if t["roofline_ratio"]
                else MISSING,
                f"{100 * t['quality_spread']:.1f}%, {verdict(t['quality_spread'], settings.QUALITY_TOLERANCE)}",
            ]
            for m, t in found.items()
        ]
        lines += table(
            [
                "model",
                f"{name} s/epoch",
                "fastest s/epoch",
                "ratio",
                "ratio to the roofline",
                "spread of the test figure",
            ],
            body,
        ) + [""]
    for backend, result in (
        (results.get("sections", {}).get("speed") or {}).get("backends", {}).items()
    ):
        if "error" in result:
            lines += [
                f"The {targets.BACKEND_NAMES.get(backend, backend)} run failed: `{result['error']}`.",
                "",
            ]
    return lines


# -- quality per minute, the reference, the book ----------------------------------


def _metric_cells(values):
    return [fmt(values.get(key), decimals) if values else MISSING for key, _, decimals in METRICS]


def budget_lines(results):
    lines = ["## Quality per minute of training", ""]
    section = _section(results, "budget")
    if section is None:
        return lines + _not_there(results, "budget")
    budgets = " and ".join(", ".join(f"{b:g}" for b in section["budgets_s"]).rsplit(", ", 1))
    lines += [
        f"Each default model trains on {section['train_images']:,} images ({targets.BACKEND_NAMES[settings.DEFAULT_BACKEND]}, "
        f"aelib's settings) and is measured on the {section['test_images']:,} test images after {budgets} seconds of "
        'training and after the epochs its chapter trains it for (marked "chapter"). The training clock includes '
        f"the first epoch's compilation and stops while the model is measured. The Fréchet distance compares "
        f"{section['fd_samples']:,} images decoded from N(0, I) draws with {section['fd_samples']:,} test images; the "
        "autoencoder, which has no prior, is given N(0, I) codes all the same. Lower is better in every column.",
        "",
    ]
    rows = []
    for model, record in section["models"].items():
        measured = [
            c for c in record["checkpoints"] + record["epoch_checkpoints"] if "skipped" not in c
        ]
        for c in sorted(measured, key=lambda c: c["train_s"]):  # in the order training reached them
            label = c["label"] + (" (chapter)" if c["budget_s"] is None else "")
            rows.append(
                [model, label, fmt(c["train_s"], 1), fmt(c["epochs"], 1)]
                + _metric_cells(c["metrics"])
            )
    headers = ["model", "trained for", "training (s)", "epochs"] + [
        title for _, title, _ in METRICS
    ]
    lines += table(headers, rows) + [""]
    lines += [
        f"The floor of the Fréchet distance, {section['fd_samples']:,} training images against the same test "
        f"images, is {fmt(section['floor_frechet_distance'], 1)}: what a perfect generator would score.",
        "",
    ]
    for model, record in section["models"].items():
        for c in record["epoch_checkpoints"]:
            lines += [f"The {model}: {c['skipped']}.", ""] if "skipped" in c else []
    return lines


def reference_lines(results):
    lines = ["## Against the keras.io VAE", ""]
    section = _section(results, "reference")
    if section is None:
        return lines + _not_there(results, "reference")
    theirs, ours = section["reference"], section["ours"]
    lines += [
        'The keras.io example "Variational AutoEncoder" is what a reader finds first. Its architecture '
        "(`benchmarks/reference_vae.py`, rebuilt from its description): two stride-2 convolutions, a dense layer "
        "of 16 units, a 2-D latent space, summed binary cross-entropy plus KL, Adam, batch 128. It and our "
        f"`VAE()` each train for {section['budget_s']:g} s on the same cores and are scored with "
        "`aelib.metrics.negative_elbo` on the test images.",
        "",
        "This compares two recipes a reader could pick for the same CPU time, not two architectures: a 2-D conv "
        "VAE against a 16-D MLP VAE differ in the latent size, the network and the epochs that fit in the time, "
        "all at once, and the latent size alone moves the ELBO. The gap says which recipe to start from, not that "
        "dense layers beat convolutions.",
        "",
    ]
    headers = [
        "model",
        "network",
        "latent dim",
        "parameters",
        "epochs in the time",
        "negative ELBO (nats)",
        "Fréchet distance",
    ]
    rows = [
        [
            name,
            entry.get("network", MISSING),
            entry.get("latent_dim", MISSING),
            fmt(entry.get("params")),
            fmt(entry["epochs"], 1),
            fmt(entry["metrics"]["negative_elbo"], 1),
            fmt(entry["metrics"]["frechet_distance"], 1),
        ]
        for name, entry in (("keras.io VAE recipe", theirs), ("aelib `VAE()`", ours))
    ]
    lines += table(headers, rows) + [""]
    lines += [
        f"Ratio of the negative ELBOs, ours / reference: **{section['ratio']:.3f}**. Target: at most "
        f"{section['target']:.2f}; {verdict(section['ratio'], section['target'])}.",
        "",
    ]
    return lines


def execute_lines(results):
    lines = ["## Running the book", ""]
    execute = results.get("execute")
    if not execute or not execute.get("chapters"):
        return lines + [
            "No chapter timings yet: `make execute` runs every chapter with its full budget and "
            "records them in `benchmarks/results/execute.json`.",
            "",
        ]
    lines += [
        f"Wall time of each chapter's full run (`make execute`), on {execute.get('machine', 'an unrecorded machine')}.",
        "",
    ]
    rows = [
        [c["notebook"], fmt(c["seconds"], 1), fmt(c.get("peak_memory_gib"), 2)]
        for c in sorted(execute["chapters"].values(), key=lambda c: c["notebook"])
    ]
    total = execute.get("total_seconds", sum(c["seconds"] for c in execute["chapters"].values()))
    rows.append(["**total**", f"**{fmt(total, 1)}**", ""])
    lines += table(["chapter", "seconds", "peak memory (GiB)"], rows) + [""]
    return lines + [
        f"Target: the whole book in at most {settings.BOOK_TARGET_S / 60:.0f} minutes; "
        f"{total / 60:.1f} min, {verdict(total, settings.BOOK_TARGET_S)}.",
        "",
    ]


def markdown(results):
    """The whole results.md: a banner for a smoke run, then one section a measurement."""
    lines = []
    if results.get("smoke"):
        lines += [
            "> **SMOKE RUN.** These numbers come from `benchmarks/run.py --smoke`: a few seconds of training "
            "on a few thousand images, to check that the harness works. They say nothing about the models or "
            "the machine. Run `make bench` on an idle machine for real results.",
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
        lines += [
            f"The sections come from {len(dates)} runs, from {dates[0]} to {dates[-1]}; `bench.json` gives "
            "each section its date, machine and load average.",
            "",
        ]
    for part in (speed_lines, budget_lines, reference_lines, execute_lines):
        lines += part(results)
    return "\n".join(lines)


# -- CSV and files --------------------------------------------------------------

CSV_FIELDS = ("section", "backend", "model", "setting", "metric", "value", "unit")


def csv_rows(results):
    """One dict a measurement, with the fields of CSV_FIELDS."""
    rows = []

    def add(section, model, setting, metric, value, unit="", backend=settings.DEFAULT_BACKEND):
        if value is not None:
            rows.append(
                dict(zip(CSV_FIELDS, (section, backend, model, setting, metric, value, unit)))
            )

    for backend, result in targets.backends(results, "roofline").items():
        add(
            "roofline",
            "matmul",
            f"{result['size']}x{result['size']} float32",
            "throughput",
            result["gflops"],
            "GFLOP/s",
            backend,
        )
    for r in targets.speed_rows(results):
        entry, args = r["entry"], ("speed", r["model"], r["setting"])
        add(*args, "seconds_per_epoch", entry["median_epoch_s"], "s", r["backend"])
        add(*args, "first_epoch_seconds", entry["first_epoch_s"], "s", r["backend"])
        add(*args, "epoch_flops", entry["epoch_gflop"], "GFLOP", r["backend"])
        add(
            *args,
            "fraction_of_roofline",
            r["fraction"] and round(r["fraction"], 4),
            "",
            r["backend"],
        )
        for key, value in entry["quality"].items():
            add(*args, key, value, UNITS.get(key, ""), r["backend"])
    budget = _section(results, "budget")
    for model, record in (budget or {}).get("models", {}).items():
        for c in record["checkpoints"] + record["epoch_checkpoints"]:
            if "skipped" not in c:
                add("budget", model, c["label"], "training_seconds", c["train_s"], "s")
                for key, value in c["metrics"].items():
                    add("budget", model, c["label"], key, value, UNITS.get(key, ""))
    reference = _section(results, "reference")
    if reference:
        for name, key in (("keras.io VAE recipe", "reference"), ("VAE", "ours")):
            for metric, value in reference[key]["metrics"].items():
                add(
                    "reference",
                    name,
                    f"{reference['budget_s']:g} s",
                    metric,
                    value,
                    UNITS.get(metric, ""),
                )
        add(
            "reference",
            "VAE / keras.io VAE",
            f"{reference['budget_s']:g} s",
            "negative_elbo_ratio",
            reference["ratio"],
        )
    for chapter in ((results.get("execute") or {}).get("chapters") or {}).values():
        add("execute", chapter["notebook"], "full budget", "seconds", chapter["seconds"], "s")
    return rows


def failures(results, only=None):
    """`section: error` for each section that failed (among `only`, if given)."""
    found = []
    for name, section in results.get("sections", {}).items():
        if only is not None and name not in only:
            continue
        if name in settings.PER_BACKEND:
            found += [
                f"{name} ({b}): {r['error']}"
                for b, r in section.get("backends", {}).items()
                if "error" in r
            ]
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
