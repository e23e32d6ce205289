"""Checks for chapter 3, the feedforward pass."""

from mlpcourse.grader.cases import Cases

from . import definitions as d
from . import graded
from .tools import assert_close, call, random_network

#: (layer sizes, m examples, activation): non-square layers, m ≠ n_{l-1}, m = 1 too.
NETWORKS = [
    ([3, 5, 4, 2], 7, "sigmoid"),
    ([4, 3], 2, "tanh"),
    ([2, 6, 6, 3], 5, "relu"),
    ([5, 3, 1], 1, "sigmoid"),
]


@graded(4)
def check_feedforward(impl, cases: Cases) -> None:
    """Every z^[l] and a^[l] of several networks, with a^[1] = x."""
    for seed, (sizes, m, name) in enumerate(NETWORKS):
        weights, biases = random_network(sizes, cases.rng(seed))
        x = cases.rng(seed).standard_normal((sizes[0], m))
        g = d.ACTIVATIONS[name]
        label = f"feedforward for sizes {sizes}, {name}, m = {m}"
        result = call(
            impl.feedforward.feedforward,
            label,
            {"matmul": "each layer takes the previous layer's activations, a^[l-1], not x"},
            weights=weights,
            biases=biases,
            x=x,
            g=lambda z, g=g: d.elementwise(g, z),
        )
        if not (isinstance(result, tuple) and len(result) == 2):
            raise AssertionError(f"{label} must return a pair (zs, activations)")
        zs, activations = result
        L = len(sizes)
        if len(zs) != L - 1 or len(activations) != L:
            hint = ""
            if (len(zs), len(activations)) == (L, L - 1):
                hint = ". Likely cause: zs and activations swapped; return (zs, activations)"
            elif len(zs) == len(activations) == L - 1:
                hint = ". Likely cause: x is missing: activations[0] is a^[1] = x"
            raise AssertionError(
                f"{label}: expected {L - 1} zs (layers 2..{L}) and {L} activations "
                f"(layers 1..{L}, starting with x); got {len(zs)} and {len(activations)}{hint}"
            )
        true_zs, true_activations = d.forward(weights, biases, x, g)
        assert_close(f"{label}: activations[0] (must be x)", activations[0], x)
        for i, (z, a) in enumerate(zip(true_zs, true_activations[1:])):
            layer = f"layer {i + 2}"
            causes = {
                f"zs[{i}] holds a = g(z), not z = w a_prev + b": a,
                f"the bias b^[{i + 2}] is missing: z = w a_prev + b": z - biases[i],
            }
            assert_close(f"{label}: zs[{i}] (z of {layer})", zs[i], z, causes=causes)
            causes = {f"g is not applied to z of {layer}: a = g(z)": z}
            assert_close(
                f"{label}: activations[{i + 1}] (a of {layer})",
                activations[i + 1],
                a,
                causes=causes,
            )
