"""One test per graded check: ``pytest tests/graded -k sigmoid`` runs one."""

import pytest

from mlpcourse.checks import CHECKS


@pytest.mark.parametrize("check", CHECKS, ids=[check.id for check in CHECKS])
def test_graded(check, implementation, record_property):
    record_property("check", check.id)
    check.run(implementation)
