"""The library's own code, shown in the chapters instead of copied into them.

A chapter explains a formula, then displays the function of `aelib` that
computes it with `aelib.show_source`, so what the book shows is what runs:
an edit to the library changes the book at its next build.
"""

import ast
import inspect
import textwrap


def show_source(obj, docstring=True):
    """Displays the source code of an aelib function, class or method in the notebook.

    The chapters teach from the library's own code: they show it with this
    function instead of copying it into a cell, so the book cannot drift from
    what runs.

    Args:
        obj: a function, class or method.
        docstring: `False` leaves out the docstrings, where the chapter's prose
            already says what they say.
    """
    from IPython.display import Markdown, display

    display(Markdown(f"```python\n{source_text(obj, docstring=docstring)}\n```"))


def source_text(obj, docstring=True):
    """The code `show_source` displays: the source of `obj`, dedented, with or without docstrings.

    Example:

    >>> print(source_text(VAE.loss_terms, docstring=False))  # `def loss_terms(` at the margin
    """
    source = textwrap.dedent(inspect.getsource(obj))
    if not docstring:
        lines = source.splitlines()
        docstrings = [
            node.body[0]
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
            and isinstance(node.body[0].value.value, str)
        ]
        for node in sorted(docstrings, key=lambda node: node.lineno, reverse=True):
            del lines[node.lineno - 1 : node.end_lineno]  # ast counts lines from 1
            if node.lineno <= len(lines) and not lines[node.lineno - 1].strip():
                del lines[node.lineno - 1]  # the blank line that followed a class's docstring
        source = "\n".join(lines)
    return source.rstrip()
