"""Runs chapters top to bottom with their full budget and saves the outputs in place.

    python -m scripts.execute_notebooks notebooks/01_autoencoder.ipynb ...

Each chapter runs in a fresh kernel (AELIB_FAST unset, TensorFlow backend).
The script prints, and writes to benchmarks/results/execute.json, each
chapter's wall time and the kernel's peak memory.
"""

import json
import os
import pathlib
import platform
import resource
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT = 1800  # seconds a cell may take


def run_one(path):
    """Executes one notebook in place, in a process of its own: RUSAGE_CHILDREN is the kernel's."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(notebook, path)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(json.dumps({"peak_memory_gib": round(peak_kib / 2**20, 2)}))


def main(paths):
    env = dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "tensorflow"))
    env.pop("AELIB_FAST", None)
    results = []
    for path in paths:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(path)], env=env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"{path} failed after {seconds:.0f} s")
        peak = json.loads(done.stdout.strip().splitlines()[-1])["peak_memory_gib"]
        results.append(
            {
                "notebook": pathlib.Path(path).name,
                "seconds": round(seconds, 1),
                "peak_memory_gib": peak,
            }
        )
        print(f"{pathlib.Path(path).name:32s} {seconds:7.1f} s   peak {peak:.2f} GiB", flush=True)
    total = sum(r["seconds"] for r in results)
    print(f"{'total':32s} {total:7.1f} s")
    out = ROOT / "benchmarks" / "results" / "execute.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(out.read_text()) if out.exists() else {"chapters": {}}
    for r in results:
        previous["chapters"][r["notebook"]] = r
    previous["machine"] = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_version()}"
    )
    previous["total_seconds"] = round(sum(r["seconds"] for r in previous["chapters"].values()), 1)
    out.write_text(json.dumps(previous, indent=2) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        run_one(pathlib.Path(sys.argv[2]))
    else:
        main([pathlib.Path(p) for p in sys.argv[1:]])
