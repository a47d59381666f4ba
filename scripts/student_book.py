"""Writes the source of the student build of the site: the book with every solution removed.

`make book-student` runs this module and then builds its output strictly (`-W -n --keep-going`,
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

import itertools
import re
import shutil

import yaml

from scripts import gates, myst_markdown, notebooks
from scripts.book_config import exclude_executed
from scripts.book_index import BADGE_LINE, ROOT, Book

OUT = ROOT / "_build" / "student" / "src"
_INCLUDE = re.compile(r"^[`:]{3,}\{include\}\s*(\S+)", re.M)


def student_chapter(notebook, md=None):
    """The chapter notebook without its solutions, badge and the cells of gated solutions."""
    cells = []
    for index, pieces in itertools.groupby(
        gates.walk(notebook, md=md), key=lambda piece: piece.index
    ):
        pieces = list(pieces)
        cell = pieces[0].cell
        if cell["cell_type"] != "markdown":
            cells += [cell] if pieces[0].gate is None else []
            continue
        kept = "\n".join(p.text for p in pieces if p.kind == "markdown" and p.gate is None)
        text = myst_markdown.remove_directives(kept, {"solution"}, md)
        text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
        if index == 0:
            text = BADGE_LINE.sub("", text).strip("\n")
        if text.strip():
            cells.append({**cell, "source": text})
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
        chapter = student_chapter(notebooks.read(book.chapter_path(docname)), book.markdown)
        target.write_text(notebooks.dumps(chapter))
        chapters.append(target)
    config = book.settings()
    config["title"] = f"{config.get('title', 'The book')} (student edition)"
    config.setdefault("launch_buttons", {})["colab_url"] = ""  # the Colab edition has the solutions
    exclude_executed(config, chapters, out)
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return chapters


if __name__ == "__main__":
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
