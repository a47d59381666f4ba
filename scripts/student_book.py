"""Writes the source of the student build of the site: the book with every solution removed.

`make book-student` runs this script and then builds its output strictly (`-W -n --keep-going`,
as `make book`) into `_build/student/_build/html`. The copy, in `_build/student/src`, holds the
book's pages and the chapters with

- every `:::{solution}` directive removed, not folded;
- every gated solution (`:::{solution-start}` ... `:::{solution-end}`) removed with the code
  cells inside it and their outputs;
- the "Open in Colab" badge removed and the launch button switched off, since both open the
  Colab edition, which has the solutions; hand out the student notebooks of `make assignments`
  instead.

The exercises keep their MyST (the site renders it); only the solutions go.
"""

import json
import pathlib
import re
import shutil
import sys

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from book_config import executed  # noqa: E402
from book_index import ROOT, Book  # noqa: E402
from editions import _text, dumps, split_gates  # noqa: E402
from myst_markdown import GATE_END, GATE_START, parse  # noqa: E402

OUT = ROOT / "_build" / "student" / "src"
_INCLUDE = re.compile(r"^[`:]{3,}\{include\}\s*(\S+)", re.M)
_BADGE_LINE = re.compile(r"^.*\(https://colab\.research\.google\.com/[^)]*\).*\n?", re.M)


def without_solutions(text):
    """Markdown with its `solution` directives removed (the gated ones are split off by the caller)."""
    kept = []
    for item in parse(text):
        if isinstance(item, str):
            kept.append(item)
        elif item[0] != "solution":
            kept.append(item[4])
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


def student_chapter(notebook):
    """The chapter notebook without its solutions, badge and the cells of gated solutions."""
    cells, gate = [], None
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "markdown":
            if gate is None:
                cells.append(cell)
            continue
        pieces = []
        for piece in split_gates(_text(cell)):
            if isinstance(piece, tuple):
                gate = piece[1] if piece[0] == GATE_START else None
            elif gate is None:
                pieces.append(piece)
        text = without_solutions("\n".join(pieces))
        if index == 0:
            text = _BADGE_LINE.sub("", text).strip("\n")
        if text.strip():
            cells.append({**cell, "source": text.splitlines(keepends=True)})
    if gate is not None:
        raise ValueError(f"The gated solution of {gate!r} has no {GATE_END}.")
    return {**notebook, "cells": cells}


def write(book=None, out=OUT):
    """Writes the student source tree into `out`; returns the paths of its chapters."""
    book = book or Book()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copytree(book.root / "book", out / "book")
    shutil.copy(book.root / "_toc.yml", out / "_toc.yml")
    for page in (book.root / "book").rglob("*.md"):  # files the pages include from elsewhere
        for included in _INCLUDE.findall(page.read_text()):
            source = (page.parent / included.strip()).resolve()
            target = out / source.relative_to(book.root)
            if source.is_file() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, target)
    chapters = []
    for docname in book.chapters():
        target = out / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dumps(student_chapter(json.loads((book.root / f"{docname}.ipynb").read_text()))))
        chapters.append(target)
    config = yaml.safe_load((book.root / "_config.yml").read_text())
    config["title"] = f"{config.get('title', 'The book')} (student edition)"
    config.setdefault("launch_buttons", {})["colab_url"] = ""  # the Colab edition has the solutions
    done = [p.relative_to(out).as_posix() for p in chapters if executed(p)]
    execute = config.setdefault("execute", {})
    execute["exclude_patterns"] = sorted(set(execute.get("exclude_patterns") or []) | set(done))
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return chapters


if __name__ == "__main__":
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
