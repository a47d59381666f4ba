"""The latent-space explorers of the built book, in headless Chromium (`make test-site`).

Each explorer carries probe codes and Python's own images of them
(`model.decode`, rounded to 8-bit grey) and the quantization error that
aelib.explorer measured over a grid. Here the browser moves every explorer to
every probe, reads the pixels back from its canvases and compares: the largest
difference may be the stated error plus one grey level for rounding. The test
also checks what each decoder adds to its page (under 0.8 MB, chapter 4's three
under 2.5 MB), the time of a decode (under 5 ms), the pointer, the arrow keys,
the prior's button, a tap and a drag at 390 px, and that the comparison fails
on three broken decoders (a transposed kernel, a missing bias, a wrong
activation) written into the page on its way to the browser.

Screenshots of each explorer at both widths go to _build/screenshots/explorer-*.png.
"""

import os
import re

import pytest
from site_paths import CHROMIUM, HTML, SHOTS

# The chapters of the book and their decoders, side by side in one explorer.
CHAPTERS = {
    "notebooks/02_vae.html": 1,
    "notebooks/03_wae.html": 1,
    "notebooks/04_comparison.html": 3,
}
MAX_BYTES_PER_DECODER = 800_000
MAX_BYTES_PER_PAGE = 2_500_000
MAX_DECODE_MS = 5.0
MAX_STATED_ERROR = (
    4  # grey levels: a quantization that loses more than this is broken, whatever it states
)
EXPLORER_FUNCTIONS = re.compile(r"\b(aelibExplorer|fromBase64|dense|decode|moveTo)\b")
# Bugs written into explorer.js on its way to the browser: (what, the code, the bug).
MUTANTS = [
    ("transposed kernel", "layer.weights[row + j]", "layer.weights[j * layer.inputs + i]"),
    ("missing bias", "y[j] * layer.scales[j] + layer.bias[j]", "y[j] * layer.scales[j]"),
    ("wrong activation (tanh for ReLU)", "Math.max(y[j], 0)", "Math.tanh(y[j])"),
]

# Moves every explorer of the page to each of its probes; compares its canvases with Python's.
COMPARE = """async () => {
  const roots = [...document.querySelectorAll(".aelib-explorer")];
  return roots.map((root) => {
    const ex = root.explorer;
    if (!ex) return {names: null};
    const canvases = [...root.querySelectorAll(".aelib-explorer-images canvas")];
    const size = ex.imageSize * ex.imageSize;
    let largest = 0, total = 0, count = 0;
    ex.probes.z.forEach((z, k) => {
      ex.moveTo(z[0], z[1]);
      canvases.forEach((canvas, m) => {
        const drawn = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        const python = Uint8Array.from(atob(ex.probes.pixels[m]), (c) => c.charCodeAt(0));
        for (let i = 0; i < size; i++) {
          const ink = 255 - drawn[4 * i]; // the canvas shows 255 - grey
          const difference = Math.abs(ink - python[k * size + i]);
          largest = Math.max(largest, difference);
          total += difference;
          count += 1;
        }
      });
    });
    return {names: ex.names, stated: ex.error, largest, mean: total / count,
            probes: ex.probes.z.length,
            milliseconds: ex.timeDecode(200)};
  });
}"""


def _explorer_pages():
    """{page: [(bytes, decoders) of each explorer]} for every page of the site that holds one."""
    found = {}
    for path in sorted(HTML.rglob("*.html")) if HTML.is_dir() else []:
        text = path.read_text()
        explorers = []
        for match in re.finditer(
            r'<div class="aelib-explorer" id="[\w-]+" data-decoders="(\d+)"', text
        ):
            end = text.index("</script>\n</div>", match.start()) + len(
                "</script>\n</div>"
            )  # its script, its tag
            explorers.append((end - match.start(), int(match[1])))
        if explorers:
            found[path.relative_to(HTML).as_posix()] = explorers
    return found


PAGES = _explorer_pages()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _open(browser, offline, url, phone=False, mutant=None):
    """A new page at `url`, at 1280 px or as a 390 px touch phone, with a `mutant` (code, bug)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if phone:
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            has_touch=True,
            is_mobile=True,
            device_scale_factor=2,
        )
    else:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", offline)
    if mutant is not None:
        code, bug = mutant

        def broken(route):
            body = route.fetch().text()
            assert code in body, (
                f"{code!r} is no longer in explorer.js: update MUTANTS in {__file__}"
            )
            route.fulfill(status=200, body=body.replace(code, bug), content_type="text/html")

        context.route(url, broken)
    page = context.new_page()
    errors = []  # the explorer's own errors (the theme's scripts have theirs)
    page.on(
        "pageerror",
        lambda error: (
            errors.append(error.stack or error.message)
            if EXPLORER_FUNCTIONS.search(error.stack or "")
            else None
        ),
    )
    page.goto(url, wait_until="load")
    page.wait_for_function(
        "[...document.querySelectorAll('.aelib-explorer')].every((root) => root.explorer)"
    )
    return context, page, errors


def _plane_point(page, root, z):
    """The page coordinates of the code z on an explorer's plane."""
    box = root.locator("canvas").first.bounding_box()
    limit = root.evaluate("(root) => root.explorer.limit")
    return (
        box["x"] + (z[0] + limit) / (2 * limit) * box["width"],
        box["y"] + (limit - z[1]) / (2 * limit) * box["height"],
    )


def _screenshot(root, name):
    """A picture of the explorer alone, without the theme's header and buttons stuck on top."""
    stuck = ".bd-header, .bd-header-article, .skip-link, #pst-back-to-top"
    stuck += " { visibility: hidden !important; }"
    root.screenshot(path=str(SHOTS / name), style=stuck)


def test_the_chapters_have_their_explorers():
    if "AELIB_SITE_DIR" in os.environ:
        pytest.skip("another site than the book: its explorers are checked wherever they are")
    assert HTML.is_dir(), f"no site in {HTML}: run `make book` first"
    found = {page: len(sizes) for page, sizes in PAGES.items()}
    assert found == {page: 1 for page in CHAPTERS}, f"pages with an explorer: {found}"


@pytest.mark.parametrize("path", PAGES)
def test_explorer_is_light(path):
    page_bytes = (HTML / path).stat().st_size
    for size, decoders in PAGES[path]:
        print(
            f"{path}: {size:,} bytes for {decoders} decoder(s), {size / decoders:,.0f} a decoder; "
            f"page {page_bytes:,}"
        )
        assert size <= MAX_BYTES_PER_DECODER * decoders, f"{size:,} bytes for {decoders} decoder(s)"
        assert size <= MAX_BYTES_PER_PAGE
        assert CHAPTERS.get(path, decoders) == decoders


def _compared(browser, offline, url, mutant=None):
    """Each explorer's canvas at the stored probes against Python's decode (COMPARE's results)."""
    context, page, errors = _open(browser, offline, url, mutant=mutant)
    try:
        results = page.evaluate(COMPARE)
    finally:
        context.close()
    assert not errors, errors
    return results


@pytest.mark.parametrize("path", PAGES)
def test_explorer_draws_what_python_decodes(browser, server, offline, path):
    for result in _compared(browser, offline, server + path):
        assert result["names"], "the explorer did not start"
        stated = result["stated"]
        print(
            f"{path} {result['names']}: stated mean {stated['mean']:.3f}, max {stated['max']} "
            f"grey levels; in the browser over {result['probes']} probes: "
            f"mean {result['mean']:.3f}, "
            f"max {result['largest']}; "
            f"a decode takes {result['milliseconds']:.2f} ms"
        )
        assert stated["max"] <= MAX_STATED_ERROR, (
            f"the quantization loses {stated['max']} grey levels"
        )
        assert result["largest"] <= stated["max"] + 1, (
            f"{result['names']}: the canvas is {result['largest']} grey levels from Python's "
            "decode "
            f"(allowed: the stated {stated['max']} + 1)"
        )
        assert result["milliseconds"] < MAX_DECODE_MS


@pytest.mark.parametrize("what, code, bug", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_comparison_fails_on_a_broken_decoder(browser, server, offline, what, code, bug):
    if not PAGES:
        pytest.fail(f"no explorer in {HTML}")
    path = next(iter(PAGES))
    for result in _compared(browser, offline, server + path, mutant=(code, bug)):
        print(f"{what}: the canvas is {result['largest']} grey levels from Python's decode")
        assert result["largest"] > result["stated"]["max"] + 1, f"the comparison missed a {what}"


@pytest.mark.parametrize("path", PAGES)
def test_pointer_keys_and_prior_button(browser, server, offline, path):
    context, page, errors = _open(browser, offline, server + path)
    try:
        root = page.locator(".aelib-explorer").first
        root.scroll_into_view_if_needed()
        z = lambda: root.evaluate("(root) => root.explorer.z()")  # noqa: E731
        labels = lambda: root.evaluate(  # noqa: E731
            "(root) => [...root.querySelectorAll('.aelib-explorer-images canvas')]"
            ".map((c) => c.getAttribute('aria-label'))"
        )

        page.mouse.move(*_plane_point(page, root, (1.0, -2.0)))  # hovering is enough
        assert z() == pytest.approx([1.0, -2.0], abs=0.05)
        assert all(f"z = ({z()[0]:.2f}, {z()[1]:.2f})" in label for label in labels()), labels()

        page.mouse.click(*_plane_point(page, root, (0.0, 0.0)))
        assert (
            page.evaluate("document.activeElement.getAttribute('aria-roledescription')")
            == "latent plane"
        )
        start, scrolled = z(), page.evaluate("window.scrollY")
        step = (
            root.evaluate("(root) => root.explorer.limit") / 40
        )  # an arrow key's step; with Shift, 5 steps
        for key in ("ArrowRight", "ArrowRight", "ArrowRight", "ArrowUp"):
            page.keyboard.press(key)
        assert z() == pytest.approx([start[0] + 3 * step, start[1] + step], abs=1e-9)
        assert page.evaluate("window.scrollY") == scrolled, "the arrow keys scrolled the page"
        page.keyboard.press("Shift+ArrowDown")
        assert z()[1] == pytest.approx(start[1] + step - 5 * step, abs=1e-9)
        page.keyboard.press("Home")
        assert z() == [0, 0]
        assert all("z = (0.00, 0.00)" in label for label in labels())

        draws = []
        for _ in range(3):
            root.get_by_role("button", name="Draw z from the prior N(0, I)").click()
            draws.append(z())
        assert len({tuple(d) for d in draws}) == 3, draws

        if root.evaluate("(root) => root.explorer.names.length") > 1:  # whose codes the dots are
            plane = "(root) => root.querySelector('canvas').getContext('2d')"
            plane += ".getImageData(0, 0, 480, 480).data.join()"
            before = root.evaluate(plane)
            root.get_by_role("radio").nth(1).check()
            assert root.evaluate(plane) != before, (
                "choosing another model's codes left the plane as it was"
            )
        _screenshot(root, f"explorer-{path.split('/')[-1][:2]}-desktop.png")
    finally:
        context.close()
    assert not errors, errors


@pytest.mark.parametrize("path", PAGES)
def test_tap_and_drag_on_a_phone(browser, server, offline, path):
    context, page, errors = _open(browser, offline, server + path, phone=True)
    try:
        root = page.locator(".aelib-explorer").first
        root.scroll_into_view_if_needed()
        box = root.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (
            f"the explorer leaves the screen: {box}"
        )
        plane = root.locator("canvas").first.bounding_box()
        assert plane["width"] >= 280, f"the plane is {plane['width']:.0f} px wide on a phone"
        for canvas in root.locator(".aelib-explorer-images canvas").all():
            image = canvas.bounding_box()
            assert image["x"] + image["width"] <= 390 and image["width"] >= 90, image
        z = lambda: root.evaluate("(root) => root.explorer.z()")  # noqa: E731

        page.touchscreen.tap(*_plane_point(page, root, (-1.5, 0.5)))
        assert z() == pytest.approx([-1.5, 0.5], abs=0.05)

        # A finger's drag, through Chromium's touch events: the point follows, the page stays.
        scrolled = page.evaluate("window.scrollY")
        cdp = context.new_cdp_session(page)
        path_of_finger = [_plane_point(page, root, (0.5 * k, -0.5 * k)) for k in range(5)]
        for kind, (x, y) in zip(["touchStart"] + ["touchMove"] * 4, path_of_finger):
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        assert z() == pytest.approx([2.0, -2.0], abs=0.05)
        assert page.evaluate("window.scrollY") == scrolled, (
            "dragging on the plane scrolled the page"
        )
        _screenshot(root, f"explorer-{path.split('/')[-1][:2]}-phone.png")
    finally:
        context.close()
    assert not errors, errors
