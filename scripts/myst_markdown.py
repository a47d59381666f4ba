"""Turns the chapters' MyST Markdown into the plain Markdown that Colab and Jupyter render.

What each construct becomes:

- `:::{exercise}` with `:label:`: a heading `### Exercise 2.1` (the book's number) and its text;
- `:::{solution} label`: a `<details>` block, "Solution to Exercise 2.1", folded (or nothing,
  for the student edition);
- admonitions (`{note}`, `{tip}`, ...): a quoted paragraph with the kind in bold;
- `{cite:p}` / `{cite:t}`: author-year text, each linked to the book's references page;
- `{ref}`, `{numref}`, `{eq}`, `{doc}`: links to the book's pages; `{math}`: `$...$`;
- links to other chapters: their Colab edition; links to the book's other pages: the site;
- targets `(label)=`, comments `% ...` and block breaks `+++`: removed.

A construct it does not know is an error that names it, never raw text in a reader's notebook.
The gated solutions (`solution-start` ... `solution-end`), which span cells, are handled by
the caller (scripts/editions.py), which passes each piece of Markdown through `convert`.
"""

import posixpath
import re

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>:{3,}|`{3,}|~{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>.*?)[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})")
_OPTION = re.compile(r"^[ \t]*:([\w-]+):[ \t]*(.*)$")
_ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<content>[^`]+)`")
_LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
_REF = re.compile(r"^(?P<text>.*?)\s*<(?P<label>[^<>]+)>$", re.S)

ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error", "seealso",
               "admonition", "margin", "sidebar", "topic"}
GATE_START, GATE_END = "solution-start", "solution-end"


class MystError(ValueError):
    """A construct the editions cannot turn into plain Markdown."""


def parse(text):
    """Splits Markdown into plain lines and directives: a list of str and (name, arg, options, body, raw) tuples."""
    lines, items, i = text.split("\n"), [], 0
    while i < len(lines):
        line = lines[i]
        opening = _OPEN.match(line)
        plain = _FENCE.match(line)
        if plain and not opening:  # a code block: copied through untouched
            fence = plain.group("fence")
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(fence):
                j += 1
            items.extend(lines[i : j + 1])
            i = j + 1
            continue
        if not opening:
            items.append(line)
            i += 1
            continue
        fence = opening.group("fence")
        j, options = i + 1, {}
        while j < len(lines) and (match := _OPTION.match(lines[j])):
            options[match.group(1)] = match.group(2)
            j += 1
        body, depth = [], 0
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped == fence or (fence[0] != ":" and stripped.startswith(fence) and set(stripped) == {fence[0]}):
                if depth == 0:
                    break
                depth -= 1
            elif (inner := _OPEN.match(lines[j])) and inner.group("fence") == fence:
                depth += 1
            body.append(lines[j])
            j += 1
        else:
            raise MystError(f"The directive {{{opening.group('name')}}} opened by {line.strip()!r} is never closed.")
        raw = "\n".join(lines[i : j + 1])  # the directive as written, from its opening to its closing line
        items.append((opening.group("name"), opening.group("arg"), options, "\n".join(body), raw))
        i = j + 1
    return items


class Converter:
    """Converts the Markdown of one page of `book` (a scripts/book_index.Book) for a notebook edition."""

    def __init__(self, book, docname, solutions=True):
        self.book, self.docname, self.solutions = book, docname, solutions
        # Links to other chapters open their Colab edition, which has the solutions: not for students.
        self.colab_links = solutions

    def label(self, name):
        if name not in self.book.labels:
            raise MystError(f"{self.docname}: no page of the book defines the label {name!r}.")
        return self.book.labels[name]

    def exercise_title(self, label):
        return self.label(label).text

    def convert(self, text):
        """Returns `text` as plain Markdown."""
        out, lines = [], []
        for item in parse(text) + [None]:
            if isinstance(item, str):
                lines.append(item)
                continue
            if lines:  # a run of plain lines: roles and links may span line breaks
                out.append(self.inline("\n".join(lines)))
                lines = []
            if item is not None:
                out.append(self.directive(*item))
        result = "\n".join(out)
        return re.sub(r"\n{3,}", "\n\n", result).strip("\n")

    def directive(self, name, arg, options, body, raw=""):
        if name == "exercise":
            label = options.get("label")
            if not label:
                raise MystError(f"{self.docname}: an exercise has no :label: (every exercise needs one).")
            title = self.exercise_title(label) + (f": {self.inline(arg)}" if arg else "")
            return f"\n### {title}\n\n{self.convert(body)}\n"
        if name == "solution":
            if not self.solutions:
                return ""
            return self.details(f"Solution to {self.exercise_title(arg.strip())}", self.convert(body))
        if name in (GATE_START, GATE_END):
            raise MystError(f"{self.docname}: {{{name}}} is handled per notebook, not inside one Markdown string.")
        if name in ADMONITIONS:
            kind = self.inline(arg) if name == "admonition" else name.capitalize() + (f": {self.inline(arg)}" if arg else "")
            quoted = "\n".join(f"> {line}" if line else ">" for line in self.convert(body).split("\n"))
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
        raise MystError(f"{self.docname}: the editions do not know the directive {{{name}}}; "
                        "teach scripts/myst_markdown.py how Colab should show it.")

    @staticmethod
    def details(summary, body):
        """A folded block that Colab and Jupyter render: the summary line, and the body when unfolded."""
        return f"\n<details>\n<summary><b>{summary}</b></summary>\n\n{body}\n\n</details>\n"

    def inline(self, text):
        """Converts plain Markdown lines (no directives): roles, links, targets, comments."""
        kept = []
        for line in text.split("\n"):
            stripped = line.strip()
            if re.fullmatch(r"\([\w.:-]+\)=", stripped) or stripped.startswith("%") or stripped == "+++":
                continue
            kept.append(re.sub(r"(\$\$)\s*\([\w.:-]+\)\s*$", r"\1", line))  # an equation's label
        text = _ROLE.sub(self.role, "\n".join(kept))
        return _LINK.sub(self.link, text)

    def role(self, match):
        name, content = match.group("name"), match.group("content")
        if name in ("cite", "cite:p", "cite:ps", "cite:t", "cite:ts", "cite:alp", "cite:author", "cite:year"):
            return self.cite(name, [key.strip() for key in content.split(",")])
        if name == "math":
            return f"${content}$"
        if name in ("ref", "numref", "eq"):
            explicit = _REF.match(content)
            text, label = (explicit.group("text"), explicit.group("label")) if explicit else (None, content)
            target = self.label(label.strip())
            shown = target.text
            if text is not None:
                shown = text.replace("%s", target.text.split()[-1]).replace("{number}", target.text.split()[-1])
            return f"[{shown}]({self.book.page_url(target.docname, target.anchor)})"
        if name == "doc":
            explicit = _REF.match(content)
            text, path = (explicit.group("text"), explicit.group("label")) if explicit else (None, content)
            docname = posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), path))
            return f"[{text or docname}]({self.book.page_url(docname)})"
        if name in ("abbr", "sub", "sup", "kbd", "samp", "file", "command", "program", "guilabel"):
            return re.sub(r"\s*\(.*\)$", "", content) if name == "abbr" else f"`{content}`"
        raise MystError(f"{self.docname}: the editions do not know the role {{{name}}}; "
                        "teach scripts/myst_markdown.py how Colab should show it.")

    def cite(self, role, keys):
        url = self.book.page_url(self.book.bibliography_page)
        missing = [key for key in keys if key not in self.book.citations]
        if missing:
            raise MystError(f"{self.docname}: no entry in the bibliography for {', '.join(missing)}.")
        if role in ("cite:t", "cite:ts", "cite:author"):
            return ", ".join(f"[{names} ({year})]({url})" for names, year in (self.book.citations[k] for k in keys))
        return "(" + "; ".join(f"[{names}, {year}]({url})" for names, year in (self.book.citations[k] for k in keys)) + ")"

    def resolve(self, target, image=False):
        """The address a relative link or image of this page points to in a notebook outside the book."""
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
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
        if extension == ".ipynb" and not anchor and stem in self.book.chapter_number and self.colab_links:
            return self.book.colab_url(stem)  # a reader in Colab goes on in Colab
        return self.book.page_url(stem, anchor)

    def link(self, match):
        target = self.resolve(match.group("target"), image=bool(match.group("bang")))
        return f"{match.group('bang')}[{match.group('text')}]({target})"


_LEFTOVERS = {
    "a directive": re.compile(r"^\s*(:{3,}|`{3,}\{|~{3,}\{)", re.M),
    "a role": re.compile(r"\{[\w:-]+\}`"),
    "a directive option": re.compile(r"^\s*:(label|class|name|nonumber|hidden):", re.M),
    "a target": re.compile(r"^\([\w.:-]+\)=\s*$", re.M),
    "a relative link to a page": re.compile(r"\]\((?![a-z][a-z0-9+.-]*:)[^)]*\.(?:md|ipynb)(?:#[^)]*)?\)"),
    "a block break": re.compile(r"^\+\+\+\s*$", re.M),
}


def leftover_myst(text):
    """Lists the kinds of MyST syntax still present in `text`, outside code blocks (empty when clean)."""
    prose = re.sub(r"^([ \t]*)(`{3,}|~{3,})(?!\{)[^\n]*\n.*?^\1\2[ \t]*$", "", text, flags=re.M | re.S)
    prose = re.sub(r"`[^`\n]+`", "``", prose)
    return [kind for kind, pattern in _LEFTOVERS.items() if pattern.search(prose)]
