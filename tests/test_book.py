"""The book's wiring: one repository address, chapters that all follow the template."""

import importlib.util
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("repository_url", ROOT / "scripts" / "repository_url.py")
repository_url = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(repository_url)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_links_agree_with_config():
    assert repository_url.disagreements() == []


def test_check_notices_a_stale_link(tmp_path):
    url, branch = repository_url.settings()
    stale = "[badge](https://colab.research.google.com/github/someone/else/blob/main/notebooks/01_x.ipynb)"
    fixed = repository_url.rewrite(stale, url, branch)
    assert fixed != stale and url.removeprefix("https://github.com/") in fixed
    install = '%pip install -q "aelib @ git+https://github.com/someone/else"'
    assert repository_url.rewrite(install, url, branch) == f'%pip install -q "aelib @ git+{url}"'


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_has_badge_and_install_cell(path):
    url, branch = repository_url.settings()
    slug = url.removeprefix("https://github.com/")
    cells = json.loads(path.read_text())["cells"]
    first = "".join(cells[0]["source"])
    assert f"https://colab.research.google.com/github/{slug}/blob/{branch}/notebooks/{path.name}" in first
    assert any(f"git+{url}" in "".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_is_in_the_toc(path):
    assert f"notebooks/{path.stem}" in (ROOT / "_toc.yml").read_text()
