"""Keeps the repository address in one place: `repository.url` in _config.yml.

The chapters' "Open in Colab" badges, their install cells and the README's
links are all written from that value. The badges open the Colab edition of a
chapter, `<repository.path_to_book>/notebooks/NN_name.ipynb` (scripts/editions.py
writes it), never the chapter itself, whose MyST Colab would show as raw text.
`python scripts/repository_url.py` rewrites them after the value changes and
then regenerates the Colab edition (`make sync-url`); with `--check` it only
lists what disagrees, and tests/test_book.py runs that check.
"""

import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent

# What the links look like, whatever address they hold now.
_COLAB = re.compile(
    r"https://colab\.research\.google\.com/github/[^\s)\"'/]+/[^\s)\"'/]+/blob/[^/\s]+/(?:[\w.-]+/)*?(notebooks/[\w.-]+\.ipynb)"
)
_INSTALL = re.compile(r"git\+https://[^\s\"'@]+")


def settings():
    """Returns (url, branch) from _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"].rstrip("/")
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", url)
    if not match:
        raise ValueError(f"Expected repository.url of the form https://github.com/OWNER/NAME. Received: {url!r}")
    return url, config["repository"].get("branch", "main")


def edition_folder():
    """The folder of the Colab edition, `repository.path_to_book` in _config.yml (e.g. "colab")."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return (config["repository"].get("path_to_book") or "").strip("/")


def rewrite(text, url, branch, folder=None):
    """Returns `text` with every Colab link opening the Colab edition at `url` and every install address `url`."""
    slug = url.removeprefix("https://github.com/")
    folder = edition_folder() if folder is None else folder
    prefix = f"{folder}/" if folder else ""
    text = _COLAB.sub(lambda m: f"https://colab.research.google.com/github/{slug}/blob/{branch}/{prefix}{m.group(1)}", text)
    return _INSTALL.sub(f"git+{url}", text)


def files():
    return [ROOT / "README.md", *sorted((ROOT / "notebooks").glob("*.ipynb"))]


def _sources(path):
    if path.suffix != ".ipynb":
        return [path.read_text()]
    return ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]]


def disagreements():
    """Lists (file, link) for every link that does not match _config.yml."""
    url, branch = settings()
    wrong = []
    for path in files():
        for source in _sources(path):
            for line in source.splitlines():
                if rewrite(line, url, branch) != line:
                    wrong.append((path.relative_to(ROOT).as_posix(), line.strip()))
    return wrong


def sync():
    url, branch = settings()
    for path in files():
        if path.suffix != ".ipynb":
            path.write_text(rewrite(path.read_text(), url, branch))
            continue
        notebook = json.loads(path.read_text())
        for cell in notebook["cells"]:
            cell["source"] = rewrite("".join(cell["source"]), url, branch).splitlines(keepends=True)
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if "--check" in sys.argv:
        wrong = disagreements()
        for path, line in wrong:
            print(f"{path}: {line}")
        sys.exit(1 if wrong else 0)
    sync()
    sys.path.insert(0, str(ROOT / "scripts"))
    import editions  # the Colab edition copies the chapters' badges and install cells

    editions.main([])
