"""Runs the chapters the way a Colab student gets them (`make test-colab`).

    python tests/colab/run_colab.py [--backend tensorflow|jax] [--edition colab|student|both]
                                    [--working-tree | --ref REV] [NAME ...]

What a student gets in Colab, and what this script reproduces:

- a runtime with Colab's own packages: a virtual environment, `_build/colab-venv`, pinned to
  `colab/runtime.txt` and rebuilt when that file changes. aelib is never installed into it here;
- the notebook opened from the repository, with an empty working directory: each notebook runs
  in a fresh kernel of that environment, from an empty temporary folder, in fast mode
  (AELIB_FAST=1), with aelib uninstalled beforehand;
- aelib installed by the notebook's own first cell from the repository's address: the address in
  the install cell is pointed at a local clone of HEAD (`git+file://localhost/...`) and nothing
  else is changed. `--working-tree` adds the uncommitted changes to the clone. The notebooks are
  the clone's Colab edition, and the student edition that `make assignments` wrote.

A notebook fails on any error output, on any output to stderr (what Colab shows a student in
red, TensorFlow's start-up lines included), on a pip warning or error in the install cell, and
when the install changes any package other than aelib (Colab's TensorFlow, Keras, NumPy...).
The student edition (`make assignments`, run in the clone) runs the same way; there only a
NotImplementedError raised by one of its unfilled stubs is allowed, and each stub's self-check
must answer with a reminder, not a traceback. Each notebook's time is printed and written to
`_build/colab/times-<backend>.json`, the executed notebooks to `_build/colab/<backend>/`.
"""

import argparse
import hashlib
import json
import os
import pathlib
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "colab" / "runtime.txt"
VENV = ROOT / "_build" / "colab-venv"
OUT = ROOT / "_build" / "colab"
CELL_TIMEOUT = 900  # seconds
KERNEL = "colab-runtime"
# The install cell: `%pip install ... "aelib @ git+URL"`, run when `import aelib` fails.
_INSTALL = re.compile(r"""^\s*[%!]pip install\b.*?["']?aelib\s*@\s*(git\+[^"'\s]+)""", re.M)
# pip's complaints, which reach the page through %pip as stdout (so the stderr rule misses them).
_PIP_COMPLAINT = re.compile(r"^(?:WARNING|ERROR|DEPRECATION):.*$", re.M)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def python(*args, **kwargs):
    """Runs the Colab environment's python; returns its stdout."""
    kwargs.setdefault("check", True)
    kwargs.setdefault("cwd", VENV)  # not the repository: its aelib/ would be importable from there
    done = subprocess.run(
        [str(VENV / "bin" / "python"), *args], capture_output=True, text=True, **kwargs
    )
    return done.stdout


def freeze():
    """The Colab environment's packages: {name: line of `pip list --format=freeze`}."""
    lines = python(
        "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"
    ).splitlines()
    return {
        re.split(r"\s*(?:==|@)\s*", line)[0].lower().replace("_", "-"): line
        for line in lines
        if line.strip()
    }


def fingerprint():
    return hashlib.sha256(RUNTIME.read_bytes() + platform.python_version().encode()).hexdigest()


def ensure_environment():
    """Creates `_build/colab-venv` from colab/runtime.txt; reuses it while that is unchanged."""
    stamp = VENV / ".runtime"
    if stamp.exists() and stamp.read_text() == fingerprint():
        return False
    shutil.rmtree(VENV, ignore_errors=True)
    print(
        f"creating {VENV.relative_to(ROOT)} from {RUNTIME.relative_to(ROOT)}"
        f" (Python {platform.python_version()})",
        flush=True,
    )
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    # -qq: pip's warnings about this machine's package mirrors are not Colab's business.
    subprocess.run(
        [str(VENV / "bin" / "python"), "-m", "pip", "install", "-qq", "-r", str(RUNTIME)],
        check=True,
    )
    # Colab's image has matplotlib's font cache built; a first import would say so on stderr.
    python("-c", "import matplotlib.pyplot")
    stamp.write_text(fingerprint())
    return True


def pins():
    """The exact pins of colab/runtime.txt: {name: version}."""
    found = {}
    for line in RUNTIME.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s#;]+)", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def check_pins(packages):
    """Messages for every pin of runtime.txt that the environment does not have."""
    wrong = []
    for name, version in pins().items():
        line = packages.get(name)
        if line is None or not line.endswith(f"=={version}"):
            wrong.append(
                f"{name}: runtime.txt pins {version}, the environment has {line or 'nothing'}"
            )
    return wrong


def clone(working_tree=False, ref="HEAD"):
    """A clone of the repository at `ref` (HEAD: what Colab opens); returns its path.

    With `working_tree`, the working tree's changes and the files git does not ignore are committed
    in the clone too (through the clone's own index: the repository's index is not touched).
    """
    folder = pathlib.Path(tempfile.mkdtemp(prefix="colab-clone-"))
    subprocess.run(["git", "clone", "-q", str(ROOT), str(folder)], check=True)
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if ref != "HEAD":  # the clone's branch moved there, so that pip's clone of the clone gets it
        subprocess.run(["git", "-C", str(folder), "reset", "-q", "--hard", head], check=True)
        print(f"clone: {folder} ({ref} = {head})", flush=True)
        return folder
    git = ["git", f"--git-dir={folder / '.git'}", f"--work-tree={ROOT}"]
    if working_tree:
        subprocess.run([*git, "add", "-A"], check=True)
        changed = subprocess.run(
            [*git, "diff", "--cached", "--name-only"], check=True, capture_output=True, text=True
        ).stdout.split()
        if changed:
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(folder),
                    "-c",
                    "user.name=test-colab",
                    "-c",
                    "user.email=test-colab@localhost",
                    "commit",
                    "-q",
                    "-m",
                    "the working tree",
                ],
                check=True,
            )
            subprocess.run(["git", "-C", str(folder), "reset", "-q", "--hard"], check=True)
        print(
            f"clone: {folder} (HEAD {head} + {len(changed)} files from the working tree)",
            flush=True,
        )
        return folder
    changed = subprocess.run(
        [
            *git,
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            "aelib",
            "colab",
            "notebooks",
            "pyproject.toml",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    changed = [line for line in changed if line.strip()]
    note = (
        f"; {len(changed)} changed files in aelib/, notebooks/, colab/ not in it (--working-tree)"
        if changed
        else ""
    )
    print(f"clone: {folder} (HEAD {head}{note})", flush=True)
    return folder


def assignments(repository):
    """`make assignments` in the clone, with the repository's .venv (as it is, never rebuilt)."""
    venv = ROOT / ".venv"
    done = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(repository),
            "-o",
            str(venv / ".installed"),
            f"VENV={venv}",
            "assignments",
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"`make assignments` failed in the clone:\n{done.stdout}{done.stderr}")


def point_install_at(notebook, url):
    """Points the notebook's install cell at `url`; returns the index of that cell."""
    found = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and _INSTALL.search(cell.source)
    ]
    if len(found) != 1:
        raise ValueError(
            f'Expected one install cell (`%pip install ... "aelib @ git+URL"`); found {len(found)}.'
        )
    cell = notebook.cells[found[0]]
    old = _INSTALL.search(cell.source).group(1)
    cell.source = cell.source.replace(old, url)
    return found[0]


def text_of(output):
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return _ANSI.sub("", "\n".join(output.traceback))
    return ""


def first_line(source):
    return next((line for line in source.splitlines() if line.strip()), "")[:70]


def excerpt(text, lines=8):
    kept = text.rstrip().splitlines()
    more = f"\n      ... ({len(kept) - lines} more lines)" if len(kept) > lines else ""
    return "\n".join(f"      {line}" for line in kept[:lines]) + more


def stub_error(output, stubs):
    """True when an error output is a NotImplementedError raised inside one of the stubs."""
    if output.ename != "NotImplementedError":
        return False
    frames = text_of(output)
    return any(re.search(rf"\bin {re.escape(name)}\b", frames) for name in stubs)


def problems_in(cell, index, stubs=(), install=False):
    """What a student should not see in one executed cell: a list of messages."""
    found = []
    where = f"cell {index} ({first_line(cell.source)!r})"
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            if not stub_error(output, stubs):
                found.append(
                    f"{where} raised {output.ename}: {output.evalue}\n"
                    + excerpt(text_of(output), 12)
                )
        elif output.output_type == "stream" and output.name == "stderr":
            found.append(f"{where} wrote to stderr:\n{excerpt(output.text)}")
        elif install and output.output_type == "stream":
            for complaint in _PIP_COMPLAINT.findall(_ANSI.sub("", output.text)):
                found.append(f"{where}: pip says {complaint!r}")
    return found


def compare_packages(before, after, url):
    """What the install did besides adding aelib from `url`: a list of messages."""
    messages = []
    if "aelib" in before:
        messages.append(f"aelib was installed before the notebook ran ({before['aelib']}).")
    if "aelib" not in after:
        messages.append(
            "the install cell did not install aelib (`pip list` has no aelib afterwards)."
        )
    elif url.removeprefix("git+") not in installed_from("aelib"):
        messages.append(f"aelib came from somewhere else than the clone: {installed_from('aelib')}")
    return messages + changed_packages(before, after)


def installed_from(name):
    """Where pip installed a package from (its direct_url.json), or '' for an index install."""
    code = (
        "import importlib.metadata as m; "
        f"print(m.distribution({name!r}).read_text('direct_url.json') or '')"
    )
    return python("-c", code, check=False).strip()


def changed_packages(before, after):
    """Every package, aelib aside, that differs between two `freeze()`s: a list of messages."""
    messages = []
    for name in sorted(set(before) | set(after)):
        if name == "aelib" or before.get(name) == after.get(name):
            continue
        if name not in after:
            messages.append(f"the install removed {before[name]}.")
        elif name not in before:
            messages.append(f"the install added {after[name]} (Colab's runtime does not have it).")
        else:
            messages.append(f"the install changed {name}: {before[name]} -> {after[name]}.")
    return messages


def restore(image):
    """Puts the environment back as `image` after an install changed it (else: rebuilt next run)."""
    stamp = VENV / ".runtime"
    stamp.unlink(missing_ok=True)
    now = freeze()
    added = [name for name in now if name not in image and name != "aelib"]
    if added:
        python("-m", "pip", "uninstall", "-y", "-q", *added)
    changed = [image[name] for name in image if now.get(name) != image[name]]
    if changed:
        python("-m", "pip", "install", "-qq", "--no-deps", *changed)
    if not changed_packages(image, freeze()):
        stamp.write_text(fingerprint())


def kernel_environment(backend):
    """A Colab kernel's environment: this one less the main .venv, plus fast mode and backend."""
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "MPLBACKEND", "JUPYTER_PATH"):
        env.pop(name, None)
    paths = [
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT / ".venv"))
    ]
    env["PATH"] = os.pathsep.join([str(VENV / "bin"), *paths])
    env.update(AELIB_FAST="1", KERAS_BACKEND=backend)
    # debugpy's note on frozen modules goes to the kernel's terminal, which no student sees.
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def write_kernelspec(folder, backend):
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    str(VENV / "bin" / "python"),
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "Colab runtime (colab/runtime.txt)",
                "language": "python",
                "env": kernel_environment(backend),
            }
        )
    )


def run_notebook(path, url, backend, edition, image):
    """Runs one notebook as Colab would; returns (wall s, CPU s, problems, executed notebook).

    The CPU seconds are the kernel's (and its pip's), user and system: on a shared machine they
    say more about the notebook than the wall time does.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    install = point_install_at(notebook, url)
    stubs = [q["function"] for q in notebook.metadata.get("aelib_edition", {}).get("questions", [])]
    stub_ids = {
        q["stub_id"] for q in notebook.metadata.get("aelib_edition", {}).get("questions", [])
    }

    python("-m", "pip", "uninstall", "-y", "-q", "aelib", check=False)
    if (
        subprocess.run(
            [str(VENV / "bin" / "python"), "-c", "import aelib"], cwd=VENV, capture_output=True
        ).returncode
        == 0
    ):
        return (
            0.0,
            0.0,
            ["aelib is importable after `pip uninstall aelib`: the notebook would not install it."],
            notebook,
        )
    before = freeze()
    problems = [f"before the notebook: {m}" for m in check_pins(before)]
    problems += [f"before the notebook: {m}" for m in changed_packages(image, before)]

    workdir = pathlib.Path(tempfile.mkdtemp(prefix="colab-content-"))
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        allow_errors=True,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.reset_execution_trackers()
    start, cpu_start = time.perf_counter(), cpu_of_children()
    try:
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                client.execute_cell(cell, index)
                found = problems_in(cell, index, stubs, install=index == install)
                if index == install:
                    found += [
                        f"cell {index} (the install cell): {m}"
                        for m in compare_packages(before, freeze(), url)
                    ]
                problems += found
                if any(o.output_type == "error" and not stub_error(o, stubs) for o in cell.outputs):
                    problems.append(f"stopped at cell {index}, as Colab's Run all does.")
                    break
            else:
                problems += self_checks(notebook, stub_ids)
    except Exception as error:  # a dead kernel, a timeout: the notebook failed, the run goes on
        problems.append(f"{type(error).__name__}: {error}")
    seconds, cpu = time.perf_counter() - start, cpu_of_children() - cpu_start
    shutil.rmtree(workdir, ignore_errors=True)
    return seconds, cpu, problems, notebook


def cpu_of_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_checks(notebook, stub_ids):
    """Each stub's self-check (the next code cell) prints a verdict: a reminder, not a traceback."""
    messages = []
    cells = notebook.cells
    for index, cell in enumerate(cells):
        if cell.get("id") not in stub_ids:
            continue
        following = next(
            (i for i in range(index + 1, len(cells)) if cells[i].cell_type == "code"), None
        )
        printed = (
            ""
            if following is None
            else "".join(
                o.get("text", "")
                for o in cells[following].outputs
                if o.output_type == "stream" and o.name == "stdout"
            )
        )
        if not printed.strip():
            messages.append(
                f"cell {following}: the self-check of the stub in cell {index} printed no verdict."
            )
    return messages


def run_all(paths, url, backend, image):
    """Runs each (edition, path), printing its time and verdict; returns one dict a notebook."""
    print(
        f"backend {backend}; Colab runtime: " + ", ".join(f"{k} {v}" for k, v in pins().items()),
        flush=True,
    )
    results = []
    for edition, path in paths:
        seconds, cpu, problems, executed = run_notebook(path, url, backend, edition, image)
        saved = OUT / backend / edition / path.name
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(executed, indent=1, ensure_ascii=False) + "\n")
        print(
            f"{edition:8s} {path.name:28s} {seconds:7.1f} s  (CPU {cpu:6.1f} s)   "
            + ("FAILED" if problems else "ok"),
            flush=True,
        )
        for problem in problems:
            print(f"    - {problem}", flush=True)
        if changed_packages(image, freeze()):
            restore(image)
        results.append(
            {
                "edition": edition,
                "notebook": path.name,
                "seconds": round(seconds, 1),
                "cpu_seconds": round(cpu, 1),
                "ok": not problems,
                "problems": problems,
            }
        )
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="tensorflow", choices=["tensorflow", "jax"])
    parser.add_argument("--edition", default="both", choices=["colab", "student", "both"])
    parser.add_argument(
        "--working-tree",
        action="store_true",
        help="install aelib from HEAD plus the working tree, not from HEAD alone",
    )
    parser.add_argument("--ref", default="HEAD", help="the commit to test (default: HEAD)")
    parser.add_argument(
        "names", nargs="*", help="notebooks to run, e.g. 01_autoencoder (default: all)"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    ensure_environment()
    image = freeze()
    if "aelib" in image:
        python("-m", "pip", "uninstall", "-y", "-q", "aelib")
        image = freeze()
    wrong = check_pins(image)
    if wrong:
        raise SystemExit(
            "The Colab environment does not match colab/runtime.txt:\n  " + "\n  ".join(wrong)
        )

    if args.working_tree and args.ref != "HEAD":
        parser.error("--working-tree adds to HEAD; it does not go with --ref")
    repository = clone(args.working_tree, args.ref)
    # pip's URL check wants a host: it refuses git+file:///path.
    url = f"git+file://localhost{repository}"
    setup_seconds = time.perf_counter() - started
    # The Colab edition as the repository has it (Colab opens it from GitHub); the student edition
    # as `make assignments` writes it from the same commit.
    folders = {
        "colab": repository / "colab" / "notebooks",
        "student": repository / "_build" / "assignments" / "student",
    }
    if args.edition != "colab":
        assignments(repository)
    paths = []
    for edition in ["colab", "student"] if args.edition == "both" else [args.edition]:
        found = sorted(folders[edition].glob("*.ipynb"))
        if args.names:
            found = [p for p in found if p.stem in args.names or p.name in args.names]
        if not found:
            raise SystemExit(
                f"No {edition} notebooks in {folders[edition]}"
                + (" (run `make assignments`)." if edition == "student" else ".")
            )
        paths += [(edition, p) for p in found]
    spec_folder = pathlib.Path(tempfile.mkdtemp(prefix="colab-kernelspec-"))
    try:
        write_kernelspec(spec_folder, args.backend)
        os.environ["JUPYTER_PATH"] = str(spec_folder)
        results = run_all(paths, url, args.backend, image)
    finally:
        shutil.rmtree(repository, ignore_errors=True)
        shutil.rmtree(spec_folder, ignore_errors=True)

    total = time.perf_counter() - started
    print(f"{'total':37s} {total:7.1f} s   (environment and clone {setup_seconds:.1f} s)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"times-{args.backend}.json").write_text(
        json.dumps(
            {
                "backend": args.backend,
                "python": platform.python_version(),
                "runtime": {k: v for k, v in pins().items()},
                "machine": f"{os.cpu_count()} cores",
                "notebooks": results,
                "setup_seconds": round(setup_seconds, 1),
                "total_seconds": round(total, 1),
            },
            indent=2,
        )
        + "\n"
    )
    failed = sum(not r["ok"] for r in results)
    if failed:
        raise SystemExit(
            f"{failed} of {len(results)} notebooks do not run cleanly as Colab runs them."
        )


if __name__ == "__main__":
    main()
