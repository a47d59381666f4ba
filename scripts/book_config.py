"""Writes the build's config: _config.yml, with the executed chapters excluded from execution.

MyST-NB's `auto` mode runs a notebook when any code cell lacks an output, and
a chapter always has silent cells (imports, definitions), so it would re-run
every chapter at every build. What the book wants is narrower: a chapter
committed with its outputs (every code cell has an execution count) is
rendered as it is; one committed without them is run at build time. This
module adds the first kind to `execute.exclude_patterns` and writes the result
to the path given (`make book` passes it to `jupyter-book build --config`):

    python -m scripts.book_config _build/config.yml

The folders of `sphinx.local_extensions` are written as absolute paths, since
jupyter-book reads them relative to the config file.
"""

import pathlib
import sys

import yaml

from scripts.book_index import Book
from scripts.notebooks import executed


def exclude_executed(config, paths, root):
    """Adds the notebooks of `paths` that ran to `execute.exclude_patterns` (relative to `root`)."""
    done = [path.relative_to(root).as_posix() for path in paths if executed(path)]
    execute = config.setdefault("execute", {})
    execute["exclude_patterns"] = sorted(set(execute.get("exclude_patterns") or []) | set(done))


def build_config(book=None):
    book = book or Book()
    config = book.settings()
    exclude_executed(config, sorted((book.root / "notebooks").glob("*.ipynb")), book.root)
    # jupyter-book reads local extensions' folders relative to the config
    # file, which this module writes elsewhere (_build/): make them absolute.
    local = config.get("sphinx", {}).get("local_extensions") or {}
    for name, folder in local.items():
        local[name] = str((book.root / folder).resolve())
    return config


if __name__ == "__main__":
    out = pathlib.Path(sys.argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(build_config(), sort_keys=False))
