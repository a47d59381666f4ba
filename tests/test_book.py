"""The book's wiring: one repository address, chapters that all follow the template."""

import pathlib

import nbformat
import pytest

from scripts import notebooks, repository_url
from scripts.book_index import Book

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOK = Book()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_links_agree_with_config():
    assert repository_url.disagreements() == []


def test_check_notices_a_stale_link():
    stale = "[badge](https://colab.research.google.com/github/someone/else/blob/main/notebooks/01_x.ipynb)"
    fixed = repository_url.rewrite(stale, BOOK)
    assert fixed != stale and BOOK.slug in fixed
    install = '%pip install -q "aelib @ git+https://github.com/someone/else"'
    assert repository_url.rewrite(install, BOOK) == f'%pip install -q "aelib @ git+{BOOK.repo_url}"'


def test_badges_open_the_colab_edition_not_the_chapter():
    folder = BOOK.edition_dir
    chapter = "https://colab.research.google.com/github/someone/else/blob/main/notebooks/01_x.ipynb"
    expected = f"https://colab.research.google.com/github/{BOOK.slug}/blob/{BOOK.branch}/{folder}/notebooks/01_x.ipynb"
    assert folder and repository_url.rewrite(chapter, BOOK) == expected
    assert repository_url.rewrite(expected, BOOK) == expected  # already right: left alone


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_has_badge_and_install_cell(path):
    cells = notebooks.read(path).cells
    colab = f"https://colab.research.google.com/github/{BOOK.slug}/blob/{BOOK.branch}/{BOOK.edition_dir}"
    # The badge opens the Colab edition (scripts/editions.py), whose Markdown has no MyST.
    assert f"{colab}/notebooks/{path.name}" in cells[0].source
    assert any(f"git+{BOOK.repo_url}" in c.source for c in cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_is_in_the_toc(path):
    assert f"notebooks/{path.stem}" in (ROOT / "_toc.yml").read_text()


def test_only_unexecuted_chapters_are_run_at_build_time(tmp_path):
    def notebook(counts):
        cells = [nbformat.v4.new_code_cell("x = 1", execution_count=c) for c in counts]
        cells.append(nbformat.v4.new_code_cell(""))  # an empty cell, never run
        path = tmp_path / f"nb{len(list(tmp_path.iterdir()))}.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
        return path

    assert notebooks.executed(notebook([1, 2]))  # silent cells, but run: rendered as is
    assert not notebooks.executed(notebook([1, None]))  # one cell never run: executed at build
    assert not notebooks.executed(notebook([None, None]))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_chapters_carry_outputs_and_no_errors(path):
    assert notebooks.executed(path)
    cells = notebooks.read(path).cells
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "a chapter prints warnings"


def test_bibliography_entries_read_cleanly():
    # pybtex prints the booktitle and then the year: "ICLR 2016. 2016." when both hold it;
    # a TeX quote (`...') reaches the page as it is.
    import re

    text = (ROOT / "book" / "references.bib").read_text()
    problems = []
    for entry in text.split("\n@")[1:]:
        key = entry.split("{", 1)[1].split(",", 1)[0]
        year = re.search(r"\byear\s*=\s*\{(\d{4})\}", entry)
        booktitle = re.search(r"\bbooktitle\s*=\s*\{(.*)\},?\s*$", entry, re.MULTILINE)
        if year and booktitle and re.search(rf"{year.group(1)}\W*$", booktitle.group(1)):
            problems.append(f"{key}: booktitle ends with the year")
        if "`" in entry or "''" in entry:
            problems.append(f"{key}: a TeX quote")
    assert not problems
