"""One test per graded check: ``pytest tests/graded -k sigmoid`` shows one."""

import pytest

from mlpcourse.grader.checks import CHECKS


@pytest.mark.parametrize("check", CHECKS, ids=[check.id for check in CHECKS])
def test_graded(check, verdicts, record_property):
    record_property("check", check.id)
    passed, message = verdicts[check.id]
    if not passed:
        pytest.fail(message, pytrace=False)
