"""The walk through a chapter's cells that knows which lie inside a gated solution.

A gated solution spans cells: `:::{solution-start} label` opens it in a markdown cell, the cells
after it (code, with its outputs, and markdown) are the solution, and `:::{solution-end}` closes
it, in the same cell or a later one. `walk` splits every markdown cell at these gates and yields
the pieces in order, each with the label of the gate it lies in, so that the Colab edition (which
folds the gate), the student edition, the student site (which leave it out) and the assignments
(which take the reference solution from it) read a chapter the same way.
"""

import dataclasses

from scripts.myst_markdown import GATE_END, GATE_START, directives
from scripts.notebooks import source


@dataclasses.dataclass
class Piece:
    """A part of a chapter: a whole code or raw cell, a piece of a markdown cell, or a gate."""

    kind: str  # "code", "markdown", "raw", GATE_START or GATE_END
    text: str  # the cell's code, or the piece's Markdown ("" for a gate)
    cell: dict  # the cell it comes from
    index: int  # that cell's place in the notebook
    id: str  # the cell's id; the n-th piece of a markdown cell after the first: "<id>-<n>"
    gate: str | None  # the label of the gated solution it lies in (a gate: the label it names)


def split(text, md=None):
    """Splits Markdown at its gates: a list of str and (GATE_START or GATE_END, label)."""
    pieces, position = [], 0
    for directive in directives(text, md):
        if directive.name in (GATE_START, GATE_END):
            label = directive.arg.split()[0] if directive.arg.split() else ""
            pieces += [text[position : directive.start], (directive.name, label)]
            position = directive.end
    return [*pieces, text[position:]]


def walk(notebook, name="the notebook", md=None):
    """Yields the Pieces of a notebook in order; a gate that does not close, or closes without
    opening, is a ValueError that names `name`."""
    gate = None
    for index, cell in enumerate(notebook["cells"]):
        cell_id = cell.get("id", f"cell-{index}")
        if cell["cell_type"] != "markdown":
            yield Piece(cell["cell_type"], source(cell), cell, index, cell_id, gate)
            continue
        for number, piece in enumerate(split(source(cell), md)):
            piece_id = cell_id if number == 0 else f"{cell_id}-{number}"[:64]
            if isinstance(piece, str):
                yield Piece("markdown", piece, cell, index, piece_id, gate)
                continue
            kind, label = piece
            if kind == GATE_START and gate is not None:
                raise ValueError(f"{name}: a solution-start inside the gated solution of {gate!r}.")
            if kind == GATE_END and gate is None:
                raise ValueError(f"{name}: a solution-end without a solution-start.")
            yield Piece(kind, "", cell, index, piece_id, label if kind == GATE_START else gate)
            gate = label if kind == GATE_START else None
    if gate is not None:
        raise ValueError(f"{name}: the gated solution of {gate!r} has no solution-end.")
