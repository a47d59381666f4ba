"""Generates the notebook editions of the chapters: the Colab edition and the student edition.

The chapters in notebooks/ are the single source. From each, `build` writes

- the **Colab edition**, `colab/notebooks/NN_name.ipynb` (committed: Colab opens notebooks from
  the repository): the chapter with its MyST turned into plain Markdown (scripts/myst_markdown.py),
  solutions folded in `<details>`, the outputs of the full run kept;
- the **student edition** (`solutions=False`; scripts/assignments.py writes it): the same without
  any solution, and without the code cells of gated solutions or their outputs; the exercise
  stubs and their self-checks stay.

Gated solutions (`:::{solution-start} label` ... code cells ... `:::{solution-end}`) span cells
(scripts/gates.py): in the Colab edition they become one folded block in which the code cells
appear as code (with their text output); in the student edition they disappear.

    python -m scripts.editions            # rewrite the Colab edition (make editions)
    python -m scripts.editions --check    # list the chapters whose Colab edition is stale
"""

import argparse
import copy
import sys

from scripts import gates, notebooks
from scripts.book_index import BADGE_LINE, COLAB_URL, Book
from scripts.myst_markdown import GATE_END, GATE_START, Converter


def _cell(cell_type, text, cell_id, metadata=None):
    cell = {"cell_type": cell_type, "id": cell_id, "metadata": metadata or {}, "source": text}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _text_outputs(cell):
    """The text a code cell printed, for showing it inside a folded solution."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream" and output.get("name") == "stdout":
            parts.append(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "image/png" in data:
                parts.append("[a figure: run the cell to see it]\n")
            elif "text/plain" in data:
                parts.append(data["text/plain"] + "\n")
    return "".join(parts)


def _strip_code_cell(cell):
    cell = copy.deepcopy(cell)
    cell["metadata"].pop("execution", None)  # timings of the last run: noise in every diff
    return cell


def build(path, book, solutions=True, edition="colab"):
    """Returns the edition of the chapter at `path` as a notebook (nbformat 4)."""
    notebook = notebooks.read(path)
    docname = path.relative_to(book.root).with_suffix("").as_posix()
    converter = Converter(book, docname, solutions=solutions)
    cells, gate_parts, gate_id = [], [], None
    for piece in gates.walk(notebook, path.name, book.markdown):
        if piece.kind == GATE_START:
            gate_parts, gate_id = [], piece.id
        elif piece.kind == GATE_END:
            if solutions:
                body = "\n\n".join(part for part in gate_parts if part.strip())
                summary = f"Solution to {converter.exercise_title(piece.gate)}"
                cells.append(
                    _cell(
                        "markdown",
                        converter.details(summary, body).strip(),
                        f"{gate_id}-solution"[:64],
                    )
                )
        elif piece.gate is None:
            if piece.kind == "markdown":
                text = converter.convert(piece.text)
                if text.strip():
                    cells.append(_cell("markdown", text, piece.id, piece.cell.get("metadata")))
            else:
                cells.append(
                    _strip_code_cell(piece.cell)
                    if piece.kind == "code"
                    else copy.deepcopy(piece.cell)
                )
        elif solutions and piece.kind == "markdown":
            gate_parts.append(converter.convert(piece.text))
        elif solutions and piece.kind == "code":
            gate_parts.append(f"```python\n{piece.text.rstrip()}\n```")
            printed = _text_outputs(piece.cell)
            if printed:
                gate_parts.append(f"Output:\n\n```text\n{printed.rstrip()}\n```")

    first = cells[0]
    first_text = COLAB_URL.sub(book.colab_url(docname), notebooks.source(first))
    if not solutions:  # the badge opens the Colab edition, which has the solutions
        first_text = BADGE_LINE.sub("", first_text)
    number = book.chapter_number.get(docname)
    page = f"[chapter {number} of the book]({book.page_url(docname)})"
    if edition == "colab":
        note = (
            f"*The Colab edition of {page}, generated from `{docname}.ipynb` by "
            "`scripts/editions.py`: "
            "edit that file, not this one.*"
        )
    else:
        note = (
            f"*The student edition of {page}: the solutions are left out. "
            "Fill in each function that "
            "raises `NotImplementedError` and run the check cell after it; hand in this notebook "
            "(in Colab: File > Download > Download .ipynb).*"
        )
    first["source"] = first_text.rstrip("\n") + "\n\n" + note
    result = {key: value for key, value in notebook.items() if key != "cells"}
    result["metadata"] = dict(notebook.get("metadata", {}))
    result["metadata"]["aelib_edition"] = {"edition": edition, "source": f"{docname}.ipynb"}
    result["cells"] = cells
    result["nbformat"], result["nbformat_minor"] = 4, max(notebook.get("nbformat_minor", 5), 5)
    return result


def colab_path(book, docname):
    return book.root / book.edition_dir / f"{docname}.ipynb"


def write_colab(book):
    """Writes the Colab edition of every chapter and removes editions of chapters that are gone."""
    written, failed = set(), []
    for docname in book.chapters():
        target = colab_path(book, docname)
        try:
            text = notebooks.dumps(build(book.chapter_path(docname), book))
        except ValueError as error:  # one chapter's mistake does not hold up the others
            failed.append(str(error))
            written.add(target)  # its old edition stays, and the sync test keeps failing
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        written.add(target)
    for stale in (book.root / book.edition_dir).rglob("*.ipynb"):
        if stale not in written:
            stale.unlink()
    if failed:
        raise ValueError(
            "Could not write the Colab edition of every chapter:\n" + "\n".join(failed)
        )
    return sorted(written)


def stale_editions(book):
    """The Colab-edition files that differ from what the chapters give now (empty: in sync)."""
    stale = []
    expected = {
        colab_path(book, doc): notebooks.dumps(build(book.chapter_path(doc), book))
        for doc in book.chapters()
    }
    for target, text in expected.items():
        if not target.exists() or target.read_text() != text:
            stale.append(target.relative_to(book.root).as_posix())
    for present in (book.root / book.edition_dir).rglob("*.ipynb"):
        if present not in expected:
            stale.append(present.relative_to(book.root).as_posix())
    return sorted(stale)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="list stale Colab-edition files; exit 1 if any"
    )
    args = parser.parse_args(argv)
    book = Book()
    if book.edition_dir in ("", "notebooks"):
        raise ValueError(
            "Expected repository.path_to_book in _config.yml to name the Colab edition's folder "
            f"(for example 'colab'). Received: {book.edition_dir!r}"
        )
    if args.check:
        stale = stale_editions(book)
        for path in stale:
            print(f"stale: {path} (run `make editions`)")
        return 1 if stale else 0
    for path in write_colab(book):
        print(f"wrote {path.relative_to(book.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
