"""A class's reports counted: scores, pass rates, diagnoses and trouble, for the class report.

Reads only the reports' plain values (``mlpcourse grade --all`` writes them);
the functions and chapters come from this installation's checks, so a report
from another version of the course counts under its own check ids.
"""

from collections import Counter
from dataclasses import dataclass, field

from mlpcourse import config
from mlpcourse.course.sections import Section, section_for
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.diagnosis import diagnose, is_named, is_operational

#: Diagnoses that are not a mistake of the function's own mathematics, nor trouble.
UNFINISHED = ("not written yet", "waiting on")


@dataclass
class FunctionRate:
    """How a graded function fared: passed, not written and graded counts."""

    check: str
    function: str
    chapter: str
    passed: int = 0
    not_written: int = 0
    graded: int = 0

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass
class ChapterRate:
    """How a chapter fared: students with every check passed, and checks passed."""

    chapter: str
    complete: int = 0
    checks_passed: int = 0
    checks_graded: int = 0
    students: int = 0

    @property
    def complete_rate(self) -> float:
        return self.complete / self.students if self.students else 0.0

    @property
    def checks_rate(self) -> float:
        return self.checks_passed / self.checks_graded if self.checks_graded else 0.0


@dataclass
class Diagnosis:
    """One mistake in one function, and the students who made it."""

    check: str
    function: str
    chapter: str
    label: str
    section: Section | None
    students: list[str] = field(default_factory=list)

    @property
    def named(self) -> bool:
        """Whether it names a classic mistake (not only "wrong values")."""
        return is_named(self.label)


@dataclass
class Trouble:
    """A test that crashed, timed out or could not run, for one student."""

    student: str
    function: str
    label: str
    message: str


@dataclass
class ClassSummary:
    """Everything the class report shows, counted."""

    students: list[str]
    scores: dict[str, float]
    max_score: float
    functions: list[FunctionRate]
    chapters: list[ChapterRate]
    diagnoses: list[Diagnosis]
    troubles: list[Trouble]
    errors: dict[str, str]
    #: The cases the reports were graded on (``published``, or a hash of the course secret).
    variants: list[str] = field(default_factory=list)

    def top(self, count: int = 3) -> list[Diagnosis]:
        """The ``count`` most common named mistakes: what to re-teach."""
        return [d for d in self.diagnoses if d.named][:count]


def function_name(check_id: str) -> str:
    """``activations::sigmoid_prime`` → ``sigmoid_prime``; ``Network.backprop`` for methods."""
    check = next((c for c in CHECKS if c.id == check_id), None)
    return check.functions[0] if check else check_id.partition("::")[2] or check_id


def summarize(reports: dict[str, dict]) -> ClassSummary:
    """Count a class's reports (``{student: report}``, as ``load_reports`` gives them)."""
    errors = {s: str(r.get("error")) for s, r in reports.items() if "tests" not in r}
    graded = {s: r for s, r in reports.items() if s not in errors}
    graded_modules = config.load().graded_modules()
    checks = [c for c in CHECKS if c.module in graded_modules]
    functions = {c.id: FunctionRate(c.id, function_name(c.id), c.chapter) for c in checks}
    chapters = {c.chapter: ChapterRate(c.chapter) for c in checks}
    graded_chapters = set(chapters)
    found: dict[tuple[str, str], Diagnosis] = {}
    troubles: list[Trouble] = []
    for student in sorted(graded):
        per_chapter: dict[str, bool] = {}
        for test in graded[student].get("tests", []):
            check, chapter = str(test.get("id")), str(test.get("chapter"))
            if chapter not in graded_chapters:
                continue  # a chapter the teacher left out of the grade (course.toml)
            rate = functions.setdefault(check, FunctionRate(check, function_name(check), chapter))
            passed = test.get("passed") is True
            label = test["diagnosis"] if "diagnosis" in test else diagnose(test)
            rate.graded += 1
            rate.passed += passed
            rate.not_written += bool(label) and str(label).startswith("not written yet")
            chapter_rate = chapters.setdefault(chapter, ChapterRate(chapter))
            chapter_rate.checks_graded += 1
            chapter_rate.checks_passed += passed
            per_chapter[chapter] = per_chapter.get(chapter, True) and passed
            if passed or not label:
                continue
            _file(found, troubles, student, test, rate, str(label))
        for chapter, complete in per_chapter.items():
            chapters[chapter].students += 1
            chapters[chapter].complete += complete
    order = {c.id: i for i, c in enumerate(CHECKS)}
    diagnoses = sorted(
        found.values(),
        key=lambda d: (-len(d.students), order.get(d.check, len(order)), d.check, d.label),
    )
    scores = {s: float(r.get("score", 0.0)) for s, r in graded.items()}
    max_score = max((float(r.get("max_score", 0.0)) for r in graded.values()), default=0.0)
    return ClassSummary(
        students=sorted(reports),
        scores=scores,
        max_score=max_score or sum(c.points for c in CHECKS),
        functions=list(functions.values()),
        chapters=list(chapters.values()),
        diagnoses=diagnoses,
        troubles=troubles,
        errors=errors,
        variants=sorted({str(r["variant"]) for r in graded.values() if r.get("variant")}),
    )


def _file(
    found: dict, troubles: list[Trouble], student: str, test: dict, rate: FunctionRate, label: str
) -> None:
    """A failed test: a mistake among ``found`` (by check and label), or a trouble."""
    if is_operational(label):
        if not label.startswith(UNFINISHED):
            troubles.append(Trouble(student, rate.function, label, str(test.get("message", ""))))
        return
    key = (rate.check, label)
    if key not in found:
        found[key] = Diagnosis(rate.check, rate.function, rate.chapter, label, section_for(*key))
    found[key].students.append(student)


def counts_by_chapter(summary: ClassSummary) -> dict[str, Counter]:
    """For each chapter, how many times each mistake was made in it."""
    by_chapter: dict[str, Counter] = {c.chapter: Counter() for c in summary.chapters}
    for diagnosis in summary.diagnoses:
        by_chapter.setdefault(diagnosis.chapter, Counter())[diagnosis.label] += len(
            diagnosis.students
        )
    return by_chapter
