"""Reading and writing the chapters' notebooks: one reader (nbformat), one writer, one cell text."""

import copy
import json
import re

import nbformat
from nbformat.v4.rwbase import split_lines


def read(path):
    """The notebook at `path` (nbformat 4): each cell's `source` is one string."""
    return nbformat.read(path, as_version=4)


def source(cell):
    """A cell's text, whether read by nbformat (a string) or written as JSON (a list of lines)."""
    text = cell.get("source", "")
    return text if isinstance(text, str) else "".join(text)


def markdown_texts(notebook):
    """The text of every markdown cell, in order."""
    return [source(cell) for cell in notebook["cells"] if cell["cell_type"] == "markdown"]


def dumps(notebook):
    """The notebook as the repository stores it: its keys in their order, text split into lines."""
    return (
        json.dumps(
            split_lines(nbformat.from_dict(copy.deepcopy(notebook))), indent=1, ensure_ascii=False
        )
        + "\n"
    )


def executed(path):
    """True when every non-empty code cell of the notebook at `path` has been run."""
    code = [c for c in read(path).cells if c.cell_type == "code" and c.source.strip()]
    return all(c.get("execution_count") is not None for c in code)


def python_source(text):
    """A cell's code with IPython's magics and shell lines commented out, so that `ast` reads it."""
    return re.sub(r"^(\s*)([%!])", r"\1# \2", text, flags=re.M)
