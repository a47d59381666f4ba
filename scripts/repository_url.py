"""Keeps the repository address in one place: `repository.url` in _config.yml.

The chapters' "Open in Colab" badges, their install cells and the README's
links are all written from that value. The badges open the Colab edition of a
chapter, `<repository.path_to_book>/notebooks/NN_name.ipynb` (scripts/editions.py
writes it), never the chapter itself, whose MyST Colab would show as raw text.
`python -m scripts.repository_url` rewrites them after the value changes and
then regenerates the Colab edition (`make sync-url`); with `--check` it only
lists what disagrees, and tests/test_book.py runs that check.
"""

import re
import sys

from scripts import editions, notebooks
from scripts.book_index import COLAB_URL, Book

_INSTALL = re.compile(r"git\+https://[^\s\"'@]+")


def rewrite(text, book):
    """`text` with every Colab link opening the book's Colab edition, every install address its."""
    prefix = f"{book.edition_dir}/" if book.edition_dir else ""
    text = COLAB_URL.sub(
        lambda m: (
            f"https://colab.research.google.com/github/{book.slug}/blob/{book.branch}/{prefix}{m['notebook']}"
        ),
        text,
    )
    return _INSTALL.sub(f"git+{book.repo_url}", text)


def files(book):
    return [book.root / "README.md", *sorted((book.root / "notebooks").glob("*.ipynb"))]


def _texts(path):
    if path.suffix != ".ipynb":
        return [path.read_text()]
    return [notebooks.source(cell) for cell in notebooks.read(path).cells]


def disagreements(book=None):
    """Lists (file, line) for every line whose links do not match _config.yml."""
    book = book or Book()
    wrong = []
    for path in files(book):
        for text in _texts(path):
            for line in text.splitlines():
                if rewrite(line, book) != line:
                    wrong.append((path.relative_to(book.root).as_posix(), line.strip()))
    return wrong


def sync(book):
    for path in files(book):
        if path.suffix != ".ipynb":
            path.write_text(rewrite(path.read_text(), book))
            continue
        notebook = notebooks.read(path)
        for cell in notebook.cells:
            cell.source = rewrite(cell.source, book)
        path.write_text(notebooks.dumps(notebook))


if __name__ == "__main__":
    if "--check" in sys.argv:
        wrong = disagreements()
        for path, line in wrong:
            print(f"{path}: {line}")
        sys.exit(1 if wrong else 0)
    sync(Book())
    editions.main([])  # the Colab edition copies the chapters' badges and install cells
