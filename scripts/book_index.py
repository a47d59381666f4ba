"""The book's settings and what the editions need to know about the whole book.

`Book` reads `_config.yml` once and is the one place its values are read: the addresses of
the repository (`repository.url`, `branch`, `path_to_book`, the folder of the Colab edition)
and of the built site (`html.baseurl`), and the MyST extensions the chapters are written with.

The Colab and student editions turn the chapters' MyST into plain Markdown, and that needs
facts that live outside a single cell, which `Book` computes when first asked: the number of
each chapter (its place in `_toc.yml`), the number of each exercise (its place in its chapter,
as sphinx-exercise counts), the page that holds each label, and the author-year text of each
BibTeX key (the function the site's bibliography uses, book/_ext/aelib_book.py).
"""

import copy
import dataclasses
import functools
import pathlib
import re

import yaml
from docutils.nodes import make_id  # how Sphinx turns a label into an HTML id
from pybtex.database import parse_file

from book._ext.aelib_book import author_year
from scripts import myst_markdown, notebooks

ROOT = pathlib.Path(__file__).resolve().parent.parent

# The address that opens a chapter's notebook in Colab, whichever repository, branch and folder.
COLAB_URL = re.compile(
    r"https://colab\.research\.google\.com/github/(?P<slug>[^\s)\"'/]+/[^\s)\"'/]+)/blob/"
    r"(?P<branch>[^\s)\"'/]+)/(?:[\w.-]+/)*?(?P<notebook>notebooks/[\w.-]+\.ipynb)"
)
# A line that links to one: the chapters' "Open in Colab" badge.
BADGE_LINE = re.compile(rf"^.*\({COLAB_URL.pattern}\).*\n?", re.M)


@dataclasses.dataclass
class Label:
    """Where a label lives and how a reference to it reads."""

    docname: str  # e.g. "notebooks/02_vae"
    text: str  # e.g. "Exercise 2.1", or a section's title
    anchor: str  # the HTML id on the book's page


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


@dataclasses.dataclass
class Book:
    """The book at `root`: its settings, from _config.yml, and its index, computed when asked."""

    root: pathlib.Path = ROOT

    def __post_init__(self):
        self.root = pathlib.Path(self.root)
        self.config = yaml.safe_load((self.root / "_config.yml").read_text())
        repository = self.config["repository"]
        self.repo_url = repository["url"].rstrip("/")
        if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", self.repo_url):
            raise ValueError(
                "Expected repository.url in _config.yml of the form https://github.com/OWNER/NAME. "
                f"Received: {self.repo_url!r}"
            )
        self.slug = self.repo_url.removeprefix("https://github.com/")
        self.branch = repository.get("branch", "main")
        self.edition_dir = (repository.get("path_to_book") or "").strip("/")

    def settings(self):
        """A copy of _config.yml's settings, to change for a build."""
        return copy.deepcopy(self.config)

    @functools.cached_property
    def baseurl(self):
        baseurl = (self.config.get("html") or {}).get("baseurl")
        if not baseurl:
            raise ValueError(
                "Expected html.baseurl in _config.yml (the address of the built book); "
                "it is not set."
            )
        return baseurl.rstrip("/") + "/"

    @functools.cached_property
    def markdown(self):
        """The MyST parser with the book's extensions (`parse.myst_enable_extensions`)."""
        extensions = (self.config.get("parse") or {}).get("myst_enable_extensions") or []
        return myst_markdown.parser(tuple(sorted(extensions)))

    @functools.cached_property
    def _toc(self):
        toc = yaml.safe_load((self.root / "_toc.yml").read_text())
        return [(toc["root"], False), *_toc_entries(toc.get("parts", toc.get("chapters", [])))]

    @functools.cached_property
    def pages(self):
        return [doc for doc, _ in self._toc]

    @functools.cached_property
    def chapter_number(self):
        numbered = [doc for doc, is_numbered in self._toc if is_numbered]
        return {doc: i + 1 for i, doc in enumerate(numbered)}

    @functools.cached_property
    def labels(self):
        labels = {}
        for doc in self.pages:
            path = self.source_path(doc)
            if path is not None:
                labels.update(self._labels_of(doc, self.markdown_texts(path)))
        return labels

    @functools.cached_property
    def citations(self):
        citations = {}
        for bib in self.config.get("bibtex_bibfiles", []):
            for key, entry in parse_file(str(self.root / bib)).entries.items():
                citations[key] = author_year(entry)
        return citations

    @functools.cached_property
    def bibliography_page(self):
        return next((d for d in self.pages if d.endswith("references")), self.pages[0])

    def source_path(self, docname):
        for suffix in (".ipynb", ".md"):
            path = self.root / f"{docname}{suffix}"
            if path.exists():
                return path
        return None

    @staticmethod
    def markdown_texts(path):
        """The Markdown of a page: one string a markdown cell of a notebook, else the whole file."""
        if path.suffix != ".ipynb":
            return [path.read_text()]
        return notebooks.markdown_texts(notebooks.read(path))

    def _labels_of(self, doc, texts):
        """The labels a page defines: its exercises, its targets before a heading, its equations."""
        prefix = f"{self.chapter_number[doc]}." if doc in self.chapter_number else ""
        labels, exercises, equations = {}, 0, 0
        for text in texts:
            tokens = list(myst_markdown.walk(text, self.markdown))
            for index, token in enumerate(tokens):
                directive = myst_markdown.as_directive(token)
                if (
                    directive is not None
                    and directive.name == "exercise"
                    and "label" in directive.options
                ):
                    exercises += 1
                    label = directive.options["label"].strip()
                    labels[label] = Label(doc, f"Exercise {prefix}{exercises}", make_id(label))
                elif (
                    token.type == "myst_target"
                    and tokens[index + 1 : index + 2]
                    and tokens[index + 1].type == "heading_open"
                ):
                    heading = tokens[index + 2].content.strip()
                    labels[token.content] = Label(doc, heading, make_id(token.content))
                elif token.type == "math_block_label":
                    equations += 1
                    labels[token.info] = Label(
                        doc, f"({prefix}{equations})", make_id(f"equation-{token.info}")
                    )
        return labels

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

    def chapter_path(self, docname):
        return self.root / f"{docname}.ipynb"
