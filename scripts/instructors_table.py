"""Writes the table of book/instructors.md: each chapter's run time, reading time and exercises.

The table sits between two marker comments in book/instructors.md and is computed, never typed:

- CPU time and peak memory: `benchmarks/results/execute.json`, written by `make execute` (the
  full budget, on the machine named there);
- Colab GPU time: an estimate, a third of the CPU time (labelled so; not measured);
- reading time: the words of the chapter's prose without its solutions, at 120 words a minute
  (a technical text with formulas), rounded up to 5 minutes;
- exercises: counted in the chapter, with the graded ones (a stub and its check, see
  scripts/assignments.py); time at 15 minutes a written exercise and 25 a graded one.

`python -m scripts.instructors_table` rewrites it (`make editions`); `--check` exits 1 when the
page disagrees with the chapters or with execute.json, and tests/test_editions.py runs that.
"""

import json
import math
import re
import sys

from scripts import notebooks
from scripts.assignments import exercise_labels, questions
from scripts.book_index import ROOT, Book
from scripts.editions import build

PAGE = ROOT / "book" / "instructors.md"
EXECUTE = ROOT / "benchmarks" / "results" / "execute.json"
START, END = (
    "<!-- chapter-table: written by scripts/instructors_table.py -->",
    "<!-- end of chapter-table -->",
)
WORDS_PER_MINUTE = 120
GPU_SPEEDUP = 3  # the estimate's assumption, stated in the table's note
MINUTES_PER_EXERCISE, MINUTES_PER_GRADED = 15, 25


def _round_up(minutes, step=5):
    return int(step * math.ceil(minutes / step))


def prose_words(notebook):
    """Words of the Markdown a student reads: no solutions, no code blocks, no math."""
    text = "\n".join(notebooks.markdown_texts(notebook))
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " formula ", text, flags=re.S)
    text = re.sub(r"\$[^$]+\$", " x ", text)
    text = re.sub(r"\(https?://[^)]*\)", " ", text)
    return len(re.findall(r"[A-Za-z][\w'-]*", text))


def rows(book, timings):
    table = []
    for docname in book.chapters():
        path = book.chapter_path(docname)
        source = notebooks.read(path)
        student = build(path, book, solutions=False, edition="student")
        exercises = sum(
            len(exercise_labels(text, book.markdown)) for text in notebooks.markdown_texts(source)
        )
        graded = len(questions(source, book.markdown))
        run = timings.get(path.name)
        cpu = f"{run['seconds'] / 60:.1f} min" if run else "not measured"
        memory = f"{run['peak_memory_gib']:.1f} GiB" if run else "not measured"
        gpu = (
            f"~{max(1, round(run['seconds'] / 60 / GPU_SPEEDUP))} min (estimate)"
            if run
            else "not measured"
        )
        reading = _round_up(prose_words(student) / WORDS_PER_MINUTE)
        work = _round_up(
            (exercises - graded) * MINUTES_PER_EXERCISE + graded * MINUTES_PER_GRADED, 15
        )
        title = source.cells[0].source.split("\n")[0].lstrip("# ").strip()
        link = f"[{book.chapter_number[docname]}. {title}](../{docname}.ipynb)"
        table.append(
            (
                link,
                cpu,
                memory,
                gpu,
                f"{reading} min",
                f"{exercises} ({graded} graded)",
                f"{work} min",
            )
        )
    return table


def table(book=None, execute=EXECUTE):
    """The Markdown of the table and its note, from the chapters and execute.json."""
    book = book or Book()
    data = json.loads(execute.read_text()) if execute.exists() else {}
    timings = data.get("chapters", {})
    header = (
        "chapter",
        "CPU run (full budget)",
        "peak memory",
        "Colab GPU run",
        "reading",
        "exercises",
        "exercise time",
    )
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(book, timings)]
    machine = data.get("machine", "an unnamed machine")
    note = (
        f"CPU times and memory: `make execute` on `{machine}` "
        f"(`benchmarks/results/execute.json`, {data.get('total_seconds', 0) / 60:.0f} min in all). "
        f"The Colab GPU column is an estimate, not a measurement: a third of the CPU time. "
        "Reading time counts the prose a student reads (solutions left out) at "
        f"{WORDS_PER_MINUTE} words a "
        f"minute; exercise time allows {MINUTES_PER_EXERCISE} minutes a written exercise and "
        f"{MINUTES_PER_GRADED} a graded coding one."
    )
    return "\n".join(lines) + "\n\n" + note


def render(page_text, book=None, execute=EXECUTE):
    if START not in page_text or END not in page_text:
        raise ValueError(f"Expected the markers {START!r} and {END!r} in book/instructors.md.")
    before, rest = page_text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n\n{table(book, execute)}\n\n{END}{after}"


if __name__ == "__main__":
    current = PAGE.read_text()
    expected = render(current)
    if "--check" in sys.argv:
        if current != expected:
            print("book/instructors.md: the chapter table is stale (run `make editions`)")
        sys.exit(int(current != expected))
    PAGE.write_text(expected)
    print("wrote the chapter table of book/instructors.md")
