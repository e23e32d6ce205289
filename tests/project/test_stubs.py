"""Against the released stubs every graded check fails, cleanly: NotImplementedError."""

import pytest

from mlpcourse.checks import CHECKS
from mlpcourse.implementation import load


@pytest.fixture(scope="module")
def stubs():
    return load("student")  # in this repository, mlpcourse/ holds the generated stubs


@pytest.mark.parametrize("check", CHECKS, ids=[check.id for check in CHECKS])
def test_every_check_fails_on_the_stubs(check, stubs):
    with pytest.raises(NotImplementedError, match=r"write \S+ in mlpcourse/\w+\.py"):
        check.run(stubs)


def test_points_and_chapters():
    assert len({check.id for check in CHECKS}) == len(CHECKS)
    assert all(check.points > 0 for check in CHECKS)
    assert sum(check.points for check in CHECKS) == 45
    assert [c.chapter for c in CHECKS] == sorted(c.chapter for c in CHECKS)
