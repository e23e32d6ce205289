"""nbgrader's autograde step, with verdicts from the trusted grader instead of the student's kernel.

nbgrader normally executes the submitted notebook and scores each graded
cell by whether it raised; but in the student's kernel any earlier cell can
redefine ``graded`` or patch the checks. Here the ``Execute`` step is
replaced by :class:`TrustedVerdicts`: nothing of the notebook runs, the
submitted ``mlpcourse/`` beside it is graded by :func:`~mlpcourse.grader.grading.grade`
(runner under bubblewrap, expected values here, cases drawn from the course
secret: :func:`~mlpcourse.grader.cases.course_cases`), and each graded cell gets
the verdict of its check as its output: an error with the check's message,
or a line with the points. nbgrader's own ``SaveAutoGrades`` then reads
those outputs into the gradebook, and its sanitising step has already
restored the locked cells' sources, so the check a cell names is the
instructor's. Written answers stay manually graded.
"""

import re
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Bool

from mlpcourse.grader.cases import course_cases
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.grading import grade
from mlpcourse.grader.inert import inert
from mlpcourse.grader.wording import count

GRADED_CELL = re.compile(r'^\s*graded\(\s*["\']([\w:]+)["\']\s*\)\s*$')


def graded_check(cell) -> str | None:
    """The check id a graded code cell runs, or None for any other cell."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
        return None
    match = GRADED_CELL.match(cell.get("source", ""))
    return match.group(1) if match else ""


class TrustedVerdicts(Preprocessor):
    """Write the trusted grader's verdict into every graded code cell (runs no cell)."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        cells = [(cell, graded_check(cell)) for cell in nb.cells]
        wanted = {check_id for _, check_id in cells if check_id}
        known = {c.id: c for c in CHECKS}
        modules = sorted({known[i].module for i in wanted if i in known})
        report = {"tests": []}
        if modules:
            report = grade(folder, modules=modules, only=sorted(wanted), cases=course_cases())
        verdicts = {t["id"]: t for t in report["tests"]}
        for cell, check_id in cells:
            if check_id is None:
                continue
            cell.outputs = [self._output(check_id, verdicts.get(check_id))]
            cell.execution_count = None
        return nb, resources

    @staticmethod
    def _output(check_id: str, verdict: dict | None):
        if verdict is None:
            return new_output(
                "error",
                ename="NotGraded",
                evalue=f"this cell names no graded check ({inert(check_id) or 'none'})",
                traceback=[],
            )
        if verdict["passed"]:
            name = ", ".join(f.removeprefix("mlpcourse.") for f in verdict["functions"])
            text = f"✓ {name}: {count(verdict['points'], 'point')}\n"
            return new_output("stream", name="stdout", text=text)
        message = inert(verdict["message"])  # nbgrader's feedback turns escape codes into HTML
        return new_output("error", ename="AssertionError", evalue=message, traceback=[message])
