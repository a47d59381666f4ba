"""Tests for aelib.source: what `show_source` displays, for every call of the chapters."""

import importlib
import json
import pathlib
import re

from aelib.source import source_text

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


def _displayed():
    """Every `show_source(...)` call of the chapters: (chapter, expression, object, docstring)."""
    calls = []
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] == "code":
                calls += _calls_of(notebook.name, "".join(cell["source"]))
    return calls


def _import_longest(parts):
    """Imports the longest prefix of `parts` that names an aelib module; returns it and the rest."""
    if parts[0] in ("Autoencoder", "VAE", "WAE"):
        return importlib.import_module("aelib.models"), parts
    for end in range(len(parts), 0, -1):
        try:
            return importlib.import_module("aelib." + ".".join(parts[:end])), parts[end:]
        except ModuleNotFoundError:
            continue
    raise AssertionError(f"not an aelib name: {parts}")


def test_the_chapters_display_short_lines_and_no_private_calls():
    calls = _displayed()
    assert len(calls) > 20
    for chapter, expression, obj, docstring in calls:
        text = source_text(obj, docstring=docstring)
        wide = [line for line in text.splitlines() if len(line) > 100]
        assert not wide, (chapter, expression, wide)
        private = re.findall(r"(?<![\w.])(_[a-z]\w*)\(", text)  # not __init__
        assert not private, (chapter, expression, private)


def test_source_text_is_dedented_and_can_leave_out_docstrings():
    from aelib.models import VAE, Autoencoder

    method = source_text(VAE.loss_terms)
    assert method.startswith("def loss_terms(self, x, y_pred):") and '"""' in method
    bare = source_text(VAE.loss_terms, docstring=False)
    assert '"""' not in bare and bare.startswith("def loss_terms(")
    assert bare.splitlines()[1:] == [line for line in method.splitlines()[1:] if '"""' not in line]
    # A class: its docstring and its methods' go, and no blank line is left under `class ...:`.
    cls = source_text(Autoencoder, docstring=False)
    lines = cls.splitlines()
    assert '"""' not in cls and lines[1].startswith("class Autoencoder(") and lines[2].strip()
    assert "def loss_terms(self, x, y_pred):" in cls


def test_the_chapters_call_show_source_from_the_package():
    # `aelib.show_source`: a call through a module that no longer holds it fails only when run.
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] == "code":
                for prefix in re.findall(r"([\w.]*)show_source\(", "".join(cell["source"])):
                    assert prefix == "aelib.", (notebook.name, prefix + "show_source")


def test_the_committed_chapters_display_the_code_that_runs():
    """Each executed show_source cell shows today's source: a changed docstring or line of aelib
    that the chapters display makes this fail until the chapter is executed again."""
    stale = []
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] != "code" or "show_source(" not in source:
                continue
            shown = [
                "".join(output["data"]["text/markdown"])
                for output in cell.get("outputs", [])
                if "text/markdown" in output.get("data", {})
            ]
            for _, expression, obj, docstring in _calls_of(notebook.name, source):
                expected = f"```python\n{source_text(obj, docstring=docstring)}\n```"
                if expected not in shown:
                    stale.append(f"{notebook.name}: {expression}")
    assert not stale, f"displayed code differs from aelib's (run make execute): {stale}"


def _calls_of(chapter, source):
    calls = []
    for expression, options in re.findall(r"show_source\(([\w.]+)(.*?)\)\n", source + "\n"):
        names = expression.removeprefix("aelib.").split(".")
        if names[0] == "model_class":  # chapter 4's loop over the three models
            names = [[cls] + names[1:] for cls in ("Autoencoder", "VAE", "WAE")]
        else:
            names = [names]
        for parts in names:
            module, rest = _import_longest(parts)
            obj = module
            for part in rest:
                obj = getattr(obj, part)
            calls.append((chapter, expression, obj, "docstring=False" not in options))
    return calls
