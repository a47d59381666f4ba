"""The library is a text to learn from: no module of `aelib` is longer than 300 lines."""

import pathlib

import pytest

LIBRARY = pathlib.Path(__file__).resolve().parent.parent / "aelib"
MOST_LINES = 300  # as formatted by ruff (line length 100)
MODULES = sorted(LIBRARY.rglob("*.py"))


def test_the_library_has_modules():
    assert len(MODULES) > 20 and LIBRARY / "__init__.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(LIBRARY)))
def test_module_is_at_most_300_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MOST_LINES, (
        f"aelib/{path.relative_to(LIBRARY)} has {lines} lines, more than {MOST_LINES}: "
        "split it by idea"
    )
