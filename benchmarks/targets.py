"""The figures the speed targets are judged on, from the results dict that run.py assembles.

Pure Python, no Keras, like report.py, which writes them out.
"""

from benchmarks import roofline, settings

BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX"}
# The test figure that must not change with the backend or the setting.
MAIN_METRIC = {
    "Autoencoder": "reconstruction_error",
    "VAE": "negative_elbo",
    "WAE": "reconstruction_error",
}


def backends(results, name):
    """`{backend: result}` of a per-backend section, failed backends left out."""
    section = results.get("sections", {}).get(name) or {}
    return {b: r for b, r in section.get("backends", {}).items() if "error" not in r}


def machine_roofline(results):
    """`(GFLOP/s, backend)`: the fastest matmul measured in this run, the bar every backend is held to."""
    found = [(r["gflops"], b) for b, r in backends(results, "roofline").items()]
    return max(found) if found else (None, None)


def speed_rows(results):
    """One dict per (model, backend, setting) timed: its entry, and its share of the roofline."""
    gflops, _ = machine_roofline(results)
    rows = []
    for model in settings.MODELS:
        for backend, result in backends(results, "speed").items():
            for label, setting in result["settings"].items():
                entry = setting["models"].get(model)
                if entry is None:
                    continue
                fraction = None
                if gflops:
                    fraction = roofline.fraction_of_roofline(
                        entry["epoch_gflop"] * 1e9, entry["median_epoch_s"], gflops
                    )
                rows.append(
                    {
                        "model": model,
                        "backend": backend,
                        "setting": label,
                        "entry": entry,
                        "aelib_default": setting["aelib_default"],
                        "fraction": fraction,
                    }
                )
    return rows


def targets(results):
    """Per model: the default backend's default time against the fastest, and against the roofline.

    Returns:
        `{model: {"default_s", "fastest_s", "fastest", "backend_ratio", "roofline_ratio", "quality_spread"}}`,
        for the models timed with aelib's defaults on the default backend.
    """
    rows = speed_rows(results)
    found = {}
    for model in settings.MODELS:
        mine = [r for r in rows if r["model"] == model]
        default = [
            r for r in mine if r["backend"] == settings.DEFAULT_BACKEND and r["aelib_default"]
        ]
        if not default:
            continue
        default = default[0]
        fastest = min(mine, key=lambda r: r["entry"]["median_epoch_s"])
        figures = [r["entry"]["quality"][MAIN_METRIC[model]] for r in mine]
        found[model] = {
            "default_s": default["entry"]["median_epoch_s"],
            "fastest_s": fastest["entry"]["median_epoch_s"],
            "fastest": f"{BACKEND_NAMES.get(fastest['backend'], fastest['backend'])}, {fastest['setting']}",
            "backend_ratio": default["entry"]["median_epoch_s"]
            / fastest["entry"]["median_epoch_s"],
            "roofline_ratio": 1 / default["fraction"] if default["fraction"] else None,
            "quality_spread": (max(figures) - min(figures)) / min(figures),
        }
    return found
