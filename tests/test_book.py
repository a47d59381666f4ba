"""The book's wiring: one repository address, chapters that all follow the template."""

import importlib.util
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("repository_url", ROOT / "scripts" / "repository_url.py")
repository_url = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(repository_url)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_links_agree_with_config():
    assert repository_url.disagreements() == []


def test_check_notices_a_stale_link(tmp_path):
    url, branch = repository_url.settings()
    stale = "[badge](https://colab.research.google.com/github/someone/else/blob/main/notebooks/01_x.ipynb)"
    fixed = repository_url.rewrite(stale, url, branch)
    assert fixed != stale and url.removeprefix("https://github.com/") in fixed
    install = '%pip install -q "aelib @ git+https://github.com/someone/else"'
    assert repository_url.rewrite(install, url, branch) == f'%pip install -q "aelib @ git+{url}"'


def test_badges_open_the_colab_edition_not_the_chapter():
    url, branch = repository_url.settings()
    folder = repository_url.edition_folder()
    chapter = "https://colab.research.google.com/github/someone/else/blob/main/notebooks/01_x.ipynb"
    slug = url.removeprefix("https://github.com/")
    expected = f"https://colab.research.google.com/github/{slug}/blob/{branch}/{folder}/notebooks/01_x.ipynb"
    assert folder and repository_url.rewrite(chapter, url, branch) == expected
    assert repository_url.rewrite(expected, url, branch) == expected  # already right: left alone


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_has_badge_and_install_cell(path):
    url, branch = repository_url.settings()
    slug = url.removeprefix("https://github.com/")
    folder = repository_url.edition_folder()
    cells = json.loads(path.read_text())["cells"]
    first = "".join(cells[0]["source"])
    # The badge opens the Colab edition (scripts/editions.py), whose Markdown has no MyST.
    assert f"https://colab.research.google.com/github/{slug}/blob/{branch}/{folder}/notebooks/{path.name}" in first
    assert any(f"git+{url}" in "".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_is_in_the_toc(path):
    assert f"notebooks/{path.stem}" in (ROOT / "_toc.yml").read_text()


_spec = importlib.util.spec_from_file_location("book_config", ROOT / "scripts" / "book_config.py")
book_config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(book_config)


def test_only_unexecuted_chapters_are_run_at_build_time(tmp_path):
    def notebook(counts):
        cells = [{"cell_type": "code", "source": ["x = 1"], "execution_count": c, "outputs": []} for c in counts]
        cells.append({"cell_type": "code", "source": [""], "execution_count": None, "outputs": []})  # empty cell
        path = tmp_path / f"nb{len(list(tmp_path.iterdir()))}.ipynb"
        path.write_text(json.dumps({"cells": cells}))
        return path

    assert book_config.executed(notebook([1, 2]))  # silent cells, but run: rendered as is
    assert not book_config.executed(notebook([1, None]))  # one cell never run: executed at build
    assert not book_config.executed(notebook([None, None]))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_chapters_carry_outputs_and_no_errors(path):
    assert book_config.executed(path)
    cells = json.loads(path.read_text())["cells"]
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
