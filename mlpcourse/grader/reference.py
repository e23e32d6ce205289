"""The reference solutions, on the trusted side only, and what each graded function may call.

A graded function is graded with the reference for its collaborators, so a
bug is charged once: the runner gets stand-ins for them, and their calls are
computed here. :data:`USES` says which graded functions each one may reach
that way (directly or through the given code around it); a function never
reaches itself, and no chain of collaborators leads back to it.
"""

import functools
import itertools
import sys
import types
from pathlib import Path

from mlpcourse import EXERCISE_MODULES

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "solutions" / "mlpcourse"
_ACTIVATIONS = tuple(
    f"activations.{g}" for g in ("sigmoid", "sigmoid_prime", "relu", "relu_prime", "tanh", "tanh_prime")
)
_EQUATIONS = tuple(
    f"backprop_equations.{f}"
    for f in ("output_error", "hidden_error", "bias_gradient", "weight_gradient")
)

#: graded function → the graded functions it may call through the reference.
USES: dict[str, tuple[str, ...]] = {
    "activations.sigmoid": (),
    "activations.sigmoid_prime": ("activations.sigmoid",),
    "activations.relu": (),
    "activations.relu_prime": ("activations.relu",),
    "activations.tanh": (),
    "activations.tanh_prime": ("activations.tanh",),
    "neuron.weighted_input": (),
    "neuron.neuron": ("neuron.weighted_input",),
    "neuron.logistic_regression": ("neuron.neuron", "activations.sigmoid"),
    "neuron.logistic_gradients": ("neuron.logistic_regression",),
    "feedforward.feedforward": (),
    "gradient_descent.quadratic_cost": (),
    "gradient_descent.quadratic_cost_gradient": (),
    "gradient_descent.gd_step": (),
    "gradient_descent.minibatches": (),
    **{name: () for name in _EQUATIONS},
    "network.Network.backprop": (
        "feedforward.feedforward",
        *_EQUATIONS,
        *_ACTIVATIONS,
        "gradient_descent.quadratic_cost",
        "gradient_descent.quadratic_cost_gradient",
    ),
    "network.Network.update_mini_batch": ("network.Network.backprop", "gradient_descent.gd_step"),
    "network.Network.sgd": ("network.Network.update_mini_batch", "gradient_descent.minibatches"),
}


@functools.cache
def collaborators(graded: str) -> frozenset[str]:
    """Everything ``graded`` may reach through the reference: the closure of :data:`USES`."""
    reached = set()
    for name in USES[graded]:
        reached |= {name, *collaborators(name)}
    return frozenset(reached)


def available() -> bool:
    """Whether the reference is here (the instructor's repository)."""
    return REFERENCE_DIR.is_dir()


_counter = itertools.count()


@functools.cache
def reference() -> types.SimpleNamespace:
    """The reference modules, loaded once into a private package of this process."""
    package_name = f"_mlpcourse_reference_{next(_counter)}"
    package = types.ModuleType(package_name)
    package.__path__ = []
    sys.modules[package_name] = package
    loaded = {}
    try:
        for name in EXERCISE_MODULES:
            path = REFERENCE_DIR / f"{name}.py"
            module = types.ModuleType(f"{package_name}.{name}")
            module.__file__ = str(path)
            module.__package__ = package_name
            sys.modules[module.__name__] = module
            exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
            setattr(package, name, module)
            loaded[name] = module
    finally:
        for name in [package_name, *(f"{package_name}.{m}" for m in EXERCISE_MODULES)]:
            sys.modules.pop(name, None)
    return types.SimpleNamespace(**loaded)


def function(qualified: str):
    """The reference's ``activations.sigmoid`` or ``network.Network.backprop``."""
    module, *path = qualified.split(".")
    value = getattr(reference(), module)
    for attribute in path:
        value = getattr(value, attribute)
    return value
