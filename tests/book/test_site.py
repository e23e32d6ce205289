"""The website builds without a warning, works offline, and reads well in a real browser.

The build is ``make book``'s (MathJax fetched into book/_static/mathjax, then
``jupyter-book build . --warningiserror --nitpick --keep-going``). Every page
is then opened in headless Chromium (Debian's ``chromium``, driven by
Playwright), served from localhost, with every request to another host
refused. A screenshot of one chapter is saved to ``artifacts/``.
"""

import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from tests.book.helpers import ARTIFACTS, build_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_PAGE = "book/05-backprop-equations.html"
# Raw TeX delimiters that MathJax should have replaced, looked for outside code.
RAW_MATH = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]")

# Runs in the page: everything the test asserts about it, once MathJax is done.
INSPECT_PAGE = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const images = Array.from(document.images);
  for (const img of images) {
    img.loading = "eager";
    try { await img.decode(); } catch (e) {}
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("pre, code, script, style, mjx-container, textarea")) continue;
    texts.push(node.textContent);
  }
  return {
    mathjax: Boolean(window.MathJax && MathJax.version),
    mathElements: document.querySelectorAll(".math").length,
    typeset: document.querySelectorAll("mjx-container").length,
    mathErrors: Array.from(document.querySelectorAll("mjx-merror")).map(e => e.textContent),
    brokenImages: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
    images: images.length,
    text: texts.join(" "),
  };
}
"""


@pytest.fixture(scope="module")
def site(request):
    try:  # one id shared by all pytest-xdist workers of this test run
        run_id = request.getfixturevalue("testrun_uid")
    except pytest.FixtureLookupError:  # a run without xdist: one process
        run_id = f"pid{os.getpid()}"
    return build_site(run_id)


def pages(html: Path) -> list[Path]:
    """The site's pages (not the theme's template snippets under _static/)."""
    return sorted(p for p in html.rglob("*.html") if p.relative_to(html).parts[0] != "_static")


def test_every_internal_link_resolves(site):
    """Every link, image, script and stylesheet of every page points to a file that exists."""
    broken = []
    for page in pages(site):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        targets = [(tag.name, tag.get("href")) for tag in soup.find_all(["a", "link"])]
        targets += [(tag.name, tag.get("src")) for tag in soup.find_all(["img", "script"])]
        for refresh in soup.find_all("meta", attrs={"http-equiv": re.compile("refresh", re.I)}):
            targets.append(("meta", refresh["content"].split("url=", 1)[-1]))
        for tag, target in targets:
            if not target:
                continue
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path:
                continue  # external (checked below), mailto:, or a fragment of this page
            path = (page.parent / unquote(parts.path)).resolve()
            if not path.exists():
                broken.append(f"{page.relative_to(site)}: <{tag}> {target}")
    assert not broken, "links to missing files:\n" + "\n".join(broken)


def test_no_external_scripts_styles_or_fonts(site):
    """The site works offline: no script, stylesheet, font or image from another host."""
    external = []
    for page in pages(site):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        for tag in soup.find_all(["script", "link", "img", "iframe"]):
            url = tag.get("src") or (tag.get("href") if tag.name == "link" else None)
            if url and urlsplit(url).scheme in ("http", "https", "") and urlsplit(url).netloc:
                external.append(f"{page.relative_to(site)}: <{tag.name}> {url}")
    for css in site.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?(https?:[^'\")]+)", css.read_text(errors="ignore")):
            external.append(f"{css.relative_to(site)}: url({url})")
    assert not external, "resources from other hosts:\n" + "\n".join(external)
    mathjax = site / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.is_file(), "MathJax is not served by the site (_static/mathjax/tex-chtml.js)"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser test needs Debian's "
            "package (apt-get install chromium)",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -r requirements.txt", pytrace=False)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


def test_every_page_in_chromium(site, server, browser):
    """Every page loads with its math typeset, its images shown and no console error."""
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    checked_math = 0
    for path in pages(site):
        name = path.relative_to(site).as_posix()
        if name == "index.html":
            continue  # a redirect to book/intro.html, which is checked itself
        page = browser.new_page()
        errors, outside = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))

        def route(request_route, outside=outside):
            url = request_route.request.url
            if urlsplit(url).scheme in ("http", "https") and not url.startswith(server):
                outside.append(url)
                request_route.abort()
            else:
                request_route.continue_()

        page.route("**/*", route)
        response = page.goto(f"{server}/{name}", wait_until="load")
        if response is None or not response.ok:
            problems.append(f"{name}: HTTP {response.status if response else 'no response'}")
        facts = page.evaluate(INSPECT_PAGE)
        if name == SCREENSHOT_PAGE:
            page.screenshot(path=str(ARTIFACTS / "book-chapter.png"), full_page=True)
        page.close()

        errors = [e for e in errors if not any(url in e for url in outside)]
        if errors:
            problems.append(f"{name}: console errors: {errors}")
        if outside:
            problems.append(f"{name}: requests to other hosts: {outside}")
        if facts["mathElements"]:
            checked_math += 1
            if not facts["mathjax"] or not facts["typeset"]:
                problems.append(f"{name}: {facts['mathElements']} math elements, none typeset")
        if facts["mathErrors"]:
            problems.append(f"{name}: MathJax errors: {facts['mathErrors']}")
        raw = sorted(set(RAW_MATH.findall(facts["text"])))
        if raw:
            problems.append(f"{name}: raw TeX left in the text: {raw}")
        if facts["brokenImages"]:
            problems.append(f"{name}: images not loaded: {facts['brokenImages']}")
    assert not problems, "\n".join(problems)
    assert checked_math >= 7, f"only {checked_math} pages with math were found"
    assert (ARTIFACTS / "book-chapter.png").is_file(), f"no screenshot of {SCREENSHOT_PAGE}"
