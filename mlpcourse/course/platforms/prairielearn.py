"""PrairieLearn: a question for the external grader, and the grading run inside it.

``mlpcourse export prairielearn DIR`` writes a question folder: ``info.json``
(external grading on), ``question.html`` (one upload for the exercise files) and
``tests/`` (the grader's entrypoint ``grade.sh`` and the course source).
PrairieLearn copies ``tests/`` to ``/grade/tests`` and the student's files to
``/grade/student``, and runs the entrypoint, which runs :func:`main`: it
writes ``/grade/results/results.json`` and always exits 0.
"""

import json
import shutil
import uuid
from pathlib import Path

from mlpcourse.course.platforms.source import copy_course
from mlpcourse.grader.platforms.upload import file_names

#: PrairieLearn's Python grader image; any image with Python 3.11+, numpy and rich will do.
DEFAULT_IMAGE = "prairielearn/grader-python"
ENTRYPOINT = "/grade/tests/grade.sh"
MAX_TIMEOUT = 600

GRADE_SH = """#!/bin/bash
# PrairieLearn's external grader runs this as root. MLPCOURSE_PYTHON: the Python to use.
chmod -R go-rwx /grade/tests /grade/serverFilesCourse 2>/dev/null
cd /grade/tests/course || exit 0
"${MLPCOURSE_PYTHON:-python3}" -m mlpcourse.grader.platforms.prairielearn "$@"
exit 0
"""

QUESTION_HTML = """<pl-question-panel>
  <p>Upload the files of your <code>mlpcourse/</code> folder. They are graded with the
  course's checks: each function is compared with finite-difference gradients.</p>
</pl-question-panel>

<pl-file-upload file-names="{names}"></pl-file-upload>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


def info_json(image: str, timeout: int, title: str, question_id: str | None = None) -> dict:
    """The question's ``info.json``, graded externally by ``image`` within ``timeout`` s.

    ``question_id``: the question's uuid (a new one when None).
    """
    if not 1 <= timeout <= MAX_TIMEOUT:
        raise ValueError(f"timeout must be an integer from 1 to {MAX_TIMEOUT} s, got {timeout}")
    return {
        "uuid": question_id or str(uuid.uuid4()),
        "title": title,
        "topic": "Backpropagation",
        "tags": ["mlpcourse"],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": image,
            "entrypoint": ENTRYPOINT,
            "timeout": int(timeout),
        },
    }


def _earlier_export(target: Path) -> str:
    """The uuid of the question exported earlier into ``target``; raises if it is not one."""
    try:
        question_id = json.loads((target / "info.json").read_text())["uuid"]
        is_ours = "platforms.prairielearn" in (target / "tests" / "grade.sh").read_text()
    except (OSError, ValueError, KeyError, TypeError):
        question_id, is_ours = None, False
    if not (isinstance(question_id, str) and is_ours):
        raise FileExistsError(
            f"the question folder must be new, empty or an earlier export, got {target}"
        )
    return question_id


def export(target: Path, image: str = DEFAULT_IMAGE, timeout: int = 120) -> list[Path]:
    """Write the question folder ``target``; returns the files written.

    Exporting again into a folder of an earlier export updates it and keeps
    its uuid, so PrairieLearn sees the same question (and its submissions).
    """
    question_id = None
    if target.exists() and any(target.iterdir()):
        question_id = _earlier_export(target)
        shutil.rmtree(target / "tests")
    info = info_json(image, timeout, "Neural networks: the exercise modules", question_id)
    (target / "tests").mkdir(parents=True, exist_ok=True)
    (target / "info.json").write_text(json.dumps(info, indent=2) + "\n")
    (target / "question.html").write_text(QUESTION_HTML.format(names=", ".join(file_names())))
    (target / "tests" / "grade.sh").write_text(GRADE_SH)
    (target / "tests" / "grade.sh").chmod(0o755)
    written = copy_course(target / "tests" / "course")
    return [target / "info.json", target / "question.html", target / "tests" / "grade.sh", *written]
