"""The benchmark harness: the roofline, speed per backend, and quality per minute of compute.

    .venv/bin/python benchmarks/run.py                          # the full run (make bench), about 12 min
    .venv/bin/python benchmarks/run.py --only roofline,speed    # the backends' speed alone, about 4 min
    .venv/bin/python benchmarks/run.py --smoke                  # tiny budgets: checks the harness in minutes

Sections (benchmarks/README.md says what each measures): roofline, speed,
budget, reference.

Keras fixes its backend when it is imported, so the measurements run in worker
processes, one per backend, started one after another (never side by side,
which would spoil the timings). This process imports no backend: it plans,
starts the workers, merges what they return into the saved results, and
writes bench.json, bench.csv and results.md.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import report, settings  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SMOKE_RESULTS = RESULTS / "smoke"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny budgets on a subset of the images; writes to results/smoke/",
    )
    parser.add_argument(
        "--only",
        default=",".join(settings.SECTIONS),
        help=f"comma-separated sections, from {', '.join(settings.SECTIONS)} (default: %(default)s)",
    )
    parser.add_argument(
        "--backend",
        default=",".join(settings.BACKENDS),
        help="backends for the roofline and speed sections (default: %(default)s); the others run on tensorflow",
    )
    parser.add_argument(
        "--output",
        type=pathlib.Path,
        help="folder for the results (default: benchmarks/results/, or results/smoke/ with --smoke)",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        help="measure nothing: rewrite bench.csv and results.md from the saved bench.json "
        "(and the latest execute.json)",
    )
    parser.add_argument(
        "--worker", help=argparse.SUPPRESS
    )  # internal: run sections in this process
    parser.add_argument("--result-file", type=pathlib.Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sections = _choose(args.only, settings.SECTIONS, "--only")
    args.backends = _choose(args.backend, settings.BACKENDS, "--backend")
    return args


def _choose(text, allowed, flag):
    chosen = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in chosen if item not in allowed]
    if unknown or not chosen:
        raise SystemExit(
            f"{flag}: expected a comma-separated list from {', '.join(allowed)}. Received: {text!r}"
        )
    return [item for item in allowed if item in chosen]  # in the order a run measures them


# -- the worker ---------------------------------------------------------------


def worker(args):
    """Runs the sections in this process, whose KERAS_BACKEND the parent set, saving after each."""
    if os.environ.get("KERAS_BACKEND") == "tensorflow":
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")  # retracing notices from the metrics' predict calls
    from benchmarks import measure

    config = settings.SMOKE if args.smoke else settings.FULL
    done = {}

    def save(name, result):
        done[name] = result
        args.result_file.write_text(json.dumps(done))

    measure.run_sections(args.sections, config, save)
    measure.log("worker done")
    sys.stdout.flush()
    sys.stderr.flush()
    # The results are saved; skip the interpreter's teardown, which for a process
    # that has run TensorFlow can take longer than a smoke run's measurements.
    os._exit(0)


# -- the parent ---------------------------------------------------------------


def describe_machine():
    """CPU model, cores, memory, and the versions that decide the speed."""
    from importlib import metadata

    cpu = platform.processor() or platform.machine()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass

    def version(package):
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": memory_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": version("tensorflow") or version("tensorflow-cpu"),
        "keras": version("keras"),
        "jax": version("jax"),
        "numpy": version("numpy"),
        "aelib": version("aelib"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def run_worker(backend, sections, args):
    """Starts one worker process and returns its sections' results."""
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("AELIB_FAST", None)
    with tempfile.TemporaryDirectory() as folder:
        result_file = pathlib.Path(folder) / "result.json"
        command = [
            sys.executable,
            str(pathlib.Path(__file__).resolve()),
            "--worker",
            backend,
            "--only",
            ",".join(sections),
            "--result-file",
            str(result_file),
        ]
        if args.smoke:
            command.append("--smoke")
        returncode = subprocess.run(command, env=env, cwd=ROOT).returncode
        results = json.loads(result_file.read_text()) if result_file.exists() else {}
    for name in sections:
        if name not in results:
            results[name] = {
                "error": f"the {backend} worker exited with code {returncode} before it finished"
            }
    return results


def merge(previous, new_sections, machine, smoke):
    """Puts this run's sections into the saved results; sections not measured now are kept.

    The roofline and speed sections are kept per backend, so
    `--only roofline,speed --backend jax` replaces the JAX numbers alone.
    """
    results = previous if previous.get("smoke") == smoke else {}
    # Sections this harness no longer measures are dropped, not carried along unexplained.
    results["sections"] = {
        k: v for k, v in results.get("sections", {}).items() if k in settings.SECTIONS
    }
    results["smoke"] = smoke
    results["machine"] = machine
    for name, result in new_sections.items():
        result = dict(result, machine=report.machine_line(machine), date=machine["date"])
        if name in settings.PER_BACKEND:
            backends = results["sections"].get(name, {}).get("backends", {})
            backends.update(result.pop("backends"))
            result["backends"] = backends
        results["sections"][name] = result
    return results


def read_execute():
    """The chapters' full-run times that `make execute` saved, or None."""
    execute = RESULTS / "execute.json"
    return json.loads(execute.read_text()) if execute.exists() else None


def rewrite_report(output):
    bench_json = output / "bench.json"
    if not bench_json.exists():
        raise SystemExit(f"No saved results in {bench_json}; run the benchmarks first.")
    results = json.loads(bench_json.read_text())
    results["execute"] = read_execute()
    report.write(results, output)
    print(
        f"Rewrote {bench_json}, {output / 'bench.csv'} and {output / 'results.md'} from the saved results."
    )
    return 0


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker(args)

    config = settings.SMOKE if args.smoke else settings.FULL
    output = args.output or (SMOKE_RESULTS if args.smoke else RESULTS)
    if args.report:
        return rewrite_report(output)
    plan = settings.workers(args.sections, args.backends)
    estimate = settings.estimate_seconds(config, args.sections, args.backends)
    machine = describe_machine()
    print(
        f"Benchmarks{' (SMOKE: tiny budgets, numbers meaningless)' if args.smoke else ''}: "
        f"{', '.join(args.sections)}; writing to {output}"
    )
    print(f"Machine: {report.machine_line(machine)}; load average {machine['load_average'][0]}")
    unread = [model for model, n in config.chapter_epochs.items() if n is None]
    if unread and "budget" in args.sections:
        print(
            f"WARNING: no `EPOCHS = aelib.budget(full=...)` found in the chapters of {', '.join(unread)}; "
            "they are measured at the budgets only."
        )
    if args.smoke:
        print("Time estimate: a smoke run takes a few minutes, mostly start-up and compilation.")
    else:
        print(
            f"Time estimate on an idle 2-core machine: about {sum(estimate.values()) / 60:.0f} min ("
            + ", ".join(f"{name} {seconds / 60:.1f}" for name, seconds in estimate.items())
            + " min)"
        )
    if machine["load_average"][0] > 0.5 * (machine["usable_cores"] or 1) and not args.smoke:
        print(
            f"WARNING: the machine is busy (load average {machine['load_average'][0]}); "
            "timings taken now will not describe it."
        )
    sys.stdout.flush()

    start = time.perf_counter()
    measured = {}
    for backend, sections in plan:
        results = run_worker(backend, sections, args)
        for name in settings.PER_BACKEND:  # kept per backend
            if name in results:
                measured.setdefault(name, {"backends": {}})["backends"][backend] = results.pop(name)
        measured.update(results)
    wall = time.perf_counter() - start

    output.mkdir(parents=True, exist_ok=True)
    bench_json = output / "bench.json"
    previous = json.loads(bench_json.read_text()) if bench_json.exists() else {}
    results = merge(previous, measured, machine, args.smoke)
    results["last_run"] = {
        "sections": args.sections,
        "backends": args.backends,
        "wall_s": round(wall, 1),
        "estimate_s": round(sum(estimate.values()), 1),
    }
    results["execute"] = read_execute()
    report.write(results, output)

    failed = report.failures(results, only=measured)
    print(
        f"Done in {wall / 60:.1f} min. Wrote {bench_json}, {output / 'bench.csv'}, {output / 'results.md'}."
    )
    for line in failed:
        print(f"FAILED: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
