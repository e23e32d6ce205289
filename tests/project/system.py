"""What the tests that run real system software share: skipping, and the documented commands.

A test that needs what only some machines have (root, a Debian package) skips
with the reason where it cannot run; where ``MLPCOURSE_REQUIRE_SYSTEM=1`` (set
by ``.ci/run``, which installs all of it) it fails instead, so that CI never
passes by skipping.

The commands the documentation gives for a route are the ones the tests run:
a fenced ``bash`` block right after a line ``<!-- tested: NAME -->``, wherever
it lives: README.md, a page of the book (the instructors' guide is
book/instructors/), the student edition's README template, or a page under docs/.
"""

import os
import re
from pathlib import Path

import pytest

from mlpcourse.course.submissions import STUDENT_README

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = os.environ.get("MLPCOURSE_REQUIRE_SYSTEM") == "1"


def unavailable(reason: str) -> None:
    """Skip the test for ``reason``, or fail it where the system tests are required."""
    if REQUIRED:
        pytest.fail(f"{reason} (MLPCOURSE_REQUIRE_SYSTEM=1: this test must run here)")
    pytest.skip(reason)


_BLOCK = re.compile(r"^<!-- tested: ([\w -]+) -->\n```bash\n(.*?)^```$", re.M | re.S)


def documented(name: str) -> str:
    """The bash block of the documentation marked ``<!-- tested: name -->`` (exactly one)."""
    book = [page for page in (ROOT / "book").rglob("*.md") if "_static" not in page.parts]
    pages = [ROOT / "README.md", ROOT / STUDENT_README, *sorted(book)]
    pages += sorted((ROOT / "docs").rglob("*.md"))
    found = [
        (page, match.group(2))
        for page in pages
        for match in _BLOCK.finditer(page.read_text(encoding="utf-8"))
        if match.group(1).strip() == name
    ]
    assert len(found) == 1, f"one block marked <!-- tested: {name} --> expected, found {found}"
    return found[0][1]
