"""Plausible mistakes: each must lose the points of its own check, and only those.

One module a chapter, named as the exercise module it edits; ``BUGS`` is all of them,
in the order the suite has always graded them (chapter 02 first, then 01, 03, ...).
"""

from . import (
    activations,
    autodiff,
    backprop_equations,
    feedforward,
    gradient_descent,
    network,
    neuron,
)

BUGS = [
    *activations.BUGS,
    *neuron.BUGS,
    *feedforward.BUGS,
    *gradient_descent.BUGS,
    *backprop_equations.BUGS,
    *network.BUGS,
    *autodiff.BUGS,
]
