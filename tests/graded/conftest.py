"""The graded tests: every check, run by the grader on one implementation.

``pytest tests/graded`` grades your own package; ``--impl=reference`` or
``--impl=PATH`` grades another. The grader runs the code in its sandbox
where bubblewrap exists (as ``mlpcourse check`` does), once for the session;
each test then reports its check. At the end ``tests/conftest.py`` sums the points.
The cases are the published ones, as in ``mlpcourse check``: the instructor's
grade draws hidden ones from the course secret.
"""

import pytest

from mlpcourse.grader import reference
from mlpcourse.grader.bubblewrap import check_sandbox
from mlpcourse.grader.cases import PUBLISHED
from mlpcourse.grader.grading import grade
from mlpcourse.grader.support import SandboxUnavailable
from mlpcourse.implementation import resolve


@pytest.fixture(scope="session")
def verdicts(request) -> dict[str, tuple[bool, str]]:
    folder = resolve(request.config.getoption("--impl"))
    try:
        check_sandbox()
        sandbox = True
    except SandboxUnavailable:
        sandbox = False  # your own code on your own machine
    report = grade(folder, use_reference=reference.available(), sandbox=sandbox, cases=PUBLISHED)
    return {t["id"]: (t["passed"], t["message"]) for t in report["tests"]}
