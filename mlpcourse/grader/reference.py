"""The reference solutions, on the trusted side only, and what each graded function may call.

A graded function is graded with the reference for its collaborators, so a
bug is charged once: the runner gets stand-ins for them, and their calls are
computed here. :data:`USES` says which graded functions each one may reach
that way (directly or through the given code around it); a function never
reaches itself, and no chain of collaborators leads back to it.
"""

import functools

from mlpcourse.chapters import BY_MODULE
from mlpcourse.implementation import REFERENCE_DIR, Implementation, load

_ACTIVATIONS = tuple(
    f"activations.{g}"
    for g in ("sigmoid", "sigmoid_prime", "relu", "relu_prime", "tanh", "tanh_prime")
)
_EQUATIONS = tuple(
    f"backprop_equations.{f}"
    for f in ("output_error", "hidden_error", "bias_gradient", "weight_gradient")
)
#: The operations of chapter 07's ``Value`` that students write (methods of the class).
_OPERATIONS = tuple(
    f"autodiff.Value.{name}"
    for name in ("__add__", "__mul__", "__pow__", "exp", "log", "sigmoid", "tanh", "relu")
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
    # Chapter 07: methods of a class. The checks of the operations and of backward drive
    # the student's Values directly (backward on graphs whose local rules the check itself
    # sets), so they need nothing of the reference; network_gradients gets the reference's
    # operations and sweep through mlpcourse.grader.graph_reference.
    **{name: () for name in _OPERATIONS},
    "autodiff.Value.backward": (),
    "autodiff.network_gradients": (*_OPERATIONS, "autodiff.Value.backward"),
}


@functools.cache
def collaborators(graded: str) -> frozenset[str]:
    """Everything ``graded`` may reach through the reference: the closure of :data:`USES`."""
    reached = set()
    for name in USES[graded]:
        reached |= {name, *collaborators(name)}
    return frozenset(reached)


def chapter_of(qualified: str) -> str:
    """The chapter a graded function belongs to: ``02-activations``."""
    return BY_MODULE[qualified.partition(".")[0]].name


def _definition_of_sigmoid(z):
    from mlpcourse.grader.checks import definitions

    return definitions.elementwise(definitions.sigmoid, z)


#: Without the reference (a student's own check), a function of a later chapter that an
#: earlier chapter needs is computed by the lecture's scalar definition, so that every
#: chapter can be passed in order, alone: the neuron (chapter 1) needs σ (chapter 2).
LATER_CHAPTERS = {"activations.sigmoid": _definition_of_sigmoid}


def stood_in_for_students(graded: str) -> frozenset[str]:
    """What stands in for the student's own code when there is no reference."""
    return frozenset(
        name
        for name in collaborators(graded)
        if name in LATER_CHAPTERS and chapter_of(name) > chapter_of(graded)
    )


def available() -> bool:
    """Whether the reference is here (the instructor's repository)."""
    return REFERENCE_DIR.is_dir()


@functools.cache
def reference() -> Implementation:
    """The reference modules, loaded once into a private package of this process."""
    return load("reference")


def function(qualified: str):
    """The reference's ``activations.sigmoid`` or ``network.Network.backprop``.

    ``Value``'s methods of chapter 07 come in the form the runner's stand-ins
    ask for them (:mod:`mlpcourse.grader.graph_reference`).
    """
    from mlpcourse.grader import graph_reference

    if qualified in graph_reference.STAND_INS:
        return graph_reference.STAND_INS[qualified]
    module, *path = qualified.split(".")
    value = getattr(reference(), module)
    for attribute in path:
        value = getattr(value, attribute)
    return value
