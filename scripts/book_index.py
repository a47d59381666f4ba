"""What the editions need to know about the whole book: pages, numbers, labels, citations, addresses.

The Colab and student editions turn the chapters' MyST into plain Markdown, and that needs
facts that live outside a single cell: the number of each chapter (its place in `_toc.yml`),
the number of each exercise (its place in its chapter, as sphinx-exercise counts), the page
that holds each label, the author-year text of each BibTeX key, and the addresses of the
book's site (`html.baseurl`) and of the repository (`repository.url`, `repository.path_to_book`).
"""

import dataclasses
import json
import pathlib
import re

import yaml
from docutils.nodes import make_id  # how Sphinx turns a label into an HTML id
from pybtex.database import parse_file

ROOT = pathlib.Path(__file__).resolve().parent.parent

_EXERCISE = re.compile(r"^:{3,}\{exercise\}.*\n(?::[\w-]+:.*\n)*?:label:\s*(\S+)", re.M)
_TARGET = re.compile(r"^\(([\w.:-]+)\)=\s*\n+#+\s+(.+)$", re.M)
_DOLLAR_LABEL = re.compile(r"\$\$\s*\(([\w.:-]+)\)\s*$", re.M)


@dataclasses.dataclass
class Label:
    """Where a label lives and how a reference to it reads."""

    docname: str  # e.g. "notebooks/02_vae"
    text: str  # e.g. "Exercise 2.1", or a section's title
    anchor: str  # the HTML id on the book's page


def markdown_sources(path):
    """The Markdown of a page: one string per markdown cell of a notebook, the whole file otherwise."""
    if path.suffix != ".ipynb":
        return [path.read_text()]
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def _toc_entries(node, numbered=False):
    """Yields (docname, numbered) for every file of the table of contents, in order."""
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"], numbered
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key, []):
                yield from _toc_entries(child, numbered or bool(node.get("numbered")))
    elif isinstance(node, list):
        for child in node:
            yield from _toc_entries(child, numbered)


def author_year(entry):
    """Returns ("Kingma and Welling", "2014") as sphinxcontrib-bibtex's author_year style writes them."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
    if not last:
        names = entry.fields.get("organization", entry.fields.get("title", "?"))
    elif len(last) == 1:
        names = last[0]
    elif len(last) == 2:
        names = f"{last[0]} and {last[1]}"
    else:
        names = f"{last[0]} et al."
    return names, entry.fields.get("year", "n.d.")


@dataclasses.dataclass
class Book:
    """The facts about the book that the editions need, read from the repository at `root`."""

    root: pathlib.Path = ROOT

    def __post_init__(self):
        config = yaml.safe_load((self.root / "_config.yml").read_text())
        repository = config["repository"]
        self.repo_url = repository["url"].rstrip("/")
        self.slug = self.repo_url.removeprefix("https://github.com/")
        self.branch = repository.get("branch", "main")
        self.edition_dir = (repository.get("path_to_book") or "").strip("/")
        baseurl = (config.get("html") or {}).get("baseurl")
        if not baseurl:
            raise ValueError("Expected html.baseurl in _config.yml (the address of the built book); it is not set.")
        self.baseurl = baseurl.rstrip("/") + "/"
        toc = yaml.safe_load((self.root / "_toc.yml").read_text())
        entries = [(toc["root"], False), *_toc_entries(toc.get("parts", toc.get("chapters", [])))]
        self.pages = [doc for doc, _ in entries]
        numbered = [doc for doc, is_numbered in entries if is_numbered]
        self.chapter_number = {doc: i + 1 for i, doc in enumerate(numbered)}
        self.labels = {}
        for doc in self.pages:
            path = self.source_path(doc)
            if path is not None:
                self._index_labels(doc, markdown_sources(path))
        bib_files = config.get("bibtex_bibfiles", [])
        self.citations = {}
        for bib in bib_files:
            for key, entry in parse_file(str(self.root / bib)).entries.items():
                self.citations[key] = author_year(entry)
        self.bibliography_page = next((d for d in self.pages if d.endswith("references")), self.pages[0])

    def source_path(self, docname):
        for suffix in (".ipynb", ".md"):
            path = self.root / f"{docname}{suffix}"
            if path.exists():
                return path
        return None

    def _index_labels(self, doc, sources):
        prefix = f"{self.chapter_number[doc]}." if doc in self.chapter_number else ""
        exercises = equations = 0
        for text in sources:
            for match in _EXERCISE.finditer(text):
                exercises += 1
                self.labels[match.group(1)] = Label(doc, f"Exercise {prefix}{exercises}", make_id(match.group(1)))
            for match in _TARGET.finditer(text):
                self.labels[match.group(1)] = Label(doc, match.group(2).strip(), make_id(match.group(1)))
            for match in _DOLLAR_LABEL.finditer(text):
                equations += 1
                self.labels[match.group(1)] = Label(doc, f"({prefix}{equations})", make_id(f"equation-{match.group(1)}"))

    def page_url(self, docname, anchor=""):
        """The address of a page of the built book, e.g. `https://.../notebooks/02_vae.html#vae-elbo-gap`."""
        return f"{self.baseurl}{docname}.html" + (f"#{anchor}" if anchor else "")

    def colab_url(self, docname):
        """The address that opens the Colab edition of a chapter."""
        folder = f"{self.edition_dir}/" if self.edition_dir else ""
        return f"https://colab.research.google.com/github/{self.slug}/blob/{self.branch}/{folder}{docname}.ipynb"

    def raw_url(self, path):
        """The address of a file of the repository as GitHub serves it (for images)."""
        return f"https://raw.githubusercontent.com/{self.slug}/{self.branch}/{path}"

    def chapters(self):
        """The chapters' docnames, in the book's order (the numbered notebooks)."""
        return [doc for doc in self.chapter_number if (self.root / f"{doc}.ipynb").exists()]
