"""Every plausible bug loses the points of its own check, and only those;
every correct alternative gets full points.

The variants are edits of the reference (see tests/project/mutants). Each is
graded as the grader does it: the edited module in a submission folder,
graded by its chapter's runner in the sandbox, with the reference computing
the collaborators on the trusted side; once on the published cases (what
``mlpcourse check`` uses) and once on hidden cases drawn from a fixed course
secret (what ``mlpcourse grade`` uses). ``bench/hidden_cases.py`` does the
same over many secrets.
"""

import pytest

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.grader.cases import PUBLISHED, Cases
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.grading import grade
from mlpcourse.grader.limits import Limits
from mlpcourse.implementation import REFERENCE_DIR

from .mutants.alternatives import ALTERNATIVES
from .mutants.bugs import BUGS
from .mutants.diagnoses import DIAGNOSES

#: No variant loops for ever, and an honest check takes at most 3.8 s with both cores of 2 busy
#: (network::backprop): a check limit far above that keeps a loaded machine from failing one.
#: Unlike helpers.LIMITS, the runners keep the grader's default memory (Limits().memory_mb).
MUTANT_LIMITS = Limits(timeout=120, check_timeout=30)

#: A fixed course secret (deterministic runs): the hidden cases the mutants are graded on too.
HIDDEN = Cases(b"the mutant suite's course secret")


def outcomes(variant, tmp_path, cases: Cases = PUBLISHED) -> dict[str, str | None]:
    """Each check of the variant's chapter: None if it passed, else the failure message."""
    folder = tmp_path / "mlpcourse"
    folder.mkdir()
    for module in EXERCISE_MODULES:
        text = (REFERENCE_DIR / f"{module}.py").read_text()
        if module == variant.module:
            text = variant.apply(text)
        (folder / f"{module}.py").write_text(text)
    report = grade(tmp_path, MUTANT_LIMITS, modules=[variant.module], jobs=1, cases=cases)
    assert report["variant"] == cases.variant
    return {t["id"]: None if t["passed"] else t["message"] for t in report["tests"]}


def test_the_suite_is_large_and_covers_every_chapter():
    assert len(BUGS) >= 50 and len(ALTERNATIVES) >= 20
    chapters = {c.module for c in CHECKS}
    assert {v.module for v in BUGS} == chapters
    assert {v.module for v in ALTERNATIVES} == chapters


#: What makes a message a diagnosis: it names the cause, not only what differs.
NAMED = (
    "Likely cause",
    "modified its argument",
    "moved uphill",
    "not shuffled",
    "shuffled afresh",
    "must come from rng",
    "did not change",
    "not finite differences",
    "(transposed?)",
    "keep the 2-d shape",
    "must match those of x",
    "must be 0 or 1",
    "must return float64",
)


def named_cause(message: str) -> bool:
    return any(marker in message for marker in NAMED)


@pytest.mark.parametrize("variant", BUGS, ids=[f"{v.check}:{v.description}" for v in BUGS])
def test_bug_loses_its_own_points_only(variant, record_property, tmp_path):
    results = outcomes(variant, tmp_path)
    record_property("mutant", "bug-caught" if results[variant.check] else "false-accept")
    message = results[variant.check] or ""
    record_property("diagnosis", "named" if named_cause(message) else "generic")
    assert results[variant.check], f"false accept: {variant.description} passed {variant.check}"
    collateral = {k: v for k, v in results.items() if v and k != variant.check}
    assert not collateral, f"collateral failures: {collateral}"


@pytest.mark.parametrize(
    "variant", ALTERNATIVES, ids=[f"{v.check}:{v.description}" for v in ALTERNATIVES]
)
def test_alternative_gets_full_points(variant, record_property, tmp_path):
    failures = {k: v for k, v in outcomes(variant, tmp_path).items() if v}
    record_property("mutant", "false-reject" if failures else "alternative-accepted")
    assert not failures, f"false reject of {variant.description}: {failures}"


@pytest.mark.parametrize("key", DIAGNOSES, ids=[f"{c}:{d}" for c, d in DIAGNOSES])
def test_failure_message_names_the_likely_cause(key, tmp_path):
    variant = next(v for v in BUGS if (v.check, v.description) == key)
    message = outcomes(variant, tmp_path)[variant.check]
    assert message and DIAGNOSES[key] in message, message


# ---- the same on hidden cases ---------------------------------------------------------------
# Drawn from HIDDEN and the submitted files: a case of its own for each variant. The sizes
# (m, the layers) are those of the published cases, so the diagnoses name the same m.


@pytest.mark.parametrize("variant", BUGS, ids=[f"{v.check}:{v.description}" for v in BUGS])
def test_bug_loses_its_own_points_on_hidden_cases(variant, record_property, tmp_path):
    results = outcomes(variant, tmp_path, HIDDEN)
    record_property("hidden", "bug-caught" if results[variant.check] else "false-accept")
    assert results[variant.check], f"false accept: {variant.description} passed {variant.check}"
    collateral = {k: v for k, v in results.items() if v and k != variant.check}
    assert not collateral, f"collateral failures: {collateral}"
    key = (variant.check, variant.description)
    if key in DIAGNOSES:
        assert DIAGNOSES[key] in results[variant.check], results[variant.check]


@pytest.mark.parametrize(
    "variant", ALTERNATIVES, ids=[f"{v.check}:{v.description}" for v in ALTERNATIVES]
)
def test_alternative_gets_full_points_on_hidden_cases(variant, record_property, tmp_path):
    failures = {k: v for k, v in outcomes(variant, tmp_path, HIDDEN).items() if v}
    record_property("hidden", "false-reject" if failures else "alternative-accepted")
    assert not failures, f"false reject of {variant.description} on hidden cases: {failures}"
