"""Checks for chapter 7, backpropagation as reverse-mode automatic differentiation.

The student's ``Value``s live in the runner, where a check can neither apply
an operator (``a * b`` is a dunder) nor call a local rule (``_backward`` is
private) through the wire. So each check sends its graphs as one *program*
of plain data to the runner's graph tool (:func:`mlpcourse.runner.graphs.run`),
which builds them with the student's class, and judges the numbers that come
back against the lecture's definitions:

- **an operation** c = f(a, b): on fresh leaves whose ``grad`` is set first
  (not 0: a rule must *add*), ``c.grad`` set, ``c._backward()`` called once;
  each operand's new ``grad`` must be its old one plus ∂c/∂a · c.grad, the
  partial derivative taken by central differences of f. Nothing of the
  student's runs but that operation (and the given code around it).
- **backward** on graphs of *fixtures*, nodes whose local rules the check
  sets itself (parent.grad += coefficient · grad, logging that it ran), so it
  needs none of the student's operations: values used twice, a value that
  is not an ancestor of the output, a single leaf, and a 10,000-node chain.
  The gradients are compared with central differences of the graph's value,
  and the log shows a rule run twice or too early.
- **network_gradients** against finite differences of the batch-mean loss;
  when the reference is installed, its operations and sweep stand in for the
  student's (:mod:`mlpcourse.grader.graph_reference`), so a wrong ``__mul__``
  costs only its own points.

Every random draw of a check is in one helper, ``_cases_<check>``.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mlpcourse.gradcheck import GradientCheckError, check_gradient, numerical_gradient
from mlpcourse.grader.cases import Cases
from mlpcourse.grader.remote import time_limit
from mlpcourse.grader.wording import plain
from mlpcourse.runner.protocol import RemoteError, Unsupported

from . import definitions as d
from . import graded
from .tools import away_from_kinks, batch_hints, call, number, random_network, shown

#: The step of the central differences, and the relative error a correct rule stays under.
H, RTOL = 1e-6, 1e-6


# ---- programs for the runner's graph tool --------------------------------------------------


class Program:
    """Instructions for :func:`mlpcourse.runner.graphs.run`; node indices are counted here."""

    def __init__(self) -> None:
        self.steps: list[list] = []
        self.size = 0

    def _node(self, step: list) -> int:
        self.steps.append(step)
        self.size += 1
        return self.size - 1

    def leaf(self, data: float) -> int:
        return self._node(["leaf", float(data)])

    def op(self, name: str, i: int, kind: str = "", operand=None) -> int:
        return self._node(["op", name, i, *([kind, operand] if kind else [])])

    def linear(self, data: float, parents: list[int], coefficients: list[float]) -> int:
        return self._node(["linear", float(data), list(parents), [float(c) for c in coefficients]])

    def chain(self, start: int, coefficients: np.ndarray) -> list[int]:
        self.steps.append(["chain", start, np.asarray(coefficients, dtype=np.float64)])
        first = self.size
        self.size += len(coefficients)
        return list(range(first, self.size))

    def grad(self, i: int, g: float) -> None:
        self.steps.append(["grad", i, float(g)])

    def local(self, i: int) -> None:
        self.steps.append(["local", i])

    def backward(self, i: int) -> None:
        self.steps.append(["backward", i])


@dataclass
class Node:
    """A node of the student's graph as the runner described it."""

    label: str
    data: object
    grad: object
    op: object
    parents: object

    def value(self, what: str = "data") -> float:
        """``data`` or ``grad`` as one finite number, or an AssertionError saying what it is."""
        found = getattr(self, what)
        if type(found) in (float, int) and math.isfinite(found):
            return float(found)
        try:
            return float(number(f"{self.label}.{what}", found))
        except AssertionError:
            raise AssertionError(
                f"{self.label}.{what} must be a number (a float); it is {shown(found)}"
                + (f" {found}" if type(found) is float else "")
            ) from None


def run(impl, program: Program, report: list[int], label: str) -> tuple[dict[int, Node], list]:
    """Carry out ``program`` with the student's ``Value``; the reported nodes and the log."""
    tool = impl.tool("graph")
    result = call(tool, label, Value=impl.autodiff.Value, program=program.steps, report=report)
    return _parse(result, label)


def _parse(result, label: str) -> tuple[dict[int, Node], list]:
    malformed = AssertionError(
        f"{label}: the runner's answer was malformed; nothing it said counts"
    )
    if type(result) is not dict or type(result.get("nodes")) is not dict:
        raise malformed
    order = result.get("order")
    if type(order) is not np.ndarray or order.ndim != 1:
        raise malformed
    nodes = {}
    for key, entry in result["nodes"].items():
        if not key.isdigit() or type(entry) is not list or len(entry) != 4:
            raise malformed
        nodes[int(key)] = Node(f"node {key}", *entry)
    return nodes, order.tolist()


# ---- the operations --------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One operation students write: ``c = f(a, b)`` (or f(a), or aⁿ for a number n)."""

    method: str  # "__mul__"
    program: str  # the graph tool's name: "mul"
    shown: str  # "a * b"
    f: Callable[..., float]  # the lecture's definition, on numbers
    operands: int  # Value operands: 2 (a, b) or 1 (a, and maybe a number n)
    #: Named mistakes: (cause, the value a's partial derivative would take) for (x, y).
    mistakes: Callable[[float, float], dict[str, float]] = field(default=lambda x, y: {})


def _sigmoid(x: float) -> float:
    return d.sigmoid(x)


ADD = Operation("__add__", "add", "a + b", lambda x, y: x + y, 2)
MUL = Operation(
    "__mul__",
    "mul",
    "a * b",
    lambda x, y: x * y,
    2,
    lambda x, y: {
        "the factors of the product are not swapped: ∂(ab)/∂a = b, so "
        "a.grad += b · c.grad and b.grad += a · c.grad (multiply swaps)": x,
    },
)
POW = Operation(
    "__pow__",
    "pow",
    "a ** n",
    lambda x, n: x**n,
    1,
    lambda x, n: {
        "n·aⁿ for the power rule: ∂(aⁿ)/∂a = n·aⁿ⁻¹": n * x**n,
        "the factor n of the power rule is missing: ∂(aⁿ)/∂a = n·aⁿ⁻¹": x ** (n - 1),
        "(n − 1)·aⁿ⁻¹ for the power rule: ∂(aⁿ)/∂a = n·aⁿ⁻¹": (n - 1) * x ** (n - 1),
    },
)
EXP = Operation(
    "exp",
    "exp",
    "a.exp()",
    lambda x, _: math.exp(x),
    1,
    lambda x, _: {"∂eᵃ/∂a is eᵃ (c itself: out.data), not a": x},
)
LOG = Operation(
    "log",
    "log",
    "a.log()",
    lambda x, _: math.log(x),
    1,
    lambda x, _: {
        "∂(ln a)/∂a is 1/a, not a": x,
        "ln a passed on, not its slope 1/a": math.log(x),
    },
)
SIGMOID = Operation(
    "sigmoid",
    "sigmoid",
    "a.sigmoid()",
    lambda x, _: _sigmoid(x),
    1,
    lambda x, _: {
        "looks like a(1 − a) with a the input: σ'(a) = c(1 − c) with c = σ(a) (out.data)": x
        * (1 - x),
        "σ(a) passed on instead of its slope σ(a)(1 − σ(a))": _sigmoid(x),
        "σ' taken at c = σ(a) instead of at a: σ'(a) = c(1 − c)": _sigmoid(_sigmoid(x))
        * (1 - _sigmoid(_sigmoid(x))),
    },
)
TANH = Operation(
    "tanh",
    "tanh",
    "a.tanh()",
    lambda x, _: math.tanh(x),
    1,
    lambda x, _: {
        "1 − tanh instead of 1 − tanh²: ∂(tanh a)/∂a = 1 − c² with c = tanh a": 1 - math.tanh(x),
        "looks like 1 − a² with a the input: ∂(tanh a)/∂a = 1 − c² with c = tanh a (out.data)": (
            1 - x**2
        ),
        "tanh a passed on instead of its slope 1 − tanh² a": math.tanh(x),
    },
)
RELU = Operation(
    "relu",
    "relu",
    "a.relu()",
    lambda x, _: max(x, 0.0),
    1,
    lambda x, _: {
        "looks like relu(a) instead of its slope: ∂max(a, 0)/∂a is 1 for a > 0 and 0 for "
        "a < 0 (max routes the gradient)": max(x, 0.0),
        "the slope taken on the wrong side of 0: 1 for a > 0, 0 for a < 0": float(x < 0),
    },
)


@dataclass(frozen=True)
class Case:
    """One application of an operation, with the gradients set before the local rule runs."""

    operands: tuple  # ("node", x) or ("number", c), in the order written
    upstream: float  # c.grad
    before: tuple  # the Value operands' grad before, in order
    reused: bool = False  # a ∘ a: the same Value twice


def _cases_add(cases: Cases) -> list[Case]:
    return _binary_cases(cases.rng(701), scale=3.0)


def _cases_mul(cases: Cases) -> list[Case]:
    return _binary_cases(cases.rng(702), scale=2.0)


def _binary_cases(rng: np.random.Generator, scale: float) -> list[Case]:
    """Draws for + and *: two Values, a Value and a number (either side), a Value used twice."""

    def away(n: int) -> np.ndarray:
        values = rng.uniform(0.3, scale, n)
        return values * rng.choice([-1.0, 1.0], n)

    x, g, g0 = away(10), away(8), away(8)
    return [
        Case((("node", x[0]), ("node", x[1])), g[0], (g0[0], g0[1])),
        Case((("node", x[2]), ("node", x[3])), g[1], (g0[2], g0[3])),
        Case((("node", x[4]), ("number", x[5])), g[2], (g0[4],)),
        Case((("number", x[6]), ("node", x[7])), g[3], (g0[5],)),
        Case((("node", x[8]), ("node", x[8])), g[4], (g0[6],), reused=True),
        Case((("node", x[9]), ("node", x[9])), g[5], (0.0,), reused=True),
    ]


def _cases_pow(cases: Cases) -> list[Case]:
    rng = cases.rng(703)
    exponents = [2, 3, -1, 0.5, -2.5, 1]
    x, g, g0 = rng.uniform(0.4, 2.0, 6), rng.uniform(0.3, 2.0, 6), rng.uniform(0.3, 2.0, 6)
    signs = rng.choice([-1.0, 1.0], (2, 6))
    return [
        Case((("node", x[k]), ("number", n)), signs[0, k] * g[k], (signs[1, k] * g0[k],))
        for k, n in enumerate(exponents)
    ]


def _unary_cases(rng: np.random.Generator, points: np.ndarray) -> list[Case]:
    g = rng.uniform(0.3, 2.0, len(points)) * rng.choice([-1.0, 1.0], len(points))
    g0 = rng.uniform(0.3, 2.0, len(points)) * rng.choice([-1.0, 1.0], len(points))
    return [Case((("node", float(x)),), g[k], (g0[k],)) for k, x in enumerate(points)]


def _cases_exp(cases: Cases) -> list[Case]:
    rng = cases.rng(704)
    return _unary_cases(rng, rng.uniform(-3.0, 3.0, 5))


def _cases_log(cases: Cases) -> list[Case]:
    rng = cases.rng(705)
    return _unary_cases(rng, rng.uniform(0.2, 5.0, 5))


def _cases_sigmoid(cases: Cases) -> list[Case]:
    rng = cases.rng(706)
    return _unary_cases(rng, np.concatenate([rng.uniform(-4.0, 4.0, 5), [-1000.0, 1000.0]]))


def _cases_tanh(cases: Cases) -> list[Case]:
    rng = cases.rng(707)
    return _unary_cases(rng, np.concatenate([rng.uniform(-2.5, 2.5, 5), [-30.0]]))


def _cases_relu(cases: Cases) -> list[Case]:
    rng = cases.rng(708)
    return _unary_cases(rng, rng.uniform(0.1, 3.0, 6) * np.array([1, -1, 1, -1, 1, -1]))


def _expression(operation: Operation, case: Case) -> str:
    """``c = a * b with a = 0.71, b = -1.3``, ``c = 2.5 + a with a = 0.4``, ``c = a.exp() …``."""
    names, values, parts = iter("ab"), [], []
    for kind, x in case.operands:
        if kind == "node" and case.reused and parts:
            parts.append(parts[0])
        elif kind == "node":
            name = next(names)
            parts.append(name)
            values.append(f"{name} = {plain(x)}")
        else:
            parts.append(plain(x))
    if operation.operands == 1 and operation.program != "pow":
        text = f"{parts[0]}.{operation.method}()"
    else:
        symbol = {"add": "+", "mul": "*", "pow": "**"}[operation.program]
        text = f"{parts[0]} {symbol} {parts[1]}"
    return f"c = {text} with {', '.join(values)}"


def _build(program: Program, operation: Operation, case: Case) -> tuple[int, list[int]]:
    """The case's nodes: (c, [the Value operands, in order])."""
    leaves = []
    for kind, x in case.operands:
        if kind == "node" and not (case.reused and leaves):
            leaves.append(program.leaf(x))
    (first_kind, first), *rest = case.operands
    if not rest:
        out = program.op(operation.program, leaves[0])
    elif case.reused:
        out = program.op(operation.program, leaves[0], "node", leaves[0])
    elif first_kind == "number":  # 2.5 + a: the given __radd__, through the student's __add__
        out = program.op("r" + operation.program, leaves[0], "number", first)
    elif rest[0][0] == "number":
        out = program.op(operation.program, leaves[0], "number", rest[0][1])
    else:
        out = program.op(operation.program, leaves[0], "node", leaves[1])
    program.grad(out, case.upstream)
    for leaf, before in zip(leaves, case.before):
        program.grad(leaf, before)
    program.local(out)
    return out, leaves


def _partials(operation: Operation, case: Case) -> list[float]:
    """∂c/∂(each Value operand) by central differences of the definition f."""
    xs = [x for _, x in case.operands]
    positions = [k for k, (kind, _) in enumerate(case.operands) if kind == "node"]
    if case.reused:

        def along(t: float) -> float:
            return operation.f(t, t)

        return [(along(xs[0] + H) - along(xs[0] - H)) / (2 * H)]
    partials = []
    for k in positions:
        plus, minus = list(xs), list(xs)
        plus[k] += H
        minus[k] -= H
        partials.append((operation.f(*_args(plus)) - operation.f(*_args(minus))) / (2 * H))
    return partials


def _args(values: list) -> tuple:
    return (values[0], values[1] if len(values) > 1 else None)


def _check_operation(impl, operation: Operation, cases: list[Case]) -> None:
    """Forward values, parents and the local rule of one operation, every case in one program."""
    program, built = Program(), []
    for case in cases:
        built.append(_build(program, operation, case))
    report = [k for out, leaves in built for k in (out, *leaves)]
    name = operation.method
    try:
        nodes, _ = run(impl, program, report, f"Value.{name}")
    except RemoteError as error:
        if error.kind == "OverflowError" and operation is SIGMOID:
            raise AssertionError(
                f"a.sigmoid() with a = ±1000 failed: OverflowError: {error.message}. "
                "Likely cause: math.exp(-a) overflows for a ≈ −1000 (math.exp(a) for "
                "a ≈ 1000): take only e^(−|a|), σ(a) = eᵃ / (1 + eᵃ) for a < 0 "
                "(chapter 02-activations, the stable sigmoid)"
            ) from None
        raise
    for case, (out, leaves) in zip(cases, built):
        expression = _expression(operation, case)
        c = nodes[out]
        c.label = "c"
        _check_forward(operation, case, c, expression)
        _check_parents(case, c, leaves, nodes, expression)
    for case, (_, leaves) in zip(cases, built):
        _check_rule(operation, case, nodes, leaves)


def _check_forward(operation: Operation, case: Case, c: Node, expression: str) -> None:
    expected = operation.f(*_args([x for _, x in case.operands]))
    got = c.value()
    if not (
        abs(got - expected) <= 1e-9 * (abs(got) + abs(expected)) or abs(got - expected) < 1e-12
    ):
        raise AssertionError(
            f"{expression}: c.data is {plain(got)}, expected {plain(expected)}"
            + _forward_cause(operation, case, got)
        )
    if type(c.op) is not str:
        raise AssertionError(
            f"{expression}: c.op must be a str naming the operation; got {c.op!r:.60}"
        )


def _forward_cause(operation: Operation, case: Case, got: float) -> str:
    x = case.operands[0][1]
    causes = {}
    if operation is SIGMOID:
        causes["wrong sign in the exponent: σ(a) = 1 / (1 + e⁻ᵃ)"] = 1 / (1 + math.exp(min(x, 700)))
    if operation is TANH:
        causes["2σ(a) − 1 is tanh(a/2), not tanh(a)"] = 2 * _sigmoid(x) - 1
    for cause, value in causes.items():
        if math.isclose(got, value, rel_tol=1e-7, abs_tol=1e-12):
            return f". Likely cause: {cause}"
    return ""


def _check_parents(case: Case, c: Node, leaves: list[int], nodes: dict, expression: str) -> None:
    parents = c.parents
    if type(parents) is not list or not all(type(p) is int for p in parents):
        what = parents if type(parents) is str else "something that is not a Value"
        if type(parents) is list:
            what = "a " + next((p for p in parents if type(p) is str), "?")
        raise AssertionError(f"{expression}: c.parents must be a tuple of Values; it is {what:.60}")
    if not parents:
        raise AssertionError(
            f"{expression}: c.parents is empty. Likely cause: the new Value is made without "
            "its parents: Value(data, (self, other), op), so that backward can find them"
        )
    operands = set(leaves)
    constants = [p for p in parents if p not in operands]
    numbers = [x for kind, x in case.operands if kind == "number"]
    if operands - set(parents) or len(constants) > (
        1 if numbers and len(case.operands) == 2 else 0
    ):
        raise AssertionError(
            f"{expression}: c.parents must be the Values c is computed from "
            f"({'a and b' if len(operands) == 2 else 'a'}"
            + (", and the number as a new Value" if numbers and len(case.operands) == 2 else "")
            + ")"
        )
    for p in constants:
        if nodes[p].value() != numbers[0]:
            raise AssertionError(
                f"{expression}: the number {plain(numbers[0])} must become a parent Value holding "
                f"it; c.parents holds a Value of data {plain(nodes[p].value())}"
            )


def _check_rule(operation: Operation, case: Case, nodes: dict, leaves: list[int]) -> None:
    expression = _expression(operation, case)
    partials = _partials(operation, case)
    g = case.upstream
    names = "ab"
    for k, (leaf, partial, before) in enumerate(zip(leaves, partials, case.before)):
        name = names[k]
        node = nodes[leaf]
        node.label = name
        got = node.value("grad")
        expected = before + partial * g
        if _close(got, expected, g):
            continue
        setting = (
            f"{expression}, c.grad = {plain(g)} and {name}.grad = {plain(before)} before "
            "c._backward()"
        )
        raise AssertionError(
            f"{setting}: {name}.grad is {plain(got)} after it, expected {name}.grad + "
            f"∂c/∂{name} · c.grad = {plain(before)} + {plain(partial)} × {plain(g)} = "
            f"{plain(expected)} (∂c/∂{name} by central differences)"
            + _rule_cause(operation, case, k, got, before, partial)
        )


def _close(got: float, expected: float, scale: float) -> bool:
    error = abs(got - expected)
    return error <= RTOL * (abs(got) + abs(expected)) or error <= 1e-9 * max(1.0, abs(scale))


def _rule_cause(operation: Operation, case: Case, k: int, got, before, partial) -> str:
    g = case.upstream
    positions = [i for i, (kind, _) in enumerate(case.operands) if kind == "node"]
    values = [x for _, x in case.operands]
    own = values[positions[k]]
    other = values[1 - positions[k]] if len(values) == 2 else None
    causes = {}
    if case.reused:
        causes[
            "a value used twice (c = a ∘ a) gets one term from each use: the second update "
            "replaced the first, `=` where `+=` belongs"
        ] = before + partial * g / 2
        if before:
            causes["the gradient is overwritten (=) instead of accumulated (+=)"] = partial * g / 2
    elif before:
        causes[
            "the gradient is overwritten (=) instead of accumulated (+=): a value used by "
            "several nodes must collect a term from each"
        ] = partial * g
    for cause, slope in operation.mistakes(own, other).items():
        causes[cause] = before + slope * g
    if operation is not ADD:
        causes["only c.grad is passed on: the local derivative ∂c/∂a is missing"] = before + g
    causes[
        "the local derivative is not multiplied by c.grad: the chain rule is "
        "a.grad += ∂c/∂a · c.grad"
    ] = before + partial
    causes["the sign is wrong"] = before - partial * g
    if partial:
        causes["this operand's grad is never updated by the rule"] = before
    for cause, value in causes.items():
        if _close(got, value, g) and not _close(value, before + partial * g, g):
            return f". Likely cause: {cause}"
    return ""


@graded(1, "Value.__add__")
def check_add(impl, cases: Cases) -> None:
    """c = a + b: add distributes, a.grad += c.grad and b.grad += c.grad."""
    _check_operation(impl, ADD, _cases_add(cases))


@graded(1, "Value.__mul__")
def check_mul(impl, cases: Cases) -> None:
    """c = a · b: multiply swaps, a.grad += b · c.grad and b.grad += a · c.grad."""
    _check_operation(impl, MUL, _cases_mul(cases))


@graded(1, "Value.__pow__")
def check_pow(impl, cases: Cases) -> None:
    """c = aⁿ for a number n: a.grad += n aⁿ⁻¹ · c.grad."""
    _check_operation(impl, POW, _cases_pow(cases))


@graded(1, "Value.exp")
def check_exp(impl, cases: Cases) -> None:
    """c = eᵃ: a.grad += c · c.grad."""
    _check_operation(impl, EXP, _cases_exp(cases))


@graded(1, "Value.log")
def check_log(impl, cases: Cases) -> None:
    """c = ln a: a.grad += c.grad / a."""
    _check_operation(impl, LOG, _cases_log(cases))


@graded(1, "Value.sigmoid")
def check_sigmoid(impl, cases: Cases) -> None:
    """c = σ(a), without overflow at a = ±1000: a.grad += c(1 − c) · c.grad."""
    _check_operation(impl, SIGMOID, _cases_sigmoid(cases))


@graded(1, "Value.tanh")
def check_tanh(impl, cases: Cases) -> None:
    """c = tanh a: a.grad += (1 − c²) · c.grad."""
    _check_operation(impl, TANH, _cases_tanh(cases))


@graded(1, "Value.relu")
def check_relu(impl, cases: Cases) -> None:
    """c = max(a, 0), away from the kink: a.grad += c.grad for a > 0, nothing for a < 0."""
    _check_operation(impl, RELU, _cases_relu(cases))


# ---- backward ------------------------------------------------------------------------------


class Fixtures:
    """A graph of fixtures: leaves, and linear nodes v = Σ_k c_k p_k whose rules the check gives.

    The graph's value is computed here too, so that its gradient can be taken
    by central differences, node by node.
    """

    def __init__(self) -> None:
        self.program = Program()
        self.parents: list[list[int]] = []
        self.coefficients: list[list[float]] = []
        self.leaf_values: dict[int, float] = {}
        self.names: list[str] = []
        self._values: list[float] | None = None

    def leaf(self, data: float, name: str) -> int:
        k = self.program.leaf(data)
        self.leaf_values[k] = float(data)
        self._add([], [], name)
        return k

    def node(self, parents: list[int], coefficients: list[float], name: str) -> int:
        values = self.values()
        data = sum(c * values[p] for p, c in zip(parents, coefficients))
        k = self.program.linear(data, parents, coefficients)
        self._add(parents, coefficients, name)
        return k

    def chain(self, start: int, coefficients: np.ndarray) -> list[int]:
        indices = self.program.chain(start, coefficients)
        previous = start
        for k, c in zip(indices, coefficients):
            self._add([previous], [float(c)], f"chain node {k - start}")
            previous = k
        return indices

    def _add(self, parents, coefficients, name) -> None:
        self.parents.append(list(parents))
        self.coefficients.append(list(coefficients))
        self.names.append(name)

    def values(self, shifted: tuple[int, float] | None = None) -> list[float]:
        """Every node's value; with ``shifted = (k, x)``, node k's value set to x.

        The nodes are in topological order (a parent before the nodes using
        it), so only those from k on are computed again.
        """
        if self._values is None or len(self._values) != len(self.parents):
            self._values = self._compute([], 0)
        if shifted is None:
            return self._values
        k, x = shifted
        return self._compute([*self._values[:k], x], k + 1)

    def _compute(self, values: list[float], start: int) -> list[float]:
        for k in range(start, len(self.parents)):
            parents, coefficients = self.parents[k], self.coefficients[k]
            if not parents:
                values.append(self.leaf_values[k])
            elif len(parents) == 1:
                values.append(coefficients[0] * values[parents[0]])
            else:
                values.append(sum(c * values[p] for p, c in zip(parents, coefficients)))
        return values

    def slope(self, root: int, k: int) -> float:
        """∂root/∂(node k) by a central difference, node k's value shifted by ±h."""
        x = self.values()[k]
        plus = self.values((k, x + H))[root]
        minus = self.values((k, x - H))[root]
        return (plus - minus) / (2 * H)

    def ancestors(self, root: int) -> set[int]:
        found, todo = {root}, [root]
        while todo:
            for p in self.parents[todo.pop()]:
                if p not in found:
                    found.add(p)
                    todo.append(p)
        return found


def _cases_backward(cases: Cases) -> dict:
    """The draws of backward's check: leaf values, coefficients, the chain's factors."""
    rng = cases.rng(709)
    signs = rng.choice([-1.0, 1.0], 16)
    return {
        "leaves": rng.uniform(0.5, 2.0, 4) * signs[:4],
        "coefficients": rng.uniform(0.5, 1.5, 16) * signs,
        "chain": 1.0 + 0.01 * rng.standard_normal(10_000),
        "chain_leaf": float(rng.uniform(0.5, 2.0)),
    }


#: Nodes in the 10,000-node chain, and the seconds its sweep may take.
CHAIN, CHAIN_SECONDS = 10_000, 3.0


@graded(3, "Value.backward")
def check_backward(impl, cases: Cases) -> None:
    """backward() sorts, seeds and sweeps: each rule once, after every rule that feeds it."""
    draws = _cases_backward(cases)
    leaves, c = draws["leaves"], draws["coefficients"]

    # Values used twice, by two nodes and twice by one node; a value the output does not use.
    graph = Fixtures()
    x1, x2 = graph.leaf(leaves[0], "x1"), graph.leaf(leaves[1], "x2")
    u = graph.node([x1, x2], c[0:2], "u = c₁x1 + c₂x2")
    v = graph.node([x1, u], c[2:4], "v = c₃x1 + c₄u")
    w = graph.node([u, v, x2], c[4:7], "w = c₅u + c₆v + c₇x2")
    t = graph.node([w, w], c[7:9], "t = c₈w + c₉w")
    root = graph.node([t, v], c[9:11], "L = c₁₀t + c₁₁v")
    stray = graph.node([u], c[11:12], "s = c₁₂u (not used by L)")
    _check_sweep(impl, graph, root, stray, "a graph where u, v, w and x1 are used twice")

    # A graph of a single value: L = x, ∂L/∂x = 1.
    single = Fixtures()
    alone = single.leaf(leaves[2], "x")
    _check_sweep(impl, single, alone, None, "a single Value x (L = x)")

    # A chain of 10,000 values: any depth, without recursion, in linear time.
    chain = Fixtures()
    start = chain.leaf(draws["chain_leaf"], "x")
    nodes = chain.chain(start, draws["chain"])
    message = (
        f"backward() on a chain of {CHAIN} Values did not finish within {CHAIN_SECONDS:g} s. "
        "Likely cause: a sort that takes time quadratic in the number of Values (a list "
        "searched for the visited ones?): keep them in a set"
    )
    with time_limit(impl.autodiff.Value, CHAIN_SECONDS, message):
        _check_sweep(impl, chain, nodes[-1], None, f"a chain of {CHAIN} Values")


def _check_sweep(impl, graph: Fixtures, root: int, stray: int | None, label: str) -> None:
    """L.backward() on ``graph``, L its node ``root``: the sweep, then every ∂L/∂v.

    The sweep starts from ∂L/∂L = 1 and runs the rule of each value L depends on
    once, in reverse topological order, and not that of ``stray`` (L does not use
    it). A large graph (100 rules or more) is a chain, whose order is known.
    """
    everything = list(range(len(graph.parents)))
    nodes, order = _run_backward(impl, graph, root, label)
    seed = nodes[root].value("grad") if root in nodes else None
    where = f"L.backward() on {label}"
    _check_seed(where, seed)
    if len(order) < 100:
        _check_each_rule_once(graph, root, stray, order, where)
        _check_reverse_topological(graph, order, where)
    elif order != list(range(len(everything) - 1, 0, -1)):
        raise AssertionError(
            f"{where}: the rules ran {len(order)} times in all, not once each in reverse order "
            f"({len(everything) - 1} rules, the output's first)"
        )
    _check_gradients(graph, nodes, root, where)


def _run_backward(impl, graph: Fixtures, root: int, label: str) -> tuple[dict, list[int]]:
    """The student's L.backward() on ``graph``: the nodes reported, and the order rules ran.

    Every node is reported in a small graph; in a large one, the first, the middle one
    and L. A RecursionError is named as a recursive topological sort.
    """
    program = graph.program
    program.backward(root)
    everything = list(range(len(graph.parents)))
    report = everything if len(everything) < 100 else [0, len(everything) // 2, root]
    try:
        return run(impl, program, report, f"L.backward() on {label}")
    except RemoteError as error:
        if error.kind == "RecursionError":
            raise AssertionError(
                f"L.backward() on {label} failed: RecursionError. Likely cause: recursion "
                "in the topological sort: Python stops at about 1,000 nested calls, so sort "
                "with a loop and a list as a stack"
            ) from None
        raise


def _check_seed(where: str, seed: float | None) -> None:
    """The sweep starts from L.grad = ∂L/∂L = 1.0 (``seed`` None: L was not reported)."""
    if seed is not None and seed != 1.0:
        cause = (
            "the seed is missing: backward must set self.grad = 1.0 (∂L/∂L) before the sweep"
            if seed == 0.0
            else "the seed of the sweep is ∂L/∂L = 1.0"
        )
        raise AssertionError(
            f"{where}: L.grad is {plain(seed)}, expected 1.0. Likely cause: {cause}"
        )


def _check_each_rule_once(
    graph: Fixtures, root: int, stray: int | None, order: list[int], where: str
) -> None:
    """The rule of each value L depends on ran exactly once, and that of ``stray`` never."""
    reached = graph.ancestors(root)
    name = graph.names
    rules = [k for k in range(len(graph.parents)) if graph.parents[k]]
    ran = {k: order.count(k) for k in rules}
    twice = [k for k in rules if ran[k] > 1 and k in reached]
    if twice:
        raise AssertionError(
            f"{where}: the rule of {name[twice[0]]} ran {ran[twice[0]]} times. Likely cause: "
            "a node visited twice: a Value reached by several paths must be sorted once "
            "(keep a set of the Values already visited)"
        )
    missed = [k for k in rules if ran[k] == 0 and k in reached]
    if missed:
        raise AssertionError(
            f"{where}: the rule of {name[missed[0]]} never ran. Likely cause: not every Value "
            "L depends on was visited: follow parents all the way to the leaves"
        )
    if stray is not None and ran[stray]:
        raise AssertionError(
            f"{where}: the rule of {name[stray]} ran, though L does not depend on it. Likely "
            "cause: the sweep must visit only the Values reached from L through parents"
        )


def _check_reverse_topological(graph: Fixtures, order: list[int], where: str) -> None:
    """Each value's rule ran before those of its parents (reverse topological order).

    A value v may pass ∂L/∂v on to its parents only once ∂L/∂v is complete: once
    every value that uses v has added its share.
    """
    position = {k: i for i, k in enumerate(order)}
    for k in range(len(graph.parents)):
        for p in graph.parents[k]:
            if p in position and k in position and position[p] < position[k]:
                raise AssertionError(
                    f"{where}: the rule of {graph.names[p]} ran before that of {graph.names[k]}, "
                    "which uses it. Likely cause: a node visited before its children: a Value "
                    "passes its gradient on only once every Value that uses it has added its "
                    "share, so the rules run in reverse topological order"
                )


def _check_gradients(graph: Fixtures, nodes: dict, root: int, where: str) -> None:
    reached = graph.ancestors(root)
    for k in sorted(nodes):
        nodes[k].label = graph.names[k] if k < len(graph.names) else f"node {k}"
    others = [nodes[k].value("grad") for k in nodes if k != root]
    for k in sorted(nodes):
        node = nodes[k]
        got = node.value("grad")
        expected = graph.slope(root, k) if k in reached else 0.0
        if not _close(got, expected, 1.0):
            hint = ""
            if others and all(o == 0.0 for o in others):
                hint = (
                    ". Likely cause: the seed is set after the sweep: self.grad = 1.0 must come "
                    "first, the rules pass it on"
                )
            raise AssertionError(
                f"{where}: {node.label}.grad is {plain(got)}, expected ∂L/∂{node.label.split()[0]} "
                f"= {plain(expected)} (central differences of L){hint}"
            )


# ---- network_gradients -----------------------------------------------------------------------

#: (layer sizes, m, activation) of the networks network_gradients is checked on.
NETWORKS = [
    ([3, 3, 2], 3, "sigmoid"),
    ([2, 3, 2], 3, "tanh"),
    ([2, 3, 2], 2, "relu"),
    ([2, 2, 2, 1], 1, "sigmoid"),
]


def _cases_network_gradients(cases: Cases) -> list[tuple]:
    """Each network's parameters and batch, every z away from ReLU's kink."""
    found = []
    for seed, (sizes, m, activation) in enumerate(NETWORKS):
        for attempt in range(100):
            weights, biases = random_network(sizes, cases.rng(7000 + seed * 100 + attempt))
            rng = cases.rng(710, seed, attempt)
            x = rng.standard_normal((sizes[0], m))
            y = rng.random((sizes[-1], m))
            zs, _ = d.forward(weights, biases, x, d.ACTIVATIONS[activation])
            if all(away_from_kinks(z, 1e-2) for z in zs):
                found.append((sizes, m, activation, weights, biases, x, y))
                break
    return found


def _batch_loss(x, y, activation: str, layers: int):
    """(w^[2], ..., w^[L], b^[2], ..., b^[L]) ↦ 𝓛 = (1/m) Σ_i ½‖a_i − y_i‖², by the definitions."""

    def loss(*params):
        weights, biases = list(params[:layers]), list(params[layers:])
        _, activations = d.forward(weights, biases, x, d.ACTIVATIONS[activation])
        return d.mean(d.quadratic_losses(activations[-1], y))

    return loss


@graded(3, "network_gradients")
def check_network_gradients(impl, cases: Cases) -> None:
    """The batch-mean quadratic cost's gradients built from Values, against finite differences."""
    for sizes, m, activation, weights, biases, x, y in _cases_network_gradients(cases):
        label = f"network_gradients(weights, biases, x, y, {activation!r}) for {sizes}, m = {m}"
        result = call(
            impl.autodiff.network_gradients,
            label,
            weights=weights,
            biases=biases,
            x=x,
            y=y,
            activation=activation,
        )
        layers = len(sizes) - 1
        if not (isinstance(result, tuple) and len(result) == 2):
            raise AssertionError(f"{label} must return a pair (grad_w, grad_b)")
        grad_w, grad_b = result
        if not (isinstance(grad_w, list) and isinstance(grad_b, list)):
            raise AssertionError(f"{label} must return two lists of arrays (grad_w, grad_b)")
        if len(grad_w) != layers or len(grad_b) != layers:
            raise AssertionError(
                f"{label} must return {layers} weight and {layers} bias gradients "
                f"(layers 2..{layers + 1}); got {len(grad_w)} and {len(grad_b)}"
            )
        names = [f"w^[{i + 2}]" for i in range(layers)] + [f"b^[{i + 2}]" for i in range(layers)]
        params = [*weights, *biases]
        gradients = [*grad_w, *grad_b]
        for name, p, g in zip(names, params, gradients):
            _check_array(f"{label}: the gradient of {name}", g, p.shape)
        loss = _batch_loss(x, y, activation, layers)
        hints = {2.0: "the ½ of the quadratic cost ½‖a − y‖² is missing", **(batch_hints(m) or {})}
        if m == 2:
            hints[2.0] = (
                "a sum instead of a mean over the batch (m = 2), or the ½ of ½‖a − y‖² missing"
            )
        try:
            check_gradient(loss, params, gradients, names=names, hints=hints, seed=cases.seed(0))
        except GradientCheckError as error:
            raise AssertionError(
                f"{label}: {error}{_activation_hint(activation, x, y, params, gradients)}"
            ) from None


def _check_array(label: str, value, shape: tuple) -> None:
    if isinstance(value, Unsupported) and "object" in repr(value):
        raise AssertionError(
            f"{label} must be a numpy array of float64 numbers; got {shown(value)}. "
            "Likely cause: an array of Values: take each Value's .grad"
        )
    if type(value) is not np.ndarray:
        raise AssertionError(f"{label} must be a numpy array; got {shown(value)}")
    if value.shape != shape:
        hint = " (transposed?)" if value.shape == shape[::-1] else ""
        raise AssertionError(f"{label} must have shape {shape}; got {value.shape}{hint}")
    if value.dtype != np.float64:
        raise AssertionError(f"{label} must hold float64 numbers; got dtype {value.dtype}")
    if not np.all(np.isfinite(value)):
        raise AssertionError(f"{label} holds non-finite numbers")


def _activation_hint(activation: str, x, y, params: list, gradients: list) -> str:
    """Name an activation argument ignored (σ used whatever it says)."""
    if activation == "sigmoid":
        return ""
    sigmoid_gradients = numerical_gradient(_batch_loss(x, y, "sigmoid", len(params) // 2), params)
    if all(np.allclose(g, n, rtol=1e-5, atol=1e-9) for g, n in zip(gradients, sigmoid_gradients)):
        return (
            f". Likely cause: the activation argument is ignored: these are the gradients with σ, "
            f"not {activation}"
        )
    return ""
