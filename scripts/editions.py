"""Generates the notebook editions of the chapters: the Colab edition and the student edition.

The chapters in notebooks/ are the single source. From each, this script writes

- the **Colab edition**, `colab/notebooks/NN_name.ipynb` (committed: Colab opens notebooks from
  the repository): the chapter with its MyST turned into plain Markdown (scripts/myst_markdown.py),
  solutions folded in `<details>`, the outputs of the full run kept;
- the **student edition** (`--student DIR`): the same without any solution, and without the code
  cells of gated solutions or their outputs; the exercise stubs and their self-checks stay.

Gated solutions (`:::{solution-start} label` ... code cells ... `:::{solution-end}`) span cells:
in the Colab edition they become one folded block in which the code cells appear as code (with
their text output); in the student edition they disappear.

    python scripts/editions.py            # rewrite the Colab edition (make editions)
    python scripts/editions.py --check    # list the chapters whose Colab edition is stale
    python scripts/editions.py --student _build/assignments/student
"""

import argparse
import copy
import json
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from book_index import ROOT, Book  # noqa: E402
from myst_markdown import GATE_START, Converter  # noqa: E402

_BADGE = re.compile(r"https://colab\.research\.google\.com/github/[^\s)\"']+\.ipynb")
_BADGE_LINE = re.compile(r"^.*\(https://colab\.research\.google\.com/github/[^)]*\).*\n?", re.M)
_GATE = re.compile(r"^:{3,}\{(solution-start|solution-end)\}[ \t]*(\S*).*?\n(?:[ \t]*:[\w-]+:.*\n)*?:{3,}[ \t]*$", re.M)


def _text(cell):
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _cell(cell_type, text, cell_id, metadata=None):
    cell = {"cell_type": cell_type, "id": cell_id, "metadata": metadata or {}, "source": text.splitlines(keepends=True)}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _text_outputs(cell):
    """The text a code cell printed, for showing it inside a folded solution."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream" and output.get("name") == "stdout":
            parts.append("".join(output["text"]))
        elif output["output_type"] in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "image/png" in data:
                parts.append("[a figure: run the cell to see it]\n")
            elif "text/plain" in data:
                parts.append("".join(data["text/plain"]) + "\n")
    return "".join(parts)


def _strip_code_cell(cell):
    cell = copy.deepcopy(cell)
    cell["metadata"].pop("execution", None)  # timings of the last run: noise in every diff
    return cell


def split_gates(text):
    """Splits Markdown at gate directives: a list of str and ("solution-start"|"solution-end", label)."""
    pieces, position = [], 0
    for match in _GATE.finditer(text):
        pieces.append(text[position : match.start()])
        pieces.append((match.group(1), match.group(2)))
        position = match.end()
    pieces.append(text[position:])
    return pieces


def build(path, book, solutions=True, edition="colab"):
    """Returns the edition of the chapter at `path` as a notebook dict (nbformat 4)."""
    notebook = json.loads(path.read_text())
    docname = path.relative_to(book.root).with_suffix("").as_posix()
    converter = Converter(book, docname, solutions=solutions)
    cells, gate, gate_parts, gate_id = [], None, [], None

    def emit_markdown(text, cell_id, metadata):
        text = converter.convert(text)
        if text.strip():
            cells.append(_cell("markdown", text, cell_id, metadata))

    for index, cell in enumerate(notebook["cells"]):
        cell_id = cell.get("id", f"cell-{index}")
        if cell["cell_type"] == "code":
            if gate is None:
                cells.append(_strip_code_cell(cell))
            elif solutions:
                printed = _text_outputs(cell)
                gate_parts.append(f"```python\n{_text(cell).rstrip()}\n```")
                if printed:
                    gate_parts.append(f"Output:\n\n```text\n{printed.rstrip()}\n```")
            continue
        if cell["cell_type"] != "markdown":
            if gate is None:
                cells.append(copy.deepcopy(cell))
            continue
        for number, piece in enumerate(split_gates(_text(cell))):
            piece_id = cell_id if number == 0 else f"{cell_id}-{number}"[:64]
            if isinstance(piece, str):
                if gate is None:
                    emit_markdown(piece, piece_id, cell.get("metadata"))
                elif solutions:
                    gate_parts.append(converter.convert(piece))
            elif piece[0] == GATE_START:
                if gate is not None:
                    raise ValueError(f"{path.name}: a solution-start inside the gated solution of {gate!r}.")
                gate, gate_parts, gate_id = piece[1], [], piece_id
            else:
                if gate is None:
                    raise ValueError(f"{path.name}: a solution-end without a solution-start.")
                if solutions:
                    body = "\n\n".join(part for part in gate_parts if part.strip())
                    summary = f"Solution to {converter.exercise_title(gate)}"
                    cells.append(_cell("markdown", converter.details(summary, body).strip(), f"{gate_id}-solution"[:64]))
                gate = None
    if gate is not None:
        raise ValueError(f"{path.name}: the gated solution of {gate!r} has no solution-end.")

    first = cells[0]
    first_text = _BADGE.sub(book.colab_url(docname), _text(first))
    if not solutions:  # the badge opens the Colab edition, which has the solutions
        first_text = _BADGE_LINE.sub("", first_text)
    number = book.chapter_number.get(docname)
    if edition == "colab":
        note = (f"*The Colab edition of [chapter {number} of the book]({book.page_url(docname)}), generated from "
                f"`{docname}.ipynb` by `scripts/editions.py`: edit that file, not this one.*")
    else:
        note = (f"*The student edition of [chapter {number} of the book]({book.page_url(docname)}): the solutions are "
                "left out. Fill in each function that raises `NotImplementedError` and run the check cell after it; "
                "hand in this notebook (in Colab: File > Download > Download .ipynb).*")
    first["source"] = (first_text.rstrip("\n") + "\n\n" + note).splitlines(keepends=True)
    result = {key: value for key, value in notebook.items() if key != "cells"}
    result["metadata"] = dict(notebook.get("metadata", {}))
    result["metadata"]["aelib_edition"] = {"edition": edition, "source": f"{docname}.ipynb"}
    result["cells"] = cells
    result["nbformat"], result["nbformat_minor"] = 4, max(notebook.get("nbformat_minor", 5), 5)
    return result


def dumps(notebook):
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def colab_path(book, docname):
    return book.root / book.edition_dir / f"{docname}.ipynb"


def write_colab(book):
    """Writes the Colab edition of every chapter and removes editions of chapters that are gone."""
    written, failed = set(), []
    for docname in book.chapters():
        target = colab_path(book, docname)
        try:
            text = dumps(build(book.root / f"{docname}.ipynb", book))
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
        raise ValueError("Could not write the Colab edition of every chapter:\n" + "\n".join(failed))
    return sorted(written)


def stale_editions(book):
    """Lists the Colab-edition files that differ from what the chapters generate now (empty when in sync)."""
    stale = []
    expected = {colab_path(book, doc): dumps(build(book.root / f"{doc}.ipynb", book)) for doc in book.chapters()}
    for target, text in expected.items():
        if not target.exists() or target.read_text() != text:
            stale.append(target.relative_to(book.root).as_posix())
    for present in (book.root / book.edition_dir).rglob("*.ipynb"):
        if present not in expected:
            stale.append(present.relative_to(book.root).as_posix())
    return sorted(stale)


def write_student(book, folder):
    """Writes the student edition of every chapter into `folder`; returns the paths."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for docname in book.chapters():
        target = folder / f"{pathlib.PurePosixPath(docname).name}.ipynb"
        target.write_text(dumps(build(book.root / f"{docname}.ipynb", book, solutions=False, edition="student")))
        paths.append(target)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="list stale Colab-edition files; exit 1 if any")
    parser.add_argument("--student", metavar="DIR", help="write the student edition into DIR instead")
    args = parser.parse_args(argv)
    book = Book()
    if book.edition_dir in ("", "notebooks"):
        raise ValueError("Expected repository.path_to_book in _config.yml to name the Colab edition's folder "
                         f"(for example 'colab'). Received: {book.edition_dir!r}")
    if args.check:
        stale = stale_editions(book)
        for path in stale:
            print(f"stale: {path} (run `make editions`)")
        return 1 if stale else 0
    paths = write_student(book, args.student) if args.student else write_colab(book)
    for path in paths:
        print(f"wrote {path.relative_to(book.root) if path.is_relative_to(book.root) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
