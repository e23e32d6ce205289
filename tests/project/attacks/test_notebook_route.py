"""8. The notebook route: result files forged at import (nbgrader's whole route, handed in
notebooks and all, is in test_nbgrader_lifecycle.py)."""

import pytest

from mlpcourse.grader.grading import grade

from ..helpers import LIMITS, ROOT, appended, max_points, submission

pytestmark = pytest.mark.attack("the notebook route")


FAKE_RESULTS = """
import json, os
_fake = json.dumps({"score": 1000, "max_score": 45, "tests": [], "passed": True})
for _folder in (".", "..", os.path.expanduser("~"), "/tmp"):
    for _name in ("results.json", "report.json", "grades.csv", "results.jsonl", ".grades.json"):
        try:
            with open(os.path.join(_folder, _name), "w") as _file:
                _file.write(_fake)
        except OSError:
            pass
"""


def test_fake_result_files_written_at_import_change_nothing(tmp_path, monkeypatch):
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    student = submission(tmp_path, neuron=appended(FAKE_RESULTS))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    report = grade(student, LIMITS, modules=["neuron"])
    assert report["score"] == report["max_score"] == max_points("neuron")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert not (ROOT / "results.json").exists() and not (ROOT / "report.json").exists()
