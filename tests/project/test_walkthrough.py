"""A new student's first evening, replayed on the student edition.

The edition is built into a fresh folder and its README followed: every
command it shows is run there (``make lab`` started, answering HTTP, then
stopped), then a dozen mistakes are planted one at a time, and what the
student reads is asserted: the cause named, the right file and function,
nothing of the grader's insides.

``make install`` is replaced by a virtual environment that sees this
course's installed packages (a full install would download them again), with
the edition's own ``mlpcourse`` installed into it, so every command runs the
edition's code.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.course.submissions import student_edition
from mlpcourse.implementation import REFERENCE_DIR

from .mutants import Variant

ROOT = REFERENCE_DIR.parent.parent


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("walkthrough") / "class-repo"
    student_edition(ROOT, target)
    venv = target / ".venv"
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    (site / "course-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [venv / "bin/python", "-m", "pip", "install", "--quiet", "--no-deps"]
        + ["--no-build-isolation", "--no-index", "-e", str(target)],
        check=True,
        capture_output=True,
    )
    for script in ("jupyter", "jupyter-lab"):
        (venv / "bin" / script).symlink_to(Path(sys.executable).parent / script)
    (venv / ".installed").touch()  # what `make install` leaves when it is done
    return target


def run(edition: Path, *command: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {
        "PATH": f"{edition / '.venv/bin'}:/usr/bin:/bin",
        "HOME": str(edition.parent),
        "COLUMNS": "250",
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        command, cwd=edition, env=env, capture_output=True, text=True, timeout=timeout
    )


def readme_commands(edition: Path) -> list[str]:
    """The commands in the README's shell blocks."""
    text = (edition / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line]


def test_the_readme_is_for_students(edition):
    text = (edition / "README.md").read_text()
    for instructor_only in ("make book", "make release", "student-edition", "Security model"):
        assert instructor_only not in text
    assert "<!--" not in text
    for student in ("make install", "make lab", "make check", "make test", "## Handing in"):
        assert student in text
    assert "git push" in text and "make hand-in" not in text  # course.toml says git
    makefile = (edition / "Makefile").read_text()
    assert "book:" not in makefile and "release:" not in makefile and "for:" not in makefile


def test_every_make_command_of_the_readme_exists_in_the_edition(edition):
    commands = readme_commands(edition)
    assert {"make install", "make lab", "make check", "make test"} <= set(commands)
    for command in commands:
        if command.startswith("make "):
            dry = run(edition, "make", "-n", *command.split()[1:])
            assert dry.returncode == 0, (command, dry.stderr)


def test_make_check_and_make_test_on_the_stubs(edition):
    check = run(edition, "make", "check")
    assert check.returncode == 0, check.stderr
    assert "score 0 / 59" in check.stdout
    assert "Next: write weighted_input in mlpcourse/neuron.py" in check.stdout
    assert "01-neuron: 0/7 points" in check.stdout  # progress, chapter by chapter
    tests = run(edition, "make", "test")
    assert "graded checks of student: 0 / 59 points" in tests.stdout, tests.stdout[-2000:]
    assert "not written yet" in tests.stdout


def test_make_lab_starts_and_answers(edition):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    flags = f"--no-browser --port={port} --ip=127.0.0.1 --ServerApp.token= --ServerApp.password="
    env = {"PATH": f"{edition / '.venv/bin'}:/usr/bin:/bin", "HOME": str(edition.parent)}
    lab = subprocess.Popen(
        ["make", "lab", f"LAB_FLAGS={flags}"],
        cwd=edition,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        status, deadline = None, time.monotonic() + 300  # JupyterLab starts slowly when busy
        while status is None and time.monotonic() < deadline:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=30).status
            except OSError:
                time.sleep(0.5)
        assert status == 200
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()


def reference_module(module: str) -> str:
    return (REFERENCE_DIR / f"{module}.py").read_text()


def plant(edition: Path, modules: dict[str, str]) -> None:
    """Write the student's modules: the stubs, but these (module → text)."""
    for module in EXERCISE_MODULES:
        text = modules.get(module, (ROOT / "mlpcourse" / f"{module}.py").read_text())
        (edition / "mlpcourse" / f"{module}.py").write_text(text)


def written(*modules: str, bug: Variant | None = None, edit=None) -> dict[str, str]:
    """These modules written (the reference's text), with one bug or edit planted."""
    texts = {m: reference_module(m) for m in modules}
    if bug is not None:
        texts[bug.module] = bug.apply(texts[bug.module])
    if edit is not None:
        module, change = edit
        texts[module] = change(texts[module])
    return texts


ALL = tuple(EXERCISE_MODULES)
SIGMA_PRIME_OF_A = """
zs, activations = feedforward(self.weights, self.biases, x, self.activation)
grad_w = [np.empty(0)] * len(self.weights)
grad_b = [np.empty(0)] * len(self.biases)
delta = output_error(self.cost_gradient(activations[-1], y), activations[-1], self.activation_prime)
for i in reversed(range(len(self.weights))):
    if i < len(self.weights) - 1:
        delta = hidden_error(self.weights[i + 1], delta, activations[i + 1], self.activation_prime)
    grad_w[i] = weight_gradient(delta, activations[i])
    grad_b[i] = bias_gradient(delta)
return grad_w, grad_b
"""
MISTAKES = {
    "a naive sigmoid overflows": (
        written(
            "activations",
            bug=Variant("activations::sigmoid", "sigmoid", "return 1 / (1 + np.exp(-z))", ""),
        ),
        "02",
        ["✗", "sigmoid", "overflow", "Likely cause", "stable sigmoid"],
    ),
    "σ'(a) for σ'(z)": (
        written(
            "activations",
            bug=Variant(
                "activations::sigmoid_prime",
                "sigmoid_prime",
                "a = sigmoid(z)\nreturn sigmoid(a) * (1 - sigmoid(a))",
                "",
            ),
        ),
        "02",
        ["looks like σ'(a)"],
    ),
    "relu_prime returns z through np.where": (
        written(
            "activations",
            bug=Variant(
                "activations::relu_prime", "relu_prime", "return np.where(z > 0, z, 0.0)", ""
            ),
        ),
        "02",
        ["relu_prime", "looks like relu(z) instead of its derivative"],
    ),
    "a syntax error": (
        written(
            "activations",
            edit=(
                "activations",
                lambda t: t.replace("e = np.exp(-np.abs(z))", "e = np.exp(-np.abs(z)", 1),
            ),
        ),
        "02",
        ["importing mlpcourse/activations.py failed", "SyntaxError", "line"],
    ),
    "an endless loop in tanh_prime": (
        written(
            "activations",
            bug=Variant("activations::tanh_prime", "tanh_prime", "while True:\n    pass", ""),
        ),
        "02",
        ["tanh_prime did not finish within 10 s", "mlpcourse/activations.py"],
    ),
    "an endless loop in tanh_prime, called by a correct backprop": (
        written(
            *ALL,
            bug=Variant("activations::tanh_prime", "tanh_prime", "while True:\n    pass", ""),
        ),
        "06",
        [
            "⋯",
            "backprop is not checked yet: it calls your tanh_prime (mlpcourse/activations.py), which does not finish",
            "fix tanh_prime first",
            "Next: fix tanh_prime in mlpcourse/activations.py",
        ],
    ),
    "the cost summed over the batch": (
        written(
            "gradient_descent",
            bug=Variant(
                "gradient_descent::quadratic_cost",
                "quadratic_cost",
                "return 0.5 * float(np.sum((a - y) ** 2))",
                "",
            ),
        ),
        "04",
        ["a sum instead of a mean"],
    ),
    "minibatches drops the last batch": (
        written(
            "gradient_descent",
            bug=Variant(
                "gradient_descent::minibatches",
                "minibatches",
                "order = rng.permutation(m)\nreturn [order[i : i + batch_size] for i in range(0, m - batch_size + 1, batch_size)]",
                "",
            ),
        ),
        "04",
        ["the last, smaller batch is dropped"],
    ),
    "gd_step modifies the parameters in place": (
        written(
            "gradient_descent",
            bug=Variant(
                "gradient_descent::gd_step",
                "gd_step",
                "for p, g in zip(params, grads):\n    p -= lr * g\nreturn list(params)",
                "",
            ),
        ),
        "04",
        ["modified its argument params"],
    ),
    "δ divided by m in BP1": (
        written(
            "backprop_equations",
            bug=Variant(
                "backprop_equations::output_error",
                "output_error",
                "return grad_a * activation_prime(z) / z.shape[1]",
                "",
            ),
        ),
        "05",
        ["δ divided by m"],
    ),
    "BP4 without its transpose": (
        written(
            "backprop_equations",
            bug=Variant(
                "backprop_equations::weight_gradient",
                "weight_gradient",
                "m = delta.shape[1]\nreturn delta @ a_prev / m",
                "",
            ),
        ),
        "05",
        [
            "weight_gradient: ValueError: the shapes in a product do not fit: delta is (",
            "must be (",
            "Likely cause: a missing transpose: BP4's δ^[l] (a^[l−1])ᵀ is delta @ a_prev.T",
            "return delta @ a_prev / m",
        ],
    ),
    "the logistic gradients' sign flipped": (
        written(
            "activations",
            "neuron",
            bug=Variant(
                "neuron::logistic_gradients",
                "logistic_gradients",
                "m = x.shape[1]\nerror = y - logistic_regression(w, x, b)\nreturn x @ error.T / m, float(np.mean(error))",
                "",
            ),
        ),
        "01",
        ["the sign is wrong"],
    ),
    "σ'(a) inside backprop": (
        written(*ALL, bug=Variant("network::backprop", "Network.backprop", SIGMA_PRIME_OF_A, "")),
        "06",
        ["network.Network.backprop", "Likely cause: σ'(a) instead of σ'(z)"],
    ),
    "a product whose factors are not swapped": (
        written(
            "autodiff",
            bug=Variant(
                "autodiff::mul",
                "Value.__mul__",
                "out = Value(self.data * other.data, (self, other), '*')\n\n"
                "def _backward():\n    self.grad += self.data * out.grad\n"
                "    other.grad += other.data * out.grad\n\n"
                "out._backward = _backward\nreturn out",
                "",
            ),
        ),
        "07",
        [
            "✗",
            "Value.__mul__",
            "Likely cause: the factors of the product are not swapped",
            "network_gradients is not checked yet: it calls your Value.__mul__ "
            "(mlpcourse/autodiff.py)",
            "fix __mul__ first",
            "Next: fix Value.__mul__ in mlpcourse/autodiff.py",
        ],
    ),
    "a recursive topological sort": (
        written(
            "autodiff",
            bug=Variant(
                "autodiff::backward",
                "Value.backward",
                "order, seen = [], set()\n\n"
                "def visit(node):\n    if node not in seen:\n        seen.add(node)\n"
                "        for parent in node.parents:\n            visit(parent)\n"
                "        order.append(node)\n\n"
                "visit(self)\nself.grad = 1.0\nfor node in reversed(order):\n    node._backward()",
                "",
            ),
        ),
        "07",
        ["Value.backward", "RecursionError", "sort with a loop and a list as a stack"],
    ),
    "a broken sigmoid_prime under a correct backprop": (
        written(
            *ALL,
            bug=Variant("activations::sigmoid_prime", "sigmoid_prime", "return sigmoid(z)", ""),
        ),
        "06",
        [
            "⋯",
            "backprop is not checked yet: it calls your sigmoid_prime (mlpcourse/activations.py)",
            "fix sigmoid_prime first",
            "Next: fix sigmoid_prime in mlpcourse/activations.py",
        ],
    ),
}


def check(edition: Path, chapter: str = "") -> str:
    result = run(edition, ".venv/bin/mlpcourse", "check", *([chapter] if chapter else []))
    assert result.returncode == 0, result.stderr
    for inside in ("_mlpcourse", "Traceback", "/opt/mlpcourse", "grader/", "runner/", "gufunc"):
        assert inside not in result.stdout, (inside, result.stdout)
    return result.stdout


@pytest.mark.parametrize("mistake", MISTAKES, ids=list(MISTAKES))
def test_a_planted_mistake_is_named(mistake, edition):
    modules, chapter, expected = MISTAKES[mistake]
    plant(edition, modules)
    shown = check(edition, chapter)
    for text in expected:
        assert text in shown, (text, shown)
    assert any(f"Next: {verb}" in shown for verb in ("fix", "write", "make"))


def test_chapter_one_alone_gets_its_points_and_points_onwards(edition):
    plant(edition, written("neuron"))  # sigmoid (chapter 02) is not written yet
    shown = check(edition, "01")
    assert "score 4 / 7" not in shown and "score 7 / 7" in shown, shown
    assert "Next: chapter 02-activations" in shown
    everything = check(edition)
    assert "01-neuron: 7/7 points" in everything
    assert "Next: write sigmoid in mlpcourse/activations.py" in everything


def test_full_marks_say_how_to_hand_in(edition):
    plant(edition, written(*ALL))
    shown = check(edition)
    assert "score 59 / 59" in shown and "All 59 points" in shown and "git push" in shown


def test_a_file_that_does_not_import_costs_only_its_functions(edition):
    broken = ("activations", lambda t: t.replace("def relu(", "def relu(:", 1))
    plant(edition, written(*ALL, edit=broken))
    shown = check(edition)
    assert "01-neuron: 7/7 points" in shown  # σ for chapter 1 comes from the lecture's formula
    assert "02-activations: 0/8 points" in shown
    for chapter in (
        "03-feedforward: 4/4",
        "04-gradient-descent: 7/7",
        "05-backprop-equations: 9/9",
        "07-autodiff: 14/14",
    ):
        assert f"{chapter} points" in shown
    assert "importing mlpcourse/activations.py failed: SyntaxError" in shown
    assert "def relu(:" in shown  # the offending line, as the student wrote it
    assert "backprop is not checked yet: it calls your" in shown
    assert "which is in mlpcourse/activations.py, which does not import" in shown
    assert "fix mlpcourse/activations.py first" in shown
    assert "Next: make mlpcourse/activations.py import again" in shown
