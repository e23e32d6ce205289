"""The graded checks: one function per student function, each worth some points.

A check takes the student's modules as a
:class:`~mlpcourse.grader.remote.RemoteImplementation` (their functions run in
the sandboxed runner; what they return arrives here as plain values) and the
:class:`~mlpcourse.grader.cases.Cases` to draw from (published, or hidden:
drawn from the course secret), and raises ``AssertionError`` with a message
for the student when the function under test is wrong (any other exception is
the student's code failing). Every case and expected value is computed here,
and every random one comes from ``cases.rng(...)``. The same checks serve
``mlpcourse grade``, ``mlpcourse check``, ``pytest tests/graded``, nbgrader
and the notebooks.

Chapters register their checks with :func:`graded`; :data:`CHECKS` lists them
all, in chapter order.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass

CHAPTERS = {
    "neuron": "01-neuron",
    "activations": "02-activations",
    "feedforward": "03-feedforward",
    "gradient_descent": "04-gradient-descent",
    "backprop_equations": "05-backprop-equations",
    "network": "06-backprop-algorithm",
    "autodiff": "07-autodiff",
}

#: The chapters beyond the lecture: a teacher may leave them out of the grade (course.toml).
BEYOND_THE_LECTURE = ("autodiff",)


@dataclass(frozen=True)
class Check:
    """One graded check: ``id`` is ``module::function``; ``run(impl, cases)`` runs it."""

    id: str
    chapter: str
    module: str
    functions: tuple[str, ...]
    points: float
    run: Callable

    @property
    def qualified_functions(self) -> list[str]:
        """The graded functions as ``mlpcourse.network.Network.backprop``."""
        return [f"mlpcourse.{self.module}.{name}" for name in self.functions]


_registry: list[Check] = []


def graded(points: float, *functions: str) -> Callable:
    """Register the decorated ``check_<name>(impl, cases)`` as a graded check.

    ``functions`` are the graded names within the chapter's module (default:
    the check's name without ``check_``).
    """

    def register(run: Callable) -> Callable:
        module = run.__module__.rsplit(".", 1)[-1]
        name = run.__name__.removeprefix("check_")
        _registry.append(
            Check(
                id=f"{module}::{name}",
                chapter=CHAPTERS[module],
                module=module,
                functions=tuple(functions) or (name,),
                points=float(points),
                run=run,
            )
        )
        return run

    return register


for _module in CHAPTERS:
    importlib.import_module(f"{__name__}.{_module}")

CHECKS: tuple[Check, ...] = tuple(_registry)
