"""Turns the chapters' MyST Markdown into the plain Markdown that Colab and Jupyter render.

The text is parsed with markdown-it-py and MyST's own plugins (the parser of myst-parser, so
exactly what the book's build sees), and the conversion edits the source only where a token
asks for it. Everything else, code spans and code blocks above all, is copied byte for byte:

- `:::{exercise}` with `:label:`: a heading `### Exercise 2.1` (the book's number) and its text;
- `:::{solution} label`: a `<details>` block, "Solution to Exercise 2.1", folded (or nothing,
  for the student edition);
- admonitions (`{note}`, `{tip}`, ...): a quoted paragraph with the kind in bold;
- `{cite:p}` / `{cite:t}`: author-year text, each linked to the book's references page;
- `{ref}`, `{numref}`, `{eq}`, `{doc}`: links to the book's pages; `{math}`: `$...$`;
- links to other chapters: their Colab edition; links to the book's other pages: the site;
- targets `(label)=`, comments `% ...`, block breaks `+++` and equation labels: removed.

A construct it does not know is an error that names it, never raw text in a reader's notebook.
The gated solutions (`solution-start` ... `solution-end`), which span cells, are handled by
the caller (scripts/gates.py), which passes each piece of Markdown through `convert`.
"""

import dataclasses
import functools
import posixpath
import re

from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

# The extensions of `parse.myst_enable_extensions` in _config.yml; Book.markdown uses the book's.
EXTENSIONS = ("amsmath", "colon_fence", "deflist", "dollarmath", "html_image")
ADMONITIONS = {
    "note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error",
    "seealso", "admonition", "margin", "sidebar", "topic",
}  # fmt: skip
CITE_ROLES = {
    "cite",
    "cite:p",
    "cite:ps",
    "cite:t",
    "cite:ts",
    "cite:alp",
    "cite:author",
    "cite:year",
}
LITERAL_ROLES = {"sub", "sup", "kbd", "samp", "file", "command", "program", "guilabel"}
GATE_START, GATE_END = "solution-start", "solution-end"

_OPTION = re.compile(r"^[ \t]*:([\w-]+):[ \t]*(.*)$")
_DIRECTIVE_INFO = re.compile(r"^\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>.*?)[ \t]*$", re.S)
_ROLE_SOURCE = re.compile(r"^\{[\w+:-]+\}(?P<ticks>`+)(?P<content>.*)(?P=ticks)$", re.S)
_REF = re.compile(r"^(?P<text>.*?)\s*<(?P<label>[^<>]+)>$", re.S)
_EQUATION_LABEL = re.compile(r"(\$\$)\s*\([^()]*\)\s*$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")


class MystError(ValueError):
    """A construct the editions cannot turn into plain Markdown."""


def _located(fn, first_bracket):
    """Wraps an inline rule so that its tokens record where they start and end in the source.

    The first token gets `meta["start"]`, the last `meta["end"]` (offsets in the inline source);
    a link or an image also gets `meta["label_end"]`, the offset of the `]` that closes its text.
    """

    def rule(state, silent):
        if silent:
            return fn(state, silent)
        start = state.pos
        if state.pending:
            state.pushPending()  # the text before this token is not part of it
        count = len(state.tokens)
        if not fn(state, silent):
            return False
        tokens = state.tokens[count:]
        tokens[0].meta["start"], tokens[-1].meta["end"] = start, state.pos
        if first_bracket is not None:
            label = state.md.helpers.parseLinkLabel(
                state, start + first_bracket, first_bracket == 0
            )
            tokens[0].meta["label_end"] = label
        return True

    return rule


@functools.lru_cache(maxsize=None)
def parser(extensions=EXTENSIONS):
    """MyST's markdown-it parser, with the given extensions, whose roles, links and images record
    their place in the source."""
    md = create_md_parser(MdParserConfig(enable_extensions=set(extensions)), RendererHTML)
    for name, first_bracket in (("myst_role", None), ("link", 0), ("image", 1)):
        rule = next(r for r in md.inline.ruler.__rules__ if r.name == name)
        md.inline.ruler.at(name, _located(rule.fn, first_bracket))
    return md


@dataclasses.dataclass
class Directive:
    """A directive as written: `start` and `end` are its offsets in the text (its whole lines)."""

    name: str
    arg: str
    options: dict
    body: str
    start: int
    end: int


class SourceLines:
    """A text's lines and their offsets, for turning a token's line map into offsets."""

    def __init__(self, text):
        self.text = text
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def span(self, first, stop):
        """The offsets of lines first..stop-1, without the line break after the last."""
        return self.starts[first], self.starts[stop - 1] + len(self.lines[stop - 1])

    def removal(self, first, stop):
        """The offsets that remove lines first..stop-1 with one line break."""
        if stop < len(self.lines):
            return self.starts[first], self.starts[stop]
        start, end = self.span(first, stop)
        return max(start - 1, 0), end


def as_directive(token, lines=None):
    """The Directive of a `{name}` fence token, or None for any other token.

    With the `lines` of the text parsed it has its offsets, and one never closed is an error.
    """
    if token.type not in ("colon_fence", "fence") or not token.info.startswith("{"):
        return None
    info = _DIRECTIVE_INFO.match(token.info.strip())
    if not info:
        return None
    body = token.content.split("\n")[:-1]
    options = {}
    while body and (option := _OPTION.match(body[0])):
        options[option.group(1)] = option.group(2)
        body = body[1:]
    directive = Directive(info["name"], info["arg"], options, "\n".join(body), None, None)
    if lines is not None:
        first, stop = token.map
        closing, fence = lines.lines[stop - 1].strip(), token.markup
        if stop - first < 2 or not (closing.startswith(fence) and set(closing) == {fence[0]}):
            opening = lines.lines[first].strip()
            raise MystError(
                f"The directive {{{info['name']}}} opened by {opening!r} is never closed."
            )
        directive.start, directive.end = lines.span(first, stop)
    return directive


def directives(text, md=None):
    """The directives of a Markdown text, outside code blocks, in order (not those in others)."""
    lines = SourceLines(text)
    found = [as_directive(token, lines) for token in (md or parser()).parse(text)]
    return [directive for directive in found if directive is not None]


def code_blocks(text, languages, md=None):
    """The code of the fenced code blocks of a Markdown text in one of `languages`, in order."""
    fences = [token for token in (md or parser()).parse(text) if token.type == "fence"]
    return [token.content for token in fences if token.info.split(" ")[0] in languages]


def walk(text, md=None):
    """Yields every token of the text, and those of the directives' bodies, in reading order."""
    md = md or parser()
    lines = SourceLines(text)
    for token in md.parse(text):
        yield token
        directive = as_directive(token, lines)
        if directive is not None and directive.name not in (
            "code",
            "code-block",
            "sourcecode",
            "math",
        ):
            yield from walk(directive.body, md)


def remove_directives(text, names, md=None):
    """The text without the directives named, each with its lines."""
    lines = SourceLines(text)
    edits = []
    for token in (md or parser()).parse(text):
        directive = as_directive(token, lines)
        if directive is not None and directive.name in names:
            edits.append((*lines.removal(*token.map), ""))
    return _apply(text, edits)


def _apply(text, edits):
    """The text with each (start, end, replacement) applied; the edits do not overlap."""
    out, position = [], 0
    for start, end, replacement in sorted(edits, key=lambda edit: edit[0]):
        out += [text[position:start], replacement]
        position = end
    return "".join(out) + text[position:]


def _placement(token, lines, cursors):
    """A function from an offset in an inline token's content to the offset in the whole text."""
    if token.map is None:
        return lambda offset: offset
    pieces, offset = [], 0
    for number, part in enumerate(token.content.split("\n")):
        line = token.map[0] + number
        source = lines.lines[line]
        if source.rstrip().endswith(part.rstrip()) and not token.meta.get("cell"):
            column = len(source.rstrip()) - len(part.rstrip())
        else:  # a table cell: one of several on its line
            column = source.find(part, cursors.get(line, 0))
        if column < 0:
            raise MystError(f"Could not place {part!r} in its line {source!r}.")
        cursors[line] = column + len(part)
        pieces.append((offset, lines.starts[line] + column))
        offset += len(part) + 1

    def place(position):
        start, at = next((s, a) for s, a in reversed(pieces) if s <= position)
        return at + position - start

    return place


def leftover_myst(text, md=None):
    """Lists the kinds of MyST syntax still present in `text`, outside code (empty when clean)."""
    found = set()
    for token in walk(text, md):
        if token.type == "colon_fence" or (token.type == "fence" and token.info.startswith("{")):
            found.add("a directive")
            if any(_OPTION.match(line) for line in token.content.split("\n")):
                found.add("a directive option")
        found |= {_LEFTOVER_TOKENS[token.type]} if token.type in _LEFTOVER_TOKENS else set()
        if token.type == "inline":
            if any(_OPTION.match(line) for line in token.content.split("\n")):
                found.add("a directive option")
            for child in token.children:
                if child.type == "myst_role":
                    found.add("a role")
                href = child.attrs.get("href", "") if child.type == "link_open" else ""
                if not _SCHEME.match(href) and re.search(r"\.(md|ipynb)(#.*)?$", href):
                    found.add("a relative link to a page")
    return [kind for kind in LEFTOVER_KINDS if kind in found]


_LEFTOVER_TOKENS = {
    "myst_target": "a target",
    "myst_block_break": "a block break",
    "myst_line_comment": "a comment",
    "math_block_label": "an equation label",
}
LEFTOVER_KINDS = (
    "a directive", "a role", "a directive option", "a target", "a relative link to a page",
    "a block break", "a comment", "an equation label",
)  # fmt: skip


class Converter:
    """Converts the Markdown of one page of `book` (a book_index.Book) for a notebook edition."""

    def __init__(self, book, docname, solutions=True):
        self.book, self.docname, self.solutions = book, docname, solutions
        self.md = book.markdown
        # Links to other chapters open their Colab edition, which has the solutions: not for
        # students.
        self.colab_links = solutions

    def label(self, name):
        if name not in self.book.labels:
            raise MystError(f"{self.docname}: no page of the book defines the label {name!r}.")
        return self.book.labels[name]

    def exercise_title(self, label):
        return self.label(label).text

    def convert(self, text):
        """Returns `text` as plain Markdown."""
        lines, edits, cursors = SourceLines(text), [], {}
        tokens = self.md.parse(text)
        for index, token in enumerate(tokens):
            if token.type in ("th_open", "td_open"):
                tokens[index + 1].meta["cell"] = True
            directive = as_directive(token, lines)
            if directive is not None:
                edits.append((directive.start, directive.end, self.directive(directive)))
            elif token.type in ("myst_target", "myst_line_comment", "myst_block_break"):
                edits.append((*lines.removal(*token.map), ""))
            elif token.type == "math_block_label":  # the book numbers it; Colab shows it plain
                start, end = lines.span(token.map[1] - 1, token.map[1])
                edits.append((start, end, _EQUATION_LABEL.sub(r"\1", text[start:end])))
            elif token.type == "inline":
                place = _placement(token, lines, cursors) if self._edits(token) else None
                edits += [(place(start), place(end), new) for start, end, new in self._edits(token)]
        return re.sub(r"\n{3,}", "\n\n", _apply(text, edits)).strip("\n")

    def inline(self, text):
        """Converts a line of Markdown (a directive's argument): roles and links."""
        (token,) = [t for t in self.md.parseInline(text) if t.type == "inline"]
        return _apply(text, self._edits(token))

    def _edits(self, token):
        """(start, end, replacement) in an inline token's content: its roles, links and images."""
        if "edits" not in token.meta:
            token.meta["edits"] = self._child_edits(token.children or [], token.content)
        return token.meta["edits"]

    def _child_edits(self, children, source):
        edits, index = [], 0
        while index < len(children):
            child = children[index]
            if child.type == "myst_role":
                edits.append((child.meta["start"], child.meta["end"], self.role(child, source)))
            elif child.type == "image":
                edits.append(
                    (child.meta["start"], child.meta["end"], self.link(child, child, source))
                )
            elif child.type == "link_open":
                close = next(
                    i for i in range(index, len(children)) if children[i].type == "link_close"
                )
                inner = self._child_edits(children[index + 1 : close], source)
                end = children[close].meta["end"]
                edits.append(
                    (child.meta["start"], end, self.link(child, children[close], source, inner))
                )
                index = close
            index += 1
        return edits

    def link(self, opening, closing, source, inner=()):
        """A link or an image with its text converted and a relative target resolved."""
        image = opening.type == "image"
        start, label_end, end = (
            opening.meta["start"],
            opening.meta["label_end"],
            closing.meta["end"],
        )
        text_start = start + (2 if image else 1)
        text = source[text_start:label_end]
        if image:  # the alt text was parsed on its own: offsets in it
            text = _apply(text, self._child_edits(opening.children or [], text))
        else:
            text = _apply(text, [(s - text_start, e - text_start, new) for s, e, new in inner])
        destination = source[label_end + 1 : end]
        inline = re.fullmatch(r"\((\s*)(<[^>]*>|[^\s)]+)(.*)\)", destination, re.S)
        if inline:  # not a reference link ([text][name]): its target is resolved
            space, target, rest = inline.groups()
            if target.startswith("<"):
                target = f"<{self.resolve(target[1:-1], image=image)}>"
            else:
                target = self.resolve(target, image=image)
            destination = f"({space}{target}{rest})"
        return f"{'!' if image else ''}[{text}]{destination}"

    def directive(self, directive):
        name, arg, options, body = directive.name, directive.arg, directive.options, directive.body
        if name == "exercise":
            label = options.get("label")
            if not label:
                raise MystError(
                    f"{self.docname}: an exercise has no :label: (every exercise needs one)."
                )
            title = self.exercise_title(label) + (f": {self.inline(arg)}" if arg else "")
            return f"\n### {title}\n\n{self.convert(body)}\n"
        if name == "solution":
            if not self.solutions:
                return ""
            return self.details(
                f"Solution to {self.exercise_title(arg.strip())}", self.convert(body)
            )
        if name in (GATE_START, GATE_END):
            raise MystError(
                f"{self.docname}: {{{name}}} is handled per notebook, "
                "not inside one Markdown string."
            )
        if name in ADMONITIONS:
            title = f": {self.inline(arg)}" if arg else ""
            kind = self.inline(arg) if name == "admonition" else name.capitalize() + title
            quoted = "\n".join(
                f"> {line}" if line else ">" for line in self.convert(body).split("\n")
            )
            return f"\n> **{kind}**\n>\n{quoted}\n"
        if name == "math":
            return f"\n$$\n{body.strip()}\n$$\n"
        if name in ("code", "code-block", "sourcecode"):
            return f"\n```{arg}\n{body}\n```\n"
        if name in ("figure", "image"):
            url = self.resolve(arg, image=True)
            caption = self.convert(body) if name == "figure" else ""
            alt = options.get("alt", caption.split("\n")[0] if caption else "")
            return f"\n![{alt}]({url})\n\n{caption}\n"
        raise MystError(
            f"{self.docname}: the editions do not know the directive {{{name}}}; "
            "teach scripts/myst_markdown.py how Colab should show it."
        )

    @staticmethod
    def details(summary, body):
        """A folded block that Colab and Jupyter render: the summary, and the body when unfolded."""
        return f"\n<details>\n<summary><b>{summary}</b></summary>\n\n{body}\n\n</details>\n"

    def role(self, token, source):
        name = token.meta["name"]
        content = _ROLE_SOURCE.match(source[token.meta["start"] : token.meta["end"]])["content"]
        if name in CITE_ROLES:
            return self.cite(name, [key.strip() for key in content.split(",")])
        if name == "math":
            return f"${content}$"
        if name in ("ref", "numref", "eq"):
            explicit = _REF.match(content)
            text, label = (explicit["text"], explicit["label"]) if explicit else (None, content)
            target = self.label(label.strip())
            shown = target.text
            if text is not None:
                number = target.text.split()[-1]
                shown = text.replace("%s", number).replace("{number}", number)
            return f"[{shown}]({self.book.page_url(target.docname, target.anchor)})"
        if name == "doc":
            explicit = _REF.match(content)
            text, path = (explicit["text"], explicit["label"]) if explicit else (None, content)
            docname = posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), path))
            return f"[{text or docname}]({self.book.page_url(docname)})"
        if name == "abbr":
            return re.sub(r"\s*\(.*\)$", "", content)
        if name in LITERAL_ROLES:
            return f"`{content}`"
        raise MystError(
            f"{self.docname}: the editions do not know the role {{{name}}}; "
            "teach scripts/myst_markdown.py how Colab should show it."
        )

    def cite(self, role, keys):
        url = self.book.page_url(self.book.bibliography_page)
        missing = [key for key in keys if key not in self.book.citations]
        if missing:
            raise MystError(
                f"{self.docname}: no entry in the bibliography for {', '.join(missing)}."
            )
        cited = [self.book.citations[key] for key in keys]
        if role in ("cite:t", "cite:ts", "cite:author"):
            return ", ".join(f"[{names} ({year})]({url})" for names, year in cited)
        return "(" + "; ".join(f"[{names}, {year}]({url})" for names, year in cited) + ")"

    def resolve(self, target, image=False):
        """Where a relative link or image of this page points in a notebook outside the book."""
        if _SCHEME.match(target):
            return target
        path, _, anchor = target.partition("#")
        if not path:  # an anchor on this page
            return self.book.page_url(self.docname, anchor)
        full = posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), path))
        if image:
            return self.book.raw_url(full)
        stem, extension = posixpath.splitext(full)
        if extension not in (".ipynb", ".md"):
            return self.book.raw_url(full)
        if (
            extension == ".ipynb"
            and not anchor
            and stem in self.book.chapter_number
            and self.colab_links
        ):
            return self.book.colab_url(stem)  # a reader in Colab goes on in Colab
        return self.book.page_url(stem, anchor)
