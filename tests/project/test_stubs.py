"""Against the released stubs every graded check fails, cleanly: NotImplementedError."""

import pytest

from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.grading import grade
from mlpcourse.implementation import PACKAGE_DIR


@pytest.fixture(scope="module")
def verdicts():
    # In this repository, mlpcourse/ holds the generated stubs.
    report = grade(PACKAGE_DIR.parent)
    return {t["id"]: t for t in report["tests"]}


@pytest.mark.parametrize("check", CHECKS, ids=[check.id for check in CHECKS])
def test_every_check_fails_on_the_stubs(check, verdicts):
    verdict = verdicts[check.id]
    assert not verdict["passed"] and verdict["points"] == 0
    assert "not written yet (NotImplementedError): write" in verdict["message"]
    assert f"mlpcourse/{check.module}.py" in verdict["message"]


def test_points_and_chapters():
    assert len({check.id for check in CHECKS}) == len(CHECKS)
    assert all(check.points > 0 for check in CHECKS)
    assert sum(check.points for check in CHECKS) == 59
    assert [c.chapter for c in CHECKS] == sorted(c.chapter for c in CHECKS)
