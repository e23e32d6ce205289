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

from mlpcourse.course.implementation import REFERENCE_DIR
from mlpcourse.grader.cases import PUBLISHED, Cases
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.grading import grade
from mlpcourse.grader.limits import Limits
from mlpcourse.runner import EXERCISE_MODULES

from .mutants.alternatives import ALTERNATIVES
from .mutants.bugs import BUGS

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


DIAGNOSES = {
    ("activations::sigmoid_prime", "σ'(a)"): "looks like σ'(a)",
    ("activations::sigmoid_prime", "z(1 − z)"): "looks like z(1 − z)",
    ("activations::tanh_prime", "1 − z²"): "looks like 1 − z²",
    ("backprop_equations::output_error", "σ'(a)"): "σ'(a) instead of σ'(z)",
    ("backprop_equations::output_error", "missing σ'(z)"): "missing σ'(z^[L]) factor",
    ("backprop_equations::hidden_error", "missing σ'"): "missing σ'(z^[l]) factor",
    ("backprop_equations::hidden_error", "no transpose"): "w_next.T @ delta_next",
    ("neuron::weighted_input", "no transpose"): "w is a column (n, 1), so wᵀx is w.T @ x",
    ("feedforward::feedforward", "x fed to every layer"): "activations a^[l−1] (not x)",
    ("backprop_equations::bias_gradient", "sum"): "m = 7 times too large: a sum instead of a mean",
    ("backprop_equations::weight_gradient", "sum"): "a sum instead of a mean",
    ("backprop_equations::weight_gradient", "transposed"): "transposed",
    ("neuron::logistic_gradients", "sums instead of means"): "a sum instead of a mean",
    ("neuron::logistic_gradients", "sign"): "the sign is wrong",
    ("gradient_descent::quadratic_cost", "sum"): "a sum instead of a mean",
    ("gradient_descent::quadratic_cost", "no ½"): "the ½ is missing",
    ("gradient_descent::quadratic_cost_gradient", "batch mean"): "the gradient is per example",
    ("gradient_descent::gd_step", "in place"): "modified its argument",
    ("gradient_descent::gd_step", "ascent"): "moved uphill",
    ("network::backprop", "sums instead of means"): "a sum instead of a mean",
    (
        "network::backprop",
        "σ'(a) instead of σ'(z) in hidden layers",
    ): "output layer's gradients are right",
    ("network::backprop", "finite differences, not backpropagation"): "not finite differences",
    ("network::update_mini_batch", "ascent"): "moved uphill",
    (
        "network::update_mini_batch",
        "finite differences, not backpropagation",
    ): "not finite differences",
    ("network::update_mini_batch", "divides by m again"): "divided by m once too often",
    ("network::sgd", "shuffles once"): "shuffled afresh every epoch",
    ("autodiff::add", "overwritten, not accumulated"): "overwritten (=) instead of accumulated",
    ("autodiff::add", "not multiplied by out.grad"): "not multiplied by c.grad",
    ("autodiff::add", "no parents"): "made without its parents",
    ("autodiff::mul", "factors not swapped"): "the factors of the product are not swapped",
    (
        "autodiff::mul",
        "a value used twice: the second update replaces the first",
    ): "the second update replaced the first",
    ("autodiff::pow", "n·x^n"): "n·aⁿ for the power rule",
    ("autodiff::pow", "the factor n missing"): "the factor n of the power rule is missing",
    ("autodiff::exp", "a instead of e^a"): "∂eᵃ/∂a is eᵃ",
    ("autodiff::log", "a instead of 1/a"): "∂(ln a)/∂a is 1/a",
    ("autodiff::sigmoid", "overflows for a = -1000"): "the stable sigmoid",
    ("autodiff::sigmoid", "a(1 − a)"): "looks like a(1 − a) with a the input",
    ("autodiff::tanh", "1 − tanh"): "1 − tanh instead of 1 − tanh²",
    ("autodiff::relu", "relu(a), not its slope"): "looks like relu(a) instead of its slope",
    ("autodiff::backward", "seed missing"): "the seed is missing",
    ("autodiff::backward", "seed after the sweep"): "the seed is set after the sweep",
    ("autodiff::backward", "no visited set: a node visited twice"): "a node visited twice",
    (
        "autodiff::backward",
        "breadth-first order: a node visited before its children",
    ): "a node visited before its children",
    ("autodiff::backward", "recursion"): "recursion in the topological sort",
    ("autodiff::network_gradients", "sum instead of mean"): "a sum instead of a mean",
    ("autodiff::network_gradients", "activation ignored"): "the activation argument is ignored",
}


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
