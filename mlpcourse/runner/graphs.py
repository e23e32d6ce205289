"""Computational graphs of the student's ``Value``s, built and swept inside the runner.

Chapter 07's checks need what the wire does not carry: a ``Value``'s
operators (``a * b`` is ``type(a).__mul__``, a dunder) and its local rule
``_backward`` (private), on graphs as deep as a 10,000-node chain, where one
request per node would be slow. So the grader sends a whole graph as a
*program* of plain data, :func:`run` carries it out with the student's class
and answers with plain numbers; every verdict is reached on the other side.

:func:`method_stand_in` is the other direction: when the graded function
(``network_gradients``) uses ``Value``'s operations and ``backward``, the
grader computes them with the reference. An operation's stand-in asks the
grader for the new node's value and its local derivatives (plain numbers)
and wires them into a node of the student's class; ``backward``'s stand-in
lets the grader read the graph and choose the order of the sweep, then runs
the nodes' rules in that order here. Neither holds a derivative or a sort of
its own: those are the exercise, and this code ships with the student edition.
"""

import gc
import operator

import numpy as np

#: Operators of the program: (Python operator, operand on the left for a number).
BINARY = {
    "add": (operator.add, False),
    "mul": (operator.mul, False),
    "pow": (operator.pow, False),
    "sub": (operator.sub, False),
    "truediv": (operator.truediv, False),
    "radd": (operator.add, True),
    "rmul": (operator.mul, True),
    "rsub": (operator.sub, True),
    "rtruediv": (operator.truediv, True),
}
UNARY = {"neg": operator.neg, **{name: None for name in ("exp", "log", "sigmoid", "tanh", "relu")}}
#: Nodes a program may make or describe at most.
MAX_NODES = 50_000


def run(Value: type, program: list, report: list) -> dict:
    """Carry out ``program`` with the class ``Value``; describe the nodes listed in ``report``.

    Each instruction is a list; node arguments are indices into the nodes made so far:

    - ``["leaf", data]``: ``Value(data)``;
    - ``["op", name, i]`` (``neg``, ``exp``, ``log``, ``sigmoid``, ``tanh``, ``relu``);
      ``["op", name, i, "node", j]`` (``nodes[i] + nodes[j]``, ``*``);
      ``["op", name, i, "number", c]`` (``nodes[i] ** c``, ``nodes[i] + c``; with the
      names ``radd``, ``rmul``, ``rsub``, ``rtruediv`` the number comes first: ``c * nodes[i]``);
    - ``["linear", data, parents, coefficients]``: a *fixture*, a node made with
      ``Value(data, parents, "linear")`` whose rule, set here, adds
      ``coefficients[k] · grad`` into parent k and logs that it ran;
    - ``["chain", i, coefficients]``: fixtures in a chain from node i, one per coefficient;
    - ``["grad", i, g]``: ``nodes[i].grad = g``;
    - ``["local", i]``: ``nodes[i]._backward()``;
    - ``["backward", i]``: ``nodes[i].backward()``.

    Returns ``{"nodes": {index: [data, grad, op, parents]}, "order": array}``:
    ``parents`` lists node indices (a parent made by the student's code gets
    a new index, and is described too) or, for what is not a ``Value``, its
    type's name; ``order`` holds the fixtures' indices in the order their
    rules ran.
    """
    collecting = gc.isenabled()
    gc.disable()  # thousands of nodes, each in a cycle with its rule: collect once, after
    try:
        return _run(Value, program, report)
    finally:
        if collecting:
            gc.enable()


def _run(Value: type, program: list, report: list) -> dict:
    nodes: list = []
    order: list[int] = []
    for instruction in program:
        kind, *args = instruction
        if kind == "leaf":
            nodes.append(Value(args[0]))
        elif kind == "op":
            nodes.append(_operate(nodes, *args))
        elif kind == "linear":
            data, parents, coefficients = args
            nodes.append(_fixture(Value, data, [nodes[p] for p in parents], coefficients, order))
        elif kind == "chain":
            start, coefficients = args
            previous = nodes[start]
            for c in np.asarray(coefficients, dtype=np.float64).tolist():
                previous = _fixture(Value, c * previous.data, [previous], [c], order)
                nodes.append(previous)
        elif kind == "grad":
            nodes[args[0]].grad = args[1]
        elif kind == "local":
            nodes[args[0]]._backward()
        elif kind == "backward":
            nodes[args[0]].backward()
        else:
            raise ValueError(f"unknown instruction {kind!r}")
        if len(nodes) > MAX_NODES:
            raise ValueError(f"a program of more than {MAX_NODES} nodes")
    position = {id(node): k for k, node in enumerate(nodes)}
    return {
        "nodes": _describe(Value, nodes, report),
        "order": np.array([position[key] for key in order], dtype=np.int64),
    }


def _operate(nodes: list, name: str, i: int, kind: str = "", operand=None):
    node = nodes[i]
    if name in UNARY:
        function = UNARY[name]
        return function(node) if function else getattr(node, name)()
    function, number_first = BINARY[name]
    other = nodes[operand] if kind == "node" else operand
    return function(other, node) if number_first else function(node, other)


def _fixture(Value: type, data: float, parents: list, coefficients: list, order: list):
    """A node whose local rule is given: parent k's grad += coefficients[k] · grad."""
    node = Value(data, tuple(parents), "linear")
    key = id(node)

    def rule():
        order.append(key)
        for parent, c in zip(parents, coefficients):
            parent.grad += c * node.grad

    node._backward = rule
    return node


def _describe(Value: type, nodes: list, report: list) -> dict:
    """``{index: [data, grad, op, parents]}`` for the reported nodes and the parents they show."""
    index = {id(node): k for k, node in enumerate(nodes)}
    described, todo = {}, list(report)
    while todo and len(described) < MAX_NODES:
        k = todo.pop()
        if str(k) in described:
            continue
        node = nodes[k]
        parents = getattr(node, "parents", None)
        if isinstance(parents, tuple):
            shown = []
            for parent in parents:
                if not isinstance(parent, Value):
                    shown.append(type(parent).__name__)
                    continue
                if id(parent) not in index:
                    index[id(parent)] = len(nodes)
                    nodes.append(parent)
                    todo.append(index[id(parent)])
                shown.append(index[id(parent)])
        else:
            shown = type(parents).__name__
        described[str(k)] = [
            getattr(node, "data", None),
            getattr(node, "grad", None),
            getattr(node, "op", None),
            shown,
        ]
    return described


# ---- stand-ins: Value's methods computed by the grader -----------------------------------

#: The methods of ``autodiff.Value`` the grader can stand in for, by the operands they take.
OPERATIONS = {
    "__add__": 2,
    "__mul__": 2,
    "__pow__": 1,
    "exp": 1,
    "log": 1,
    "sigmoid": 1,
    "tanh": 1,
    "relu": 1,
}


def method_stand_in(qualified: str, ask):
    """What replaces the method ``qualified`` of a student's class, given ``ask`` (the grader).

    Only ``autodiff.Value``'s operations and ``backward`` need more than ``ask`` itself.
    """
    module, _, name = qualified.partition(".Value.")
    if module != "autodiff" or not name:
        return ask
    if name == "backward":

        def backward(self):
            ask(self, parents_of, run_rules)  # the grader reads and sorts, then runs the rules

        return backward
    operands = OPERATIONS[name]

    def operation(self, *arguments):
        Value = type(self)
        if operands == 2:
            other = arguments[0] if isinstance(arguments[0], Value) else Value(arguments[0])
            parents, numbers = (self, other), (self.data, other.data)
        else:
            parents, numbers = (self,), (self.data, *arguments)
        data, derivatives, op = ask(*numbers)
        out = Value(data, parents, op)

        def pass_on():
            for parent, derivative in zip(parents, derivatives):
                parent.grad += derivative * out.grad

        out._backward = pass_on
        return out

    operation.__name__ = operation.__qualname__ = name
    return operation


def parents_of(*nodes) -> list:
    """Each node's ``parents`` (one argument each: nothing is copied)."""
    return [node.parents for node in nodes]


def run_rules(*nodes) -> None:
    """Call each node's local rule, in the order given (one argument each: nothing is copied)."""
    for node in nodes:
        node._backward()
