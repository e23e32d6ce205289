"""A shape mistake in a product, told in the exercise's own terms.

numpy reports a product of the wrong shapes as its internals ("matmul: Input
operand 1 has a mismatch in its core dimension 0, with gufunc signature
(n?,k),(k,m?)->(n?,m?) (size 3 is different from 7)"). For the products of
the exercises where such a mistake is common, :func:`explain` replaces that
text with the arguments' shapes, the shape the result must have and the likely
fix. It runs on the trusted side: numpy's text is only matched, never shown,
and the shapes are those of the arguments the check itself passed.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from mlpcourse.grader.diagnosis import CAUSE
from mlpcourse.runner.protocol import RemoteError

#: What numpy says when the shapes of a product (or of an elementwise operation) do not fit.
SHAPE_MISMATCH = re.compile(
    r"matmul: Input operand \d+ has a mismatch in its core dimension"
    r"|shapes \(.*\) and \(.*\) not aligned"
    r"|operands could not be broadcast together"
)


@dataclass(frozen=True)
class Product:
    """The product(s) of one exercise function: its operands, its result and the usual fix."""

    #: argument name → what it is, with its shape in the lecture's terms.
    operands: Mapping[str, str]
    #: The result and its shape in the lecture's terms; or, with no ``expected``, what to know.
    result: str
    #: The shape the result must have, from the arguments' shapes.
    expected: Callable[[Mapping[str, tuple]], tuple] | None
    #: The likely cause and its fix.
    fix: str


_W_X = {"w": "w, a column (n, 1)", "x": "x (n, m)"}
_WX_FIX = "a missing transpose: w is a column (n, 1), so wᵀx is w.T @ x"

PRODUCTS: dict[str, Product] = {
    "weighted_input": Product(
        _W_X, "z = wᵀx + b, a row (1, m),", lambda s: (1, s["x"][1]), _WX_FIX
    ),
    "neuron": Product(_W_X, "a = g(wᵀx + b), a row (1, m),", lambda s: (1, s["x"][1]), _WX_FIX),
    "logistic_regression": Product(
        _W_X, "a = σ(wᵀx + b), a row (1, m),", lambda s: (1, s["x"][1]), _WX_FIX
    ),
    "logistic_gradients": Product(
        {**_W_X, "y": "y, a row (1, m)"},
        "∂L/∂w = (1/m) x (a − y)ᵀ, a column like w,",
        lambda s: s["w"],
        "a misplaced transpose: wᵀx is w.T @ x, and x (a − y)ᵀ is x @ (a - y).T",
    ),
    "feedforward": Product(
        {"x": "x = a^[1] (n_1, m)"},
        "each z^[l] = w^[l] a^[l−1] + b^[l], of shape (n_l, m), with weights[i] = w^[l] of "
        "shape (n_l, n_{l−1})",
        None,
        "each layer multiplies w^[l] @ a^[l−1]: the weights on the left, no transpose, and "
        "the previous layer's activations a^[l−1] (not x) on the right",
    ),
    "output_error": Product(
        {"grad_a": "∇_a L (n_L, m)", "z": "z^[L] (n_L, m)"},
        "δ^[L] = ∇_a L ⊙ σ'(z^[L]), shaped like z^[L] (n_L, m),",
        lambda s: s["z"],
        "⊙ is elementwise: grad_a * σ'(z), not a matrix product",
    ),
    "hidden_error": Product(
        {
            "w_next": "w^[l+1] (n_{l+1}, n_l)",
            "delta_next": "δ^[l+1] (n_{l+1}, m)",
            "z": "z^[l] (n_l, m)",
        },
        "δ^[l] = ((w^[l+1])ᵀ δ^[l+1]) ⊙ σ'(z^[l]), shaped like z^[l] (n_l, m),",
        lambda s: s["z"],
        "a missing transpose: BP2 takes (w^[l+1])ᵀ δ^[l+1], which is w_next.T @ delta_next",
    ),
    "weight_gradient": Product(
        {"delta": "δ^[l] (n_l, m)", "a_prev": "a^[l−1] (n_{l−1}, m)"},
        "(1/m) δ^[l] (a^[l−1])ᵀ, shaped like w^[l] (n_l, n_{l−1}),",
        lambda s: (s["delta"][0], s["a_prev"][0]),
        "a missing transpose: BP4's δ^[l] (a^[l−1])ᵀ is delta @ a_prev.T",
    ),
    "backprop": Product(
        {"x": "x = a^[1] (n_1, m)", "y": "y (n_L, m)"},
        "in layer l = i + 2: w^[l] = weights[i] is (n_l, n_{l−1}), z^[l] = zs[i] and δ^[l] "
        "are (n_l, m), a^[l−1] = activations[i] is (n_{l−1}, m)",
        None,
        "a missing transpose or a layer index off by one: BP2 for layer i + 2 is "
        "weights[i + 1].T @ delta, and BP4 pairs the δ of zs[i] with activations[i], "
        "delta @ activations[i].T",
    ),
}


def explain(error: RemoteError, arguments: Mapping[str, object]) -> str | None:
    """A message for ``error`` if it is a shape mistake in a product of the exercises, else None.

    ``arguments`` are those the check passed to the graded function. The
    function where the product failed is the innermost frame of the student's
    code; when it is the graded function itself, its arguments' shapes are
    named, otherwise (a function it calls) their roles only.
    """
    if error.kind != "ValueError" or not SHAPE_MISMATCH.search(error.message):
        return None
    frames = [f for f in error.frames if isinstance(f, list) and len(f) == 4]
    if not frames or not _computes_a_product(str(frames[-1][3])):
        return None
    product = PRODUCTS.get(str(frames[-1][2]))
    if product is None:
        return None
    shapes = {name: v.shape for name, v in arguments.items() if type(v) is np.ndarray}
    own = all(name in shapes for name in product.operands)  # the graded function's product
    if own:
        given = " and ".join(f"{name} is {shapes[name]}" for name in product.operands)
        given += f", for {' and '.join(product.operands.values())}"
    else:  # in a function it calls: the roles only
        given = ", ".join(f"{name} is {what}" for name, what in product.operands.items())
    if product.expected is None:
        must = product.result
    elif own:
        must = f"the result, {product.result} must be {product.expected(shapes)}"
    else:
        must = f"the result is {product.result.rstrip(',')}"
    return f"the shapes in a product do not fit: {given}; {must}. {CAUSE}{product.fix}"


#: What a line of the student's where numpy met the shapes holds: a product, no raise.
_PRODUCT = re.compile(r"@|\bdot\(|\bmatmul\(|\*|\+|-|/")
_NOT_NUMPY = re.compile(r"\braise\b|\bexec\b|\beval\b|\bthrow\b|\bcompile\b")


def _computes_a_product(source: str) -> bool:
    """Whether the student's line that raised can be numpy's product, not their own text.

    numpy's words in a ``ValueError`` the student raised themselves must not
    name a mistake (the class report counts the diagnoses): the line must
    compute something and raise nothing itself.
    """
    return bool(_PRODUCT.search(source)) and not _NOT_NUMPY.search(source)
