"""Where the browser tests find the built site and the browser, and where they leave screenshots."""

import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
# AELIB_SITE_DIR checks another built site (a single page, an older build).
HTML = pathlib.Path(os.environ.get("AELIB_SITE_DIR") or ROOT / "_build" / "html")
SHOTS = HTML.parent / "screenshots"  # _build/screenshots for the book
CHROMIUM = pathlib.Path("/usr/bin/chromium")
