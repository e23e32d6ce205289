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

Each chapter (:mod:`mlpcourse.chapters`) has a module of checks here, named
as its exercise module; they register their checks with :func:`graded`, and
:data:`CHECKS` lists them all, in chapter order.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from mlpcourse.chapters import BY_MODULE, EXERCISE_MODULES


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
                chapter=BY_MODULE[module].name,
                module=module,
                functions=tuple(functions) or (name,),
                points=float(points),
                run=run,
            )
        )
        return run

    return register


for _module in EXERCISE_MODULES:
    importlib.import_module(f"{__name__}.{_module}")

CHECKS: tuple[Check, ...] = tuple(_registry)
