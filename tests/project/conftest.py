"""The project's own tests grade with one fixed course secret; the simulated container.

``mlpcourse grade``, nbgrader's autograde and the platform graders draw hidden
cases from the course secret (:mod:`mlpcourse.grader.cases`). Here it comes from
``MLPCOURSE_SECRET``, set for this process and every command it starts, so that
every grade is reproducible and no test makes or reads an instructor's
``grading/secret`` (the tests of that file give their own course folder).
"""

import os
from pathlib import Path

import pytest

from mlpcourse.grader.cases import ENVIRONMENT

from .containers import root_only_course, simulated_machine

#: The test suite's course secret: not a real one.
TEST_SECRET = "the mlpcourse test suite's course secret"
os.environ[ENVIRONMENT] = TEST_SECRET


# ---- the simulated container (tests/project/containers.py), one per test module -------------


@pytest.fixture(scope="module")
def machine(tmp_path_factory) -> dict:
    """What every simulated container shares: a copy of /etc, a fake bwrap."""
    return simulated_machine(tmp_path_factory.mktemp("machine"))


@pytest.fixture(scope="module")
def private_course(tmp_path_factory) -> Path:
    """The course as an instructor keeps it for a runner user: only root can read it."""
    return root_only_course(tmp_path_factory.mktemp("course"))
