"""The reference's ``Value`` methods, in the form the runner's stand-ins ask for them.

``network_gradients`` is graded with the reference's operations and sweep, so
that a wrong ``__mul__`` or ``backward`` is charged to its own check only. The
nodes of the student's graph must stay objects of the student's class, in the
runner: the stand-ins there (:func:`mlpcourse.runner.graphs.method_stand_in`)
ask this side for plain numbers and wire them in themselves.

- An operation ``c = f(a, b)`` sends the operands' ``data`` and gets back
  ``(c, [∂c/∂a, ∂c/∂b], op)``, computed by the reference's own operation and
  local rule on fresh reference ``Value``s.
- ``backward`` sends the student's node (a handle) and two functions, one
  that reads nodes' ``parents`` and one that runs their local rules: the
  reference's ``backward`` then runs here on a *mirror* of the student's graph
  (read one generation of parents per call), seeds the student's node, and
  the order in which it called the mirrors' rules is sent back to be run on
  the student's nodes, in one call.
"""

import numbers

from mlpcourse.grader import reference
from mlpcourse.grader.remote import Remote
from mlpcourse.runner.codec import HANDLE

#: Nodes a graph read here may have at most (the check's time limit bounds it too).
MAX_NODES = 200_000


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number; got {type(value).__name__}")
    return float(value)


def _operation(name: str):
    def compute(*operands):
        Value = reference.reference().autodiff.Value
        a = Value(_number(operands[0], "a Value's data"))
        if name in ("__add__", "__mul__"):
            b = Value(_number(operands[1], "a Value's data"))
            out, parents = getattr(a, name)(b), (a, b)
        elif name == "__pow__":
            exponent = operands[1]
            if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
                raise TypeError(f"the exponent must be a number; got {type(exponent).__name__}")
            out, parents = a**exponent, (a,)
        else:
            out, parents = getattr(a, name)(), (a,)
        out.grad = 1.0
        out._backward()
        return out.data, [p.grad for p in parents], out.op

    compute.__name__ = compute.__qualname__ = name
    return compute


class _Mirror:
    """A node of the student's graph, as the reference's ``backward`` sees it."""

    def __init__(self, remote: Remote, graph: "_Graph") -> None:
        self.remote, self.graph, self.parents = remote, graph, ()

    @property
    def grad(self):
        return self.remote.grad

    @grad.setter
    def grad(self, value) -> None:
        self.remote.grad = value  # the seed: the student's node gets it at once

    def _backward(self) -> None:
        self.graph.order.append(self.remote)


class _Graph:
    """The mirrors of every node reached from a root, read one generation of parents a call."""

    def __init__(self, root: Remote, parents_of: Remote) -> None:
        self.mirrors: dict[int, _Mirror] = {}
        self.order: list[Remote] = []
        self.root = self._mirror(root)
        generation = [self.root]
        while generation:
            found = parents_of(*(m.remote for m in generation))
            if type(found) is not list or len(found) != len(generation):
                raise TypeError("a Value's parents must be a tuple of Values")
            newcomers = []
            for mirror, parents in zip(generation, found):
                if type(parents) not in (tuple, list) or not all(
                    type(p) is Remote for p in parents
                ):
                    raise TypeError("a Value's parents must be a tuple of Values")
                for parent in parents:
                    if self._key(parent) not in self.mirrors:
                        newcomers.append(self._mirror(parent))
                mirror.parents = tuple(self.mirrors[self._key(p)] for p in parents)
            generation = newcomers

    @staticmethod
    def _key(remote: Remote) -> int:
        return remote._handle[HANDLE][1]

    def _mirror(self, remote: Remote) -> _Mirror:
        if len(self.mirrors) >= MAX_NODES:
            raise ValueError(f"a graph of more than {MAX_NODES} Values")
        mirror = self.mirrors[self._key(remote)] = _Mirror(remote, self)
        return mirror


def backward(root, parents_of, run_rules) -> None:
    """The reference's ``backward`` from the student's node ``root``; rules run in the runner."""
    if not all(type(r) is Remote for r in (root, parents_of, run_rules)):
        raise TypeError("backward must be called on a Value")
    graph = _Graph(root, parents_of)
    reference.reference().autodiff.Value.backward(graph.root)
    run_rules(*graph.order)


#: What stands in for each of ``Value``'s methods (see :func:`reference.function`).
STAND_INS = {
    **{
        f"autodiff.Value.{name}": _operation(name)
        for name in ("__add__", "__mul__", "__pow__", "exp", "log", "sigmoid", "tanh", "relu")
    },
    "autodiff.Value.backward": backward,
}
