"""Grades a folder of submissions with otter-grader, without Docker: `make grade SUBMISSIONS=DIR`.

For every file in DIR (a submission), this script

1. reads it as a notebook (a file that is not one gets a row that says so);
2. finds its chapter from the metadata the student edition carries, or from its file name
   (`02_...`), or from the graded functions it defines;
3. builds a small notebook from it: the chapter's setup cells (imports, backend, seed), then the
   submission's cell that defines each graded function, found by cell id or, failing that, by a
   `def name(` line. The rest of the submission (training, figures) is not run, so a
   submission is graded in seconds and its grade does not depend on how long it trains;
4. runs otter-grader's hidden tests on it (`otter.api.grade_submission`, which starts a fresh
   kernel per submission: one that raises or exits cannot stop the others, and one that runs
   past the time limit, 300 s unless `--time-limit` says otherwise, is stopped and noted);

and writes DIR/grades.csv: one row per submission, one column per question (points), `total`,
`possible`, and `note` (what went wrong, if anything).
"""

import argparse
import ast
import csv
import multiprocessing
import os
import pathlib
import queue
import re
import tempfile
import time

import nbformat
import psutil

from scripts import notebooks
from scripts.assignments import OUT, setup_cells
from scripts.notebooks import python_source

TIMEOUT_NOTE = "the answers ran longer than the time limit"


def load_chapters(out=OUT):
    """{stem: (student notebook, autograder path)} from `make assignments`'s output."""
    chapters = {}
    for path in sorted((out / "student").glob("*.ipynb")):
        zip_path = out / "autograder" / f"{path.stem}.zip"
        if zip_path.exists():
            chapters[path.stem] = (notebooks.read(path), zip_path)
    if not chapters:
        raise ValueError(
            f"Expected the grading material in {out}; it is missing. Run `make assignments` first."
        )
    return chapters


def chapter_of(submission, path, chapters):
    source = submission.get("metadata", {}).get("aelib_edition", {}).get("source", "")
    stem = pathlib.PurePosixPath(source).stem
    if stem in chapters:
        return stem
    named = next(
        (name for name in chapters if path.name.startswith(name) or path.name.startswith(name[:3])),
        None,
    )
    if named:
        return named
    # Renamed, and the metadata lost on the way: the chapter whose graded functions it defines.
    code = "\n".join(
        notebooks.source(c) for c in submission.get("cells", []) if c.get("cell_type") == "code"
    )
    counts = {
        name: sum(
            f"def {q['function']}(" in code
            for q in student["metadata"]["aelib_edition"]["questions"]
        )
        for name, (student, _) in chapters.items()
    }
    best = max(counts, key=counts.get, default=None)
    return best if best is not None and counts[best] > 0 else None


def answer_cell(submission, question):
    """The source of the submission's cell that defines the question's function, or None."""
    code = [c for c in submission.get("cells", []) if c.get("cell_type") == "code"]
    for cell in code:
        if cell.get("id") == question[
            "stub_id"
        ] and f"def {question['function']}(" in notebooks.source(cell):
            return notebooks.source(cell)
    defining = [c for c in code if f"def {question['function']}(" in notebooks.source(c)]
    return notebooks.source(defining[-1]) if defining else None


def grading_notebook(student, submission, questions):
    """The notebook otter runs for one submission, and the notes on what is missing or broken."""
    notes, cells = [], [nbformat.v4.new_code_cell(s) for s in setup_cells(student)]
    for question in questions:
        source = answer_cell(submission, question)
        if source is None:
            notes.append(f"{question['label']}: no cell defines {question['function']}()")
            continue
        try:
            ast.parse(python_source(source))
        except SyntaxError as error:
            notes.append(f"{question['label']}: syntax error on line {error.lineno}: {error.msg}")
        cells.append(nbformat.v4.new_code_cell(source))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook, notes


def grade_one(path, chapters, workdir):
    """The row of one submission: {"submission", "chapter", <label>: points, "total", "possible",
    "note"}."""
    row = {"submission": path.name}
    try:
        submission = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except Exception as error:  # any file that nbformat cannot read is not a notebook
        return {
            **row,
            "total": 0,
            "note": f"not a notebook ({type(error).__name__}: {str(error)[:80]})",
        }
    stem = chapter_of(submission, path, chapters)
    if stem is None:
        return {
            **row,
            "total": 0,
            "note": "not a student notebook of this course (no chapter recognised)",
        }
    student, zip_path = chapters[stem]
    questions = student["metadata"]["aelib_edition"]["questions"]
    notebook, notes = grading_notebook(student, submission, questions)
    target = workdir / f"{path.stem}.ipynb"
    nbformat.write(notebook, target)
    from otter.api import grade_submission

    try:
        results = grade_submission(str(target), str(zip_path), quiet=True)
    except Exception as error:
        return {
            **row,
            "chapter": stem,
            "total": 0,
            "note": f"grading failed ({type(error).__name__}: {error})",
        }
    total = possible = 0
    for question in questions:
        result = results.results.get(question["label"])
        score = result.score if result is not None else 0
        row[question["label"]] = round(score, 2)
        total, possible = total + score, possible + (result.possible if result is not None else 0)
        if (
            result is not None
            and score == 0
            and not any(question["label"] in note for note in notes)
        ):
            notes.extend(_why_zero(question["label"], result))
    return {
        **row,
        "chapter": stem,
        "total": round(total, 2),
        "possible": round(possible, 2),
        "note": "; ".join(notes),
    }


def _why_zero(label, result):
    """A note for a question that scored nothing because the function raised (not a wrong value)."""
    last_lines = [
        (r.message or "").strip().splitlines()[-1:]
        for r in result.test_case_results
        if not r.passed
    ]
    last_lines = [lines[0] for lines in last_lines if lines]
    if any("NotImplementedError" in line for line in last_lines):
        return [f"{label}: not done (raises NotImplementedError)"]
    raised = [line for line in last_lines if re.match(r"^\w+(Error|Exception)\b", line)]
    if raised and len(raised) == len(last_lines):
        return [f"{label}: raised {raised[0][:100]}"]
    return []


def grade_with_time_limit(path, chapters, workdir, seconds):
    """`grade_one` in a forked process, killed with its kernel after `seconds` (an endless loop)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    worker = context.Process(target=lambda: results.put(grade_one(path, chapters, workdir)))
    worker.start()
    try:
        row = results.get(timeout=seconds)
    except queue.Empty:
        row = {"submission": path.name, "total": 0, "note": f"{TIMEOUT_NOTE} ({seconds:.0f} s)"}
        family = psutil.Process(worker.pid)
        for process in [
            *family.children(recursive=True),
            family,
        ]:  # the kernel runs in a session of its own
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
    worker.join()
    return row


def grade_folder(folder, out=OUT, seconds=300):
    """Grades every submission in `folder` (and below) into folder/grades.csv; returns the rows."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise ValueError(
            f"Expected SUBMISSIONS to be a folder of notebooks. Received: {str(folder)!r}"
        )
    chapters = load_chapters(out)
    import otter.api  # noqa: F401 -- once, here, rather than in every forked grader

    os.environ.setdefault(
        "KERAS_BACKEND", "jax"
    )  # the answers' kernels import aelib 2 s faster than with TensorFlow
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # An LMS download may put each student's file in a folder of its own: every file below counts.
    submissions = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p != folder / "grades.csv"
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for number, path in enumerate(submissions):
            start = time.perf_counter()
            workdir = pathlib.Path(work) / str(number)
            workdir.mkdir()
            rows.append(grade_with_time_limit(path, chapters, workdir, seconds))
            rows[-1]["submission"] = path.relative_to(folder).as_posix()
            print(
                f"{path.name}: {rows[-1].get('total', 0)} points "
                f"({time.perf_counter() - start:.1f} s)"
                + (f" -- {rows[-1]['note']}" if rows[-1].get("note") else ""),
                flush=True,
            )
    labels = [
        q["label"]
        for stem in chapters
        for q in chapters[stem][0]["metadata"]["aelib_edition"]["questions"]
        if any(row.get("chapter") == stem for row in rows)
    ]
    columns = ["submission", "chapter", *labels, "total", "possible", "note"]
    with (folder / "grades.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Grade every notebook in a folder; write grades.csv there."
    )
    parser.add_argument("submissions", help="the folder of submitted notebooks")
    parser.add_argument(
        "--time-limit", type=float, default=300, help="seconds a submission may take (300)"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    rows = grade_folder(args.submissions, seconds=args.time_limit)
    print(
        f"graded {len(rows)} submissions in {time.perf_counter() - start:.1f} s: "
        f"{args.submissions}/grades.csv"
    )
