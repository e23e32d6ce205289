"""Grade one student function with the reference for everything it calls.

A bug is charged once: when ``Network.update_mini_batch`` is graded, the
``backprop`` it calls is the reference's, so a wrong ``backprop`` costs the
points of ``backprop`` only. :func:`graft` puts one student function into a
reference implementation and rebinds its global names (the other functions of
its module, and what the module imported) to the reference's.
"""

import types

from mlpcourse.implementation import Implementation, from_sources


def _rebind(function, student_module: types.ModuleType, reference_module: types.ModuleType):
    """``function`` with its globals looked up in the reference module first."""
    if not isinstance(function, types.FunctionType):
        return function  # a ufunc, a functools.partial...: nothing to rebind
    namespace = dict(student_module.__dict__)
    namespace.update(
        {
            name: value
            for name, value in reference_module.__dict__.items()
            if not name.startswith("__")
        }
    )
    rebound = types.FunctionType(
        function.__code__,
        namespace,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    rebound.__kwdefaults__ = function.__kwdefaults__
    rebound.__dict__.update(function.__dict__)
    rebound.__qualname__ = function.__qualname__
    rebound.__doc__ = function.__doc__
    return rebound


def graft(reference: Implementation, student: Implementation, module: str, name: str) -> None:
    """Replace ``reference.<module>.<name>`` by the student's (``name`` may be ``Class.method``).

    ``reference`` is modified: pass a fresh one for each graded function.
    """
    student_module = getattr(student, module)
    reference_module = getattr(reference, module)
    owner_name, _, attribute = name.rpartition(".")
    student_owner = getattr(student_module, owner_name) if owner_name else student_module
    reference_owner = getattr(reference_module, owner_name) if owner_name else reference_module
    try:
        function = (
            student_owner.__dict__[attribute] if owner_name else getattr(student_owner, attribute)
        )
    except (KeyError, AttributeError):
        raise AttributeError(
            f"mlpcourse/{module}.py has no {name}: keep the names of the exercise"
        ) from None
    setattr(reference_owner, attribute, _rebind(function, student_module, reference_module))


def implementation_for(check, student: Implementation, reference_sources: dict | None):
    """What ``check`` runs on: the student's functions grafted into a fresh reference.

    Without ``reference_sources`` (a student's own checkout) it is the student's
    implementation itself.
    """
    if reference_sources is None:
        return student
    implementation = from_sources(reference_sources)
    for name in check.functions:
        graft(implementation, student, check.module, name)
    return implementation
