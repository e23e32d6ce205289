"""The project's own tests grade with one fixed course secret.

``mlpcourse grade``, nbgrader's autograde and the platform graders draw hidden
cases from the course secret (:mod:`mlpcourse.grader.cases`). Here it comes from
``MLPCOURSE_SECRET``, set for this process and every command it starts, so that
every grade is reproducible and no test makes or reads an instructor's
``grading/secret`` (the tests of that file give their own course folder).
"""

import os

from mlpcourse.grader.cases import ENVIRONMENT

#: The test suite's course secret: not a real one.
TEST_SECRET = "the mlpcourse test suite's course secret"
os.environ[ENVIRONMENT] = TEST_SECRET
