"""The Colab and student editions: in sync with the chapters, no MyST, solutions folded or gone."""

import ast
import json
import pathlib
import re

import nbformat
import pytest
import yaml

from book._ext.aelib_book import AuthorYearLabelStyle
from scripts import (
    assignments,
    book_index,
    editions,
    gates,
    instructors_table,
    myst_markdown,
    notebooks,
    student_book,
)
from scripts.notebooks import python_source

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOK = book_index.Book()
CHAPTERS = BOOK.chapters()
_markdown = notebooks.markdown_texts


def test_colab_edition_is_in_sync_with_the_chapters():
    assert editions.stale_editions(BOOK) == [], (
        "the Colab edition is stale: run `make editions` and commit colab/"
    )


def test_the_sync_check_notices_a_stale_edition(tmp_path):
    for name in ("_config.yml", "_toc.yml", "book"):
        source = ROOT / name
        (tmp_path / name).symlink_to(source, target_is_directory=source.is_dir())
    (tmp_path / "notebooks").mkdir()
    chapter = ROOT / f"{CHAPTERS[0]}.ipynb"
    (tmp_path / f"{CHAPTERS[0]}.ipynb").write_text(chapter.read_text())
    book = book_index.Book(tmp_path)
    editions.write_colab(book)
    assert editions.stale_editions(book) == []
    notebook = json.loads(chapter.read_text())
    notebook["cells"][-1]["source"].append("\nOne more sentence.")
    (tmp_path / f"{CHAPTERS[0]}.ipynb").write_text(json.dumps(notebook))
    assert editions.stale_editions(book) == [f"{BOOK.edition_dir}/{CHAPTERS[0]}.ipynb"]


@pytest.mark.parametrize("docname", CHAPTERS)
def test_colab_edition_has_no_myst_left(docname):
    notebook = notebooks.read(editions.colab_path(BOOK, docname))
    nbformat.validate(notebook)  # a notebook Colab and Jupyter accept
    for text in _markdown(notebook):
        assert myst_markdown.leftover_myst(text) == [], text[:300]


def test_leftover_check_sees_raw_myst():
    assert myst_markdown.leftover_myst(":::{exercise}\n:label: x\nText\n:::") == [
        "a directive",
        "a directive option",
    ]
    assert myst_markdown.leftover_myst("as shown {cite:p}`kingma2014auto`") == ["a role"]
    assert myst_markdown.leftover_myst("[next](02_vae.ipynb)") == ["a relative link to a page"]
    assert myst_markdown.leftover_myst("```python\nx = {'a': 1}\n```\nand `{cite:p}` in code") == []


@pytest.mark.parametrize("docname", CHAPTERS)
def test_colab_edition_folds_every_solution_and_numbers_every_exercise(docname):
    source = "\n".join(BOOK.markdown_texts(ROOT / f"{docname}.ipynb"))
    exercises = len(re.findall(r"^:{3,}\{exercise\}", source, re.M))
    text = "\n".join(_markdown(notebooks.read(editions.colab_path(BOOK, docname))))
    number = BOOK.chapter_number[docname]
    headings = re.findall(rf"^### Exercise {number}\.(\d+)", text, re.M)
    assert [int(h) for h in headings] == list(range(1, exercises + 1))
    solutions = len(re.findall(r"^:{3,}\{solution(?:-start)?\}", source, re.M))
    assert text.count("<details>") == text.count("</details>") == solutions
    assert (
        len(re.findall(rf"<summary><b>Solution to Exercise {number}\.\d+</b></summary>", text))
        == solutions
    )


def test_citations_and_references_become_links_to_the_book():
    converter = myst_markdown.Converter(BOOK, "notebooks/02_vae")
    references = BOOK.page_url("book/references")
    assert converter.convert("as {cite:p}`kingma2014auto,rezende2014stochastic` showed") == (
        f"as ([Kingma and Welling, 2014]({references}); "
        f"[Rezende et al., 2014]({references})) showed"
    )
    assert (
        converter.convert("{cite:t}`higgins2017beta` set")
        == f"[Higgins et al. (2017)]({references}) set"
    )
    label = next(iter(BOOK.labels))
    target = BOOK.labels[label]
    assert converter.convert(f"see {{ref}}`this one <{label}>`") == (
        f"see [this one]({BOOK.page_url(target.docname, target.anchor)})"
    )
    assert (
        converter.convert(f"see {{numref}}`{label}`")
        == f"see [{target.text}]({BOOK.page_url(target.docname, label)})"
    )
    assert converter.convert("[next](03_wae.ipynb), [notation](../book/notation.md)") == (
        f"[next]({BOOK.colab_url('notebooks/03_wae')}), "
        f"[notation]({BOOK.page_url('book/notation')})"
    )
    assert converter.convert("```{note}\nA remark.\n```") == "> **Note**\n>\n> A remark."
    assert converter.convert("(my-target)=\n% a comment\n## Heading") == "## Heading"


def test_unknown_constructs_are_errors_not_raw_text():
    converter = myst_markdown.Converter(BOOK, "notebooks/02_vae")
    with pytest.raises(myst_markdown.MystError, match="directive {glossary}"):
        converter.convert(":::{glossary}\nterm\n:::")
    with pytest.raises(myst_markdown.MystError, match="role {term}"):
        converter.convert("a {term}`word`")
    with pytest.raises(myst_markdown.MystError, match="nosuchkey2020"):
        converter.convert("{cite:p}`nosuchkey2020`")
    with pytest.raises(myst_markdown.MystError, match="no-such-label"):
        converter.convert("{ref}`no-such-label`")


def test_launch_button_opens_the_colab_edition():
    # sphinx-book-theme builds the Colab button as
    # {colab_url}/github/{org}/{repo}/blob/{branch}/{path_to_docs}/{pagename}{.ipynb}, with
    # path_to_docs = repository.path_to_book (sphinx_book_theme/header_buttons/launch.py).
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    folder = config["repository"]["path_to_book"].strip("/")
    assert folder == BOOK.edition_dir and folder not in ("", "notebooks")
    for docname in CHAPTERS:
        assert (ROOT / folder / f"{docname}.ipynb").exists()
        colab = config["launch_buttons"]["colab_url"]
        url = f"{colab}/github/{BOOK.slug}/blob/{BOOK.branch}/{folder}/{docname}.ipynb"
        assert url == BOOK.colab_url(docname)
        first = notebooks.read(ROOT / folder / f"{docname}.ipynb").cells[0].source
        assert url in first  # the edition's own badge


def _gated_solution_code(notebook):
    return [
        piece.text
        for piece in gates.walk(notebook)
        if piece.kind == "code" and piece.gate is not None
    ]


@pytest.mark.parametrize("docname", CHAPTERS)
def test_nothing_after_a_gated_solution_needs_its_code(docname):
    # Both editions drop the code cells of gated solutions: no later cell may use what they define.
    notebook = notebooks.read(ROOT / f"{docname}.ipynb")
    defined = set()
    for code in _gated_solution_code(notebook):
        for node in ast.walk(ast.parse(python_source(code))):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
    student = editions.build(ROOT / f"{docname}.ipynb", BOOK, solutions=False, edition="student")
    used = set()
    for cell in student["cells"]:
        if cell["cell_type"] == "code":
            used |= {
                n.id
                for n in ast.walk(ast.parse(python_source(notebooks.source(cell))))
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            }
    defined_elsewhere = set()  # names the student edition defines itself
    for cell in student["cells"]:
        if cell["cell_type"] == "code":
            defined_elsewhere |= {
                n.id
                for n in ast.walk(ast.parse(python_source(notebooks.source(cell))))
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
    assert (defined - defined_elsewhere) & used == set()


@pytest.mark.parametrize("docname", CHAPTERS)
def test_student_edition_leaves_out_every_solution(docname):
    source = notebooks.read(ROOT / f"{docname}.ipynb")
    student = editions.build(ROOT / f"{docname}.ipynb", BOOK, solutions=False, edition="student")
    text = json.dumps(student)
    assert "<details>" not in text and "Solution to" not in text
    assert (
        "colab.research.google.com/github" not in text
    )  # no link to the Colab edition, which has the solutions
    solution_lines = set()
    for markdown in _markdown(source):
        for directive in myst_markdown.directives(markdown):
            if directive.name == "solution":
                solution_lines |= {
                    line.strip() for line in directive.body.split("\n") if len(line.strip()) > 30
                }
    for code in _gated_solution_code(source):
        solution_lines |= {line.strip() for line in code.split("\n") if len(line.strip()) > 30}
    gated = _gated_solution_code(source)
    chapter_code = {
        line.strip()
        for c in source["cells"]
        if c["cell_type"] == "code" and notebooks.source(c) not in gated
        for line in notebooks.source(c).split("\n")
    }
    solution_lines -= (
        chapter_code  # a stub's `def` line, or a call the chapter makes too, is no leak
    )
    student_lines = {
        line.strip() for cell in student["cells"] for line in notebooks.source(cell).split("\n")
    }
    outputs = json.dumps([c.get("outputs", []) for c in student["cells"]])
    assert solution_lines and not solution_lines & student_lines
    for code in _gated_solution_code(source):
        cell = next(c for c in source["cells"] if notebooks.source(c) == code)
        for output in cell.get("outputs", []):
            assert json.dumps(output.get("text", output.get("data", ""))) not in outputs
    for markdown in _markdown(student):
        assert myst_markdown.leftover_myst(markdown) == []
    found = assignments.questions(source)
    stubs = {
        cell.get("id")
        for cell in student["cells"]
        if "NotImplementedError" in notebooks.source(cell)
    }
    assert {q["stub_id"] for q in found} <= stubs
    assert {q["check_id"] for q in found} <= {cell.get("id") for cell in student["cells"]}
    assert "otter" not in text


def test_instructors_table_agrees_with_the_chapters_and_the_last_run():
    page = instructors_table.PAGE.read_text()
    assert instructors_table.render(page) == page, (
        "book/instructors.md is stale: run `make editions`"
    )


def test_instructors_table_follows_execute_json(tmp_path):
    data = json.loads(instructors_table.EXECUTE.read_text())
    name = next(iter(data["chapters"]))
    data["chapters"][name]["seconds"] = 6000.0
    changed = tmp_path / "execute.json"
    changed.write_text(json.dumps(data))
    assert "| 100.0 min |" in instructors_table.table(BOOK, changed)
    assert "| 100.0 min |" not in instructors_table.table(BOOK)


@pytest.mark.parametrize("docname", CHAPTERS)
def test_student_site_removes_every_solution_and_the_colab_badge(docname):
    source = notebooks.read(ROOT / f"{docname}.ipynb")
    chapter = student_book.student_chapter(source)
    markdown = "\n".join(_markdown(chapter))
    assert not re.search(r"\{solution(-start|-end)?\}", markdown)
    assert "colab.research.google.com" not in markdown
    exercises = len(re.findall(r"^:{3,}\{exercise\}", "\n".join(_markdown(source)), re.M))
    assert len(re.findall(r"^:{3,}\{exercise\}", markdown, re.M)) == exercises  # the exercises stay
    gated = _gated_solution_code(source)
    assert not [
        c for c in chapter["cells"] if c["cell_type"] == "code" and notebooks.source(c) in gated
    ]


def test_student_site_config_has_no_colab_button(tmp_path):
    student_book.write(BOOK, tmp_path / "src")
    config = yaml.safe_load((tmp_path / "src" / "_config.yml").read_text())
    assert config["launch_buttons"]["colab_url"] == ""
    assert sorted(config["execute"]["exclude_patterns"]) == sorted(
        {
            *(
                yaml.safe_load((ROOT / "_config.yml").read_text())["execute"].get(
                    "exclude_patterns"
                )
                or []
            ),
            *[f"{doc}.ipynb" for doc in CHAPTERS if notebooks.executed(ROOT / f"{doc}.ipynb")],
        }
    )


def test_code_spans_stay_as_written():
    # A code span shows MyST or Markdown as text: the converter leaves it byte for byte.
    converter = myst_markdown.Converter(BOOK, "notebooks/02_vae")
    for span in ("`[a](02_vae.ipynb)`", "`` {math}`x^2` ``"):
        assert converter.convert(f"Write {span} here.") == f"Write {span} here."
        assert converter.convert(f"- in a list, {span}\n- and a [link](03_wae.ipynb)") == (
            f"- in a list, {span}\n- and a [link]({BOOK.colab_url('notebooks/03_wae')})"
        )
    assert converter.convert("```python\nx = 1  # {math}`y` [a](02_vae.ipynb)\n```") == (
        "```python\nx = 1  # {math}`y` [a](02_vae.ipynb)\n```"
    )


def test_name_particles_stay_in_the_author_year_text(tmp_path):
    # "van den Oord" on the site (the bibliography's labels) and in the Colab edition alike.
    for name in ("_toc.yml", "book", "notebooks"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=(ROOT / name).is_dir())
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["bibtex_bibfiles"] = ["extra.bib"]
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "extra.bib").write_text(
        "@article{oord2017neural,\n"
        "  author = {van den Oord, Aaron and Vinyals, Oriol and Kavukcuoglu, Koray},\n"
        "  title = {Neural Discrete Representation Learning},\n  year = {2017}\n}\n"
        "@article{vries2019,\n  author = {de Vries, Harm and Ng, Andrew},\n"
        "  title = {A},\n  year = {2019}\n}\n"
    )
    book = book_index.Book(tmp_path)
    assert book.citations["oord2017neural"] == ("van den Oord et al.", "2017")
    assert book.citations["vries2019"] == ("de Vries and Ng", "2019")
    converter = myst_markdown.Converter(book, "notebooks/02_vae")
    references = book.page_url("book/references")
    assert (
        converter.convert("{cite:t}`oord2017neural`")
        == f"[van den Oord et al. (2017)]({references})"
    )
    from pybtex.database import parse_file

    entries = parse_file(str(tmp_path / "extra.bib")).entries
    labels = list(AuthorYearLabelStyle().format_labels(entries.values()))
    assert labels == ["van den Oord et al., 2017", "de Vries and Ng, 2019"]
