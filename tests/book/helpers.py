"""Shared helpers of the book's tests: where things are, and building the site once."""

import fcntl
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
HTML = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "artifacts"
MATHJAX = "book/_static/mathjax/tex-chtml.js"
BUILD_COMMAND = ["build", ".", "--warningiserror", "--nitpick", "--keep-going"]


def chapters() -> list[Path]:
    """The book's executable pages: MyST notebooks (``file_format: mystnb``)."""
    return sorted(p for p in BOOK.glob("*.md") if "file_format: mystnb" in p.read_text()[:1000])


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def build_site(run_id: str) -> Path:
    """Build the site as ``make book`` does (MathJax first), once per test run.

    Test workers share one ``_build`` folder: a lock makes a second worker
    wait for the first one's build, and a marker named after the test run
    (``run_id``) tells it that the build is done. Returns the folder of the
    HTML pages, or raises AssertionError with the end of the build's output.
    """
    lock_path = ROOT / "_build" / ".book-test.lock"
    lock_path.parent.mkdir(exist_ok=True)
    done = ROOT / "_build" / f".book-test-built-{run_id}"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if done.is_file():
                return HTML
            for old in done.parent.glob(".book-test-built-*"):
                old.unlink()
            if not (ROOT / MATHJAX).is_file():
                fetch = subprocess.run(
                    ["make", MATHJAX], cwd=ROOT, capture_output=True, text=True, timeout=600
                )
                assert fetch.returncode == 0, (
                    "could not fetch MathJax from the npm registry (make "
                    f"{MATHJAX}; needs make and npm):\n{_tail(fetch.stdout + fetch.stderr)}"
                )
            jupyter_book = Path(sys.executable).parent / "jupyter-book"
            build = subprocess.run(
                [str(jupyter_book), *BUILD_COMMAND],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert build.returncode == 0, (
                "the book does not build without warnings (jupyter-book "
                f"{' '.join(BUILD_COMMAND)}):\n{_tail(build.stdout + build.stderr)}"
            )
            done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return HTML
