"""mlpcourse: feedforward networks and backpropagation, written by you.

The exercise modules (``neuron``, ``activations``, ``feedforward``,
``gradient_descent``, ``backprop_equations``, ``network``) are yours to fill
in. The rest is support code: ``gradcheck`` (finite-difference gradient
checks), ``checks`` (the graded checks), ``validation`` (argument checks),
``implementation`` (loading a set of exercise modules), ``release`` and ``cli``.
"""

__version__ = "0.1.0"
