"""The built book as a reader sees it: every page of _build/html in headless Chromium.

`make test-site` (part of `make test`, after `make book`) runs this. It serves
_build/html on 127.0.0.1, opens every page at 1280 px and at phone width
(390 px) in Debian's Chromium through Playwright, and checks what is on the
screen (tests/site/checks.js): no raw Markdown or MyST text, every image
loaded with a real alt text, every formula typeset by MathJax without an
error, no heading with two numbers, nothing wider than its column except in a
scroll box that shows it scrolls, and no sideways scrolling of the page.

The site loads MathJax 3 from a CDN that CI cannot reach; the test answers
those requests from the copy of MathJax 3 in the `django-static-mathjax`
package (requirements.txt) and refuses every other outside request. The
published site is not changed.

Screenshots of each chapter's first screen at both widths, and of one figure,
are written to _build/screenshots/ so a person can see what the test saw.
"""

import os
import pathlib

import pytest
from site_paths import CHROMIUM, HTML, SHOTS

CHECKS = (pathlib.Path(__file__).parent / "checks.js").read_text()
WIDTHS = {"desktop": 1280, "phone": 390}
CHECK_NAMES = ("raw", "images", "math", "headings", "overflow", "page_width")


def _redirects(path):
    """True for a page that only sends the browser on (index.html to the intro)."""
    return 'http-equiv="Refresh"' in path.read_text()[:500]


def _pages():
    skip = {"_static", "_sources", "_images"}
    return sorted(
        p.relative_to(HTML).as_posix()
        for p in HTML.rglob("*.html")
        if not skip & set(p.relative_to(HTML).parts) and not _redirects(p)
    )


PAGES = _pages() if HTML.is_dir() else []


@pytest.fixture(scope="module")
def reports(server, offline):
    """Visits every page at both widths once; returns {(page, width name): problems}."""
    if not PAGES:
        pytest.fail(f"No pages in {HTML}: run `make book` first")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            for name, width in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": 900})
                context.route("**/*", offline)
                page = context.new_page()
                for path in PAGES:
                    page.goto(server + path, wait_until="load")
                    results[path, name] = page.evaluate(CHECKS)
                    stem = pathlib.Path(path).stem
                    if stem[:2].isdigit():
                        page.screenshot(path=str(SHOTS / f"{stem}-{name}.png"))
                        if name == "desktop" and stem.startswith("04"):
                            figure = page.locator("article.bd-article .cell_output img").first
                            figure.scroll_into_view_if_needed()
                            figure.screenshot(path=str(SHOTS / f"{stem}-figure.png"))
                context.close()
        finally:
            browser.close()
    return results


def test_there_are_pages_to_check():
    assert PAGES, f"no pages in {HTML}: run `make book` first"
    if "AELIB_SITE_DIR" not in os.environ:
        assert any(p.startswith("notebooks/") for p in PAGES), (
            f"no chapters in {HTML}: run `make book` first"
        )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("check", CHECK_NAMES)
@pytest.mark.parametrize("path", PAGES)
def test_page_reads_right(reports, path, check, width):
    problems = reports[path, width][check]
    assert not problems, f"{path} at {WIDTHS[width]} px, {check}:\n  " + "\n  ".join(problems[:15])
