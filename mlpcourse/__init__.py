"""mlpcourse: feedforward networks and backpropagation, written by you.

Yours to fill in: the seven exercise modules ``neuron``, ``activations``,
``feedforward``, ``gradient_descent``, ``backprop_equations``, ``network`` and
``autodiff``.
Beside them, what they and the notebooks use: ``gradcheck`` (finite-difference
gradient checks), ``validation`` (argument checks), ``data`` (the digits) and
``notebook``. The machinery lives in subpackages named by their side of the
grading boundary: ``grader`` (trusted: checks, verdicts, reports), ``runner``
(untrusted: runs your code in a sandbox) and ``course`` (instructor tools).
"""

__version__ = "0.1.0"
