"""The book's own Sphinx settings that no configuration key covers.

Loaded through `sphinx.local_extensions` in _config.yml. It does two things:

* **Bibliography labels in the citations' form.** The chapters cite
  author-year ("[Bishop, 2006]", sphinxcontrib-bibtex's `author_year`
  reference style), but pybtex's label styles give `[Bis06]` or `[1]`. The
  pybtex style `aelib` registered here is pybtex's `plain` with a label style
  that writes the same text as the citation: "Bishop, 2006", "Kingma and
  Welling, 2014", "Amini et al., 2019".
* **Alt text for the figures a chapter draws.** MyST-NB gives a notebook's
  image output no alt text, so the HTML falls back to the image's hashed file
  name. Each such image gets the title(s) its cell gives the figure
  (`set_title`, `suptitle`, `title=` with a plain string), or else the title
  of the section it is in, so a screen reader says what the figure shows.
"""

import ast
import re

from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def author_year(entry):
    """Returns ("van den Oord et al.", "2017"): the author-year text of a pybtex entry.

    The one place this text is computed: the bibliography's labels here, and the citations of
    the Colab edition (scripts/book_index.py), as sphinxcontrib-bibtex's `author_year` style
    writes them on the site: a name's particles ("van den") stay with it, one or two names are
    given, three or more are "et al.".
    """
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [
        " ".join(str(part) for part in p.rich_prelast_names + p.rich_last_names) for p in people
    ]
    if not last:
        names = entry.fields.get("organization") or entry.fields.get("title") or entry.key
    elif len(last) == 1:
        names = last[0]
    elif len(last) == 2:
        names = f"{last[0]} and {last[1]}"
    else:
        names = f"{last[0]} et al."
    # Braces only protect case in BibTeX; they are not part of the name.
    return names.replace("{", "").replace("}", ""), entry.fields.get("year", "n.d.")


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels such as "Kingma and Welling, 2014", the text the citations show."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            yield "{}, {}".format(*author_year(entry))


class AuthorYearStyle(PlainStyle):
    """pybtex's `plain` entries, sorted by author and year, labelled author-year."""

    default_label_style = "aelib_author_year"
    default_sorting_style = "author_year_title"


register_plugin("pybtex.style.labels", "aelib_author_year", AuthorYearLabelStyle)
register_plugin("pybtex.style.formatting", "aelib", AuthorYearStyle)


_TITLE_CALLS = {"set_title", "suptitle", "title"}


def _figure_titles(source):
    """The literal titles a cell's code gives its figure, in order (f-strings: their text parts)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics (%pip) make a cell invalid Python
        tree = ast.parse(
            "\n".join(
                line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
            )
        )

    def text(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):  # a computed value reads as "…"
            parts = [v.value if isinstance(v, ast.Constant) else "\u2026" for v in node.values]
            return "".join(parts).strip(" :=,")
        return None

    titles = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        if name.endswith("_diagram"):  # aelib.diagrams.vae_diagram(): "Diagram: vae"
            titles.append("Diagram: " + name.removesuffix("_diagram").replace("_", " "))
        found = [node.args[0]] if name in _TITLE_CALLS and node.args else []
        found += [k.value for k in node.keywords if k.arg in ("title", "suptitle")]
        for value in map(text, found):
            if value and value.strip(" \u2026"):
                titles.append(value.strip())
    return list(dict.fromkeys(titles))


def _plain(text):
    """Matplotlib mathtext ($\\mu$) and spacing to plain words for an alt text."""
    text = re.sub(
        r"\$([^$]*)\$",
        lambda m: re.sub(r"\\(\w+)", r"\1", m.group(1)).replace("{", "").replace("}", ""),
        text,
    )
    return re.sub(r"\s+", " ", text).strip()


def add_figure_alt_text(app, doctree, docname):
    """Gives every notebook image output without alt text the titles its cell draws."""
    for cell in doctree.findall(
        lambda n: isinstance(n, nodes.container) and n.get("nb_element") == "cell_code"
    ):
        images = [img for img in cell.findall(nodes.image) if not img.get("alt")]
        if not images:
            continue
        sources = [
            block.astext()
            for part in cell.children
            if isinstance(part, nodes.container) and part.get("nb_element") == "cell_code_source"
            for block in part.findall(nodes.literal_block)
        ]
        titles = [_plain(t) for t in _figure_titles(sources[0] if sources else "")]
        section = cell.parent
        while section is not None and not isinstance(section, nodes.section):
            section = section.parent
        heading = section[0].astext() if section is not None else app.env.titles[docname].astext()
        for number, image in enumerate(images, start=1):
            if titles and titles[0].startswith("Diagram: "):
                image["alt"] = "; ".join(titles)
            elif titles:
                image["alt"] = "Figure: " + "; ".join(titles)
            elif len(images) > 1:
                image["alt"] = f"Figure {number} of the section \u201c{heading}\u201d"
            else:
                image["alt"] = f"Figure of the section \u201c{heading}\u201d"


def setup(app):
    app.connect("doctree-resolved", add_figure_alt_text)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
