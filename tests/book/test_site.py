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

import numpy as np
import pytest
from bs4 import BeautifulSoup

from mlpcourse.chapters import CHAPTERS
from tests.book.helpers import ARTIFACTS, BOOK, build_site

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
def playwright():
    """Playwright, once per module: it cannot run twice at a time in one thread."""
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
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright, tmp_path_factory):
    """Chromium on a desktop screen, 1280 × 900."""
    profile = tmp_path_factory.mktemp("chromium-profile")
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


# --- The site's polish: titles, footer, alt text, one search box, phones ---------------

BOOK_TITLE = "Neural Networks and Backpropagation"
CHAPTER_PAGES = [
    f"book/{name}.html"
    for name in (
        "01-neuron",
        "02-activations",
        "03-feedforward",
        "04-gradient-descent",
        "05-backprop-equations",
        "06-backprop-algorithm",
        "07-autodiff",
    )
]
# An alt text that is a file name or a hash says nothing to a reader who cannot see the image.
MEANINGLESS_ALT = re.compile(r"^[0-9a-f]{16,}|\.(png|jpe?g|svg|gif)$|^(image|figure|plot)$", re.I)


def soup_of(site: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((site / name).read_text(), "html.parser")


def test_page_titles_do_not_repeat_the_book_name(site):
    """A browser tab reads "Page — Book", never "Book — Book"."""
    repeated = []
    for page in pages(site):
        title = soup_of(site, page.relative_to(site).as_posix()).title
        if title is not None and title.get_text().count(BOOK_TITLE) > 1:
            repeated.append(f"{page.relative_to(site)}: {title.get_text()!r}")
    assert not repeated, "page titles that repeat the book's name:\n" + "\n".join(repeated)


def test_footer_names_the_course(site):
    """Every chapter's footer names the course, not the package as an author."""
    for name in ["book/intro.html", *CHAPTER_PAGES]:
        footer = soup_of(site, name).select_one("footer.bd-footer-content")
        assert footer is not None, f"{name}: no footer"
        text = " ".join(footer.get_text(" ").split())
        assert BOOK_TITLE in text, f"{name}: the footer does not name the course: {text!r}"
        assert not text.startswith("By "), f"{name}: the footer still reads {text!r}"


def test_every_figure_has_a_descriptive_alt_text(site):
    """Each image of the book has alt text of a sentence or more, not a hash or file name."""
    bad, seen = [], 0
    for page in pages(site):
        for image in BeautifulSoup(page.read_text(), "html.parser").find_all("img"):
            if "/_static/" in image.get("src", ""):
                continue  # the theme's own icons
            seen += 1
            alt = (image.get("alt") or "").strip()
            if len(alt.split()) < 8 or MEANINGLESS_ALT.search(alt):
                bad.append(f"{page.relative_to(site)}: {image.get('src')}: alt={alt!r}")
    assert seen >= 16, f"only {seen} figures found in the book"
    assert not bad, "figures without a descriptive alt text:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "page, figure",
    [
        ("book/05-backprop-equations.html", "fig-layer-graph"),
        ("book/06-backprop-algorithm.html", "fig-gradient-cost"),
        ("book/06-backprop-algorithm.html", "fig-learning-rates"),
        ("book/06-backprop-algorithm.html", "fig-cross-entropy"),
        ("book/07-autodiff.html", "fig-autodiff-graph"),
        ("book/07-autodiff.html", "fig-forward-reverse"),
    ],
)
def test_new_figures_are_drawn_with_a_caption(site, page, figure):
    """The computational graphs, the cost of a gradient and the pitfalls are figures of the book."""
    node = soup_of(site, page).find(id=figure)
    assert node is not None, f"{page}: no figure #{figure}"
    image = node.find("img")
    assert image is not None and (site / "book" / image["src"]).is_file(), f"#{figure}: no image"
    assert node.find("figcaption"), f"#{figure}: no caption"


def test_paper_exercises_with_folded_solutions(site):
    """At least three exercises on paper per chapter, 18 in all, and 12 solutions in dropdowns."""
    exercises, solutions, per_chapter = set(), 0, {}
    for name in CHAPTER_PAGES:
        soup = soup_of(site, name)
        heading = soup.find(id="exercises-on-paper")
        assert heading is not None, f"{name}: no section 'Exercises on paper'"
        found = heading.select("div.exercise")
        per_chapter[name] = len(found)
        exercises |= {f"{name}#{node['id']}" for node in found}
        for solution in heading.select("div.solution"):
            assert "dropdown" in solution["class"], f"{name}: a solution is not folded"
            target = solution.select_one("p.admonition-title a")["href"]
            assert f"{name}{target}" in exercises, f"{name}: a solution of no exercise ({target})"
            solutions += 1
    thin = {name: count for name, count in per_chapter.items() if count < 3}
    assert not thin, f"chapters with fewer than 3 exercises on paper: {thin}"
    assert len(exercises) >= 18, f"{len(exercises)} exercises on paper, expected 18 or more"
    assert solutions >= 12, f"{solutions} folded solutions, expected 12 or more"


def test_a_solution_unfolds_on_click(site, server, browser):
    """A solution is hidden until the student clicks it open."""
    page = browser.new_page()
    page.goto(f"{server}/book/02-activations.html", wait_until="load")
    solution = page.locator("div.solution.dropdown").first
    body = solution.locator("section").first
    assert not body.is_visible(), "the solution is shown before the student asks for it"
    solution.locator("button.toggle-button").click()
    body.wait_for(state="visible", timeout=30_000)  # returns once shown: a margin when busy
    assert "product rule" in body.inner_text()
    page.close()


def test_the_misclassified_digits_are_readable(site, server, browser):
    """The misclassified digits' titles (#fig-misclassified) are 10 CSS pixels high or more."""
    from mlpcourse.course.plots import IMAGE_TITLE_POINTS, IMAGE_WIDTH_INCHES

    page = browser.new_page()
    page.goto(f"{server}/book/06-backprop-algorithm.html", wait_until="load")
    width = page.locator("#fig-misclassified img").evaluate("img => img.width")
    page.close()
    columns = 6  # show_images' default, used by the chapter
    title_pixels = IMAGE_TITLE_POINTS / 72 * width / (IMAGE_WIDTH_INCHES * columns)
    assert title_pixels >= 10, (
        f"#fig-misclassified is drawn {width} px wide: titles {title_pixels:.1f} px"
    )


# Runs in the page: what a reader would see of the page's width and of its search boxes.
MEASURE_LAYOUT = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const shown = (e) => {
    const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  };
  const viewport = document.documentElement.clientWidth;
  const clipped = (e) => {
    for (let p = e.parentElement; p; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  const sticking_out = Array.from(document.querySelectorAll("body *"))
    .filter((e) => shown(e) && !clipped(e) && e.getBoundingClientRect().right > viewport + 1)
    .slice(0, 3)
    .map((e) => `<${e.tagName.toLowerCase()} class="${e.className}">`);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    viewport,
    stickingOut: sticking_out,
    searchBoxes: Array.from(
      document.querySelectorAll(".search-button-field, button.search-button, input[type=search]")
    ).filter(shown).length,
  };
}
"""


@pytest.fixture(scope="module")
def phone(playwright):
    """Chromium emulating a phone 390 CSS pixels wide (touch, mobile viewport)."""
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    yield context
    browser.close()


def _layout(context, server: str, name: str) -> dict:
    page = context.new_page()
    page.goto(f"{server}/{name}", wait_until="load")
    facts = page.evaluate(MEASURE_LAYOUT)
    page.close()
    return facts


def test_no_page_scrolls_sideways_on_a_phone(site, server, phone):
    """On a 390-pixel-wide phone no page is wider than the screen."""
    wide = []
    for path in pages(site):
        name = path.relative_to(site).as_posix()
        if name == "index.html":
            continue
        facts = _layout(phone, server, name)
        if facts["scrollWidth"] > facts["viewport"]:
            wide.append(f"{name}: {facts['scrollWidth']} px wide; {facts['stickingOut']}")
    assert not wide, "pages wider than a 390-pixel phone:\n" + "\n".join(wide)


def test_one_search_box_on_a_phone_and_on_a_desktop(site, server, browser, phone):
    """Exactly one search box (or button) shows, whatever the width of the screen."""
    for name in ("book/intro.html", "book/05-backprop-equations.html"):
        for label, context in (("desktop", browser), ("phone", phone)):
            count = _layout(context, server, name)["searchBoxes"]
            assert count == 1, f"{name} on a {label}: {count} search boxes"


def test_a_figure_s_alt_text_quotes_what_its_cell_computed(site):
    """#fig-cross-entropy's alt text and caption hold the outputs the page computed, not typed ones.

    The neuron's outputs are recomputed here, with the reference, as the page's cell does.
    """
    from mlpcourse.implementation import load

    ref = load("reference")
    bp, act = ref.backprop_equations, ref.activations
    w, b, x, y = (np.array([[value]]) for value in (2.0, 2.0, 1.0, 0.0))
    quadratic = []
    for _ in range(300):
        z = w @ x + b
        a = act.sigmoid(z)
        quadratic.append(a.item())
        delta = bp.output_error(a - y, z, act.sigmoid_prime)
        w, b = w - 0.15 * bp.weight_gradient(delta, x), b - 0.15 * bp.bias_gradient(delta)
    below = next(k for k, value in enumerate(quadratic) if value < 0.5)
    figure = soup_of(site, "book/06-backprop-algorithm.html").find(id="fig-cross-entropy")
    alt, caption = figure.find("img")["alt"], figure.find("figcaption").get_text()
    assert f"still {quadratic[100]:.3f} at step 100" in alt, alt
    assert f"{quadratic[150]:.3f} at step 150" in alt and f"only after {below} steps" in alt, alt
    assert f"still {quadratic[100]:.3f}" in caption, caption


def test_the_book_gives_one_set_of_instructions():
    """The exercises page is the students' manual: chapters in order, each checked by make check."""
    text = (BOOK / "exercises.md").read_text()
    rows = re.findall(r"^\| \{doc\}`(\d\d)-[^`]+` .*`make check CHAPTER=(\d\d)` \|$", text, re.M)
    assert [chapter for chapter, _ in rows] == [c.number for c in CHAPTERS], rows
    assert all(chapter == checked for chapter, checked in rows), rows
    for page in BOOK.glob("*.md"):
        assert "pytest tests/graded -k" not in page.read_text(), f"{page.name}: another way"
