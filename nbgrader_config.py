"""nbgrader configuration: solutions/ is the source, exercises/ the release.

Everything nbgrader writes while grading (submitted/, autograded/,
feedback/ and the gradebook) stays in the git-ignored folder grading/.
"""

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

from mlpcourse.chapters import CHAPTERS
from mlpcourse.grader.nbgrader import TrustedVerdicts

c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file

c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.solution_directory = "grading/source_solutions"
c.CourseDirectory.db_url = "sqlite:///grading/gradebook.db"
c.CourseDirectory.course_id = "mlpcourse"
# Code points come from the trusted grader run on the submitted mlpcourse/, never from
# the student's kernel: nbgrader's Execute step is replaced, and no notebook cell runs.
c.Autograde.autograde_preprocessors = [
    TrustedVerdicts,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
# Submissions carry the student's exercise modules in mlpcourse/ beside the
# notebook; no file of the source may overwrite them.
c.Autograde.exclude_overwriting = {
    chapter.name: [f"mlpcourse/{chapter.module}.py"] for chapter in CHAPTERS
}
# The exchange on a shared JupyterHub (mlpcourse/course/exchange.py): collect takes only what
# each student's own account submitted (not `nbgrader submit --student <classmate>`), and
# release leaves the inbound folder sticky (no one renames or deletes a classmate's work).
c.ExchangeFactory.collect = "mlpcourse.course.exchange.OwnedCollect"
c.ExchangeFactory.release_assignment = "mlpcourse.course.exchange.StickyRelease"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
