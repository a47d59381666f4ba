"""What the browser tests of the built site share: a local server and the offline routing.

The site loads MathJax 3 from a CDN that CI cannot reach; the tests answer
those requests from the copy of MathJax 3 in the `django-static-mathjax`
package (requirements.txt) and refuse every other outside request, recording it.
"""

import functools
import http.server
import mimetypes
import pathlib
import threading

import pytest
from site_paths import CHROMIUM, HTML

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"


def _mathjax_root():
    try:
        import mathjax  # the django-static-mathjax package: MathJax 3 under static/mathjax/
    except ImportError:
        pytest.fail(
            "MathJax 3 for the test is missing: "
            "pip install -r requirements.txt (django-static-mathjax)"
        )
    root = pathlib.Path(mathjax.__file__).parent / "static" / "mathjax"
    if not (root / "es5" / "tex-mml-chtml.js").is_file():
        pytest.fail(
            f"No es5/tex-mml-chtml.js under {root}: "
            "the django-static-mathjax package is not MathJax 3"
        )
    return root


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server():
    """The built site on 127.0.0.1; yields its address, ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def offline(server):
    """A route handler for `context.route("**/*", ...)`: the site and MathJax, nothing else.

    Its `refused` attribute is the set of outside addresses the pages asked for.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    mathjax = _mathjax_root()

    def route(request_route):
        url = request_route.request.url
        if url.startswith(server):
            return request_route.continue_()
        if url.startswith(MATHJAX_CDN):
            path = mathjax / url[len(MATHJAX_CDN) :].split("?")[0]
            if path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return request_route.fulfill(status=200, body=path.read_bytes(), content_type=kind)
        route.refused.add(url)
        return request_route.abort()

    route.refused = set()
    return route
