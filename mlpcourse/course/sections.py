"""The book section to revisit for each graded function, and for some diagnoses.

A section is a chapter page of the built website and a heading anchor, as
Jupyter Book (MyST, docutils) names it: ``05-backprop-equations.html#bp2-…``.
``tests/project/test_class_tools.py`` checks every anchor against the headings
of ``book/*.md``, so a renamed heading fails a test instead of a link.
"""

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    """A heading of a chapter: ``page`` (``05-backprop-equations``), its ``title`` and anchor."""

    page: str
    title: str

    @property
    def anchor(self) -> str:
        return slugify(self.title)

    def href(self, book_url: str = "") -> str:
        """The link to the section: ``{book_url}05-backprop-equations.html#bp2-…``."""
        return f"{book_url}{self.page}.html#{self.anchor}"


def _s(page: str, title: str) -> Section:
    return Section(page, title)


NEURON = _s("01-neuron", "A neuron compares its input with a pattern")
LOGISTIC = _s("01-neuron", "Logistic regression is one neuron")
SIGMOID = _s("02-activations", "The sigmoid")
RELU = _s("02-activations", "ReLU")
TANH = _s("02-activations", "tanh")
MATRICES = _s("03-feedforward", "The same thing with matrices")
BATCH_COLUMNS = _s("03-feedforward", "Many examples at once: one example per column")
DOWNHILL = _s("04-gradient-descent", "Downhill is minus the gradient")
MEAN_LOSS = _s("04-gradient-descent", "The loss is a mean over examples")
MINIBATCHES = _s("04-gradient-descent", "GD, SGD and mini-batches")
BP1 = _s("05-backprop-equations", "BP1: the error in the output layer")
BP2 = _s("05-backprop-equations", "BP2: the error of a layer from the next one")
BP3 = _s("05-backprop-equations", "BP3: the gradient with respect to a bias")
BP4 = _s("05-backprop-equations", "BP4: the gradient with respect to a weight")
ON_A_BATCH = _s("05-backprop-equations", "From one example to a batch: the equations vectorised")
HADAMARD = _s("05-backprop-equations", "The Hadamard product")
ALGORITHM = _s("06-backprop-algorithm", "The algorithm in five steps")
WITH_SGD = _s("06-backprop-algorithm", "Backpropagation with mini-batch SGD")
LOCAL_RULES = _s("07-autodiff", "The local rule of each operation")
PATTERNS = _s("07-autodiff", "Patterns in the backward flow")
SWEEP = _s("07-autodiff", "The reverse sweep in topological order")
NETWORK_OF_VALUES = _s("07-autodiff", "A network built from Values")

#: The section of each graded check (by check id).
BY_CHECK: dict[str, Section] = {
    "neuron::weighted_input": NEURON,
    "neuron::neuron": NEURON,
    "neuron::logistic_regression": LOGISTIC,
    "neuron::logistic_gradients": LOGISTIC,
    "activations::sigmoid": SIGMOID,
    "activations::sigmoid_prime": SIGMOID,
    "activations::relu": RELU,
    "activations::relu_prime": RELU,
    "activations::tanh": TANH,
    "activations::tanh_prime": TANH,
    "feedforward::feedforward": MATRICES,
    "gradient_descent::quadratic_cost": MEAN_LOSS,
    "gradient_descent::quadratic_cost_gradient": MEAN_LOSS,
    "gradient_descent::gd_step": DOWNHILL,
    "gradient_descent::minibatches": MINIBATCHES,
    "backprop_equations::output_error": BP1,
    "backprop_equations::hidden_error": BP2,
    "backprop_equations::bias_gradient": BP3,
    "backprop_equations::weight_gradient": BP4,
    "network::backprop": ALGORITHM,
    "network::update_mini_batch": WITH_SGD,
    "network::sgd": WITH_SGD,
    "autodiff::add": PATTERNS,
    "autodiff::mul": PATTERNS,
    "autodiff::pow": LOCAL_RULES,
    "autodiff::exp": LOCAL_RULES,
    "autodiff::log": LOCAL_RULES,
    "autodiff::sigmoid": LOCAL_RULES,
    "autodiff::tanh": LOCAL_RULES,
    "autodiff::relu": PATTERNS,
    "autodiff::backward": SWEEP,
    "autodiff::network_gradients": NETWORK_OF_VALUES,
}

#: Diagnoses better explained elsewhere than their function's section: (text in it, section).
BY_DIAGNOSIS: tuple[tuple[str, Section], ...] = (
    ("overflows for large", SIGMOID),
    ("overflows for a ≈", SIGMOID),
    ("overwritten (=) instead of accumulated", PATTERNS),
    ("a value used twice", PATTERNS),
    ("δ is per example", ON_A_BATCH),
    ("a sum instead of a mean over the batch", ON_A_BATCH),
    ("divided by m once too often", ON_A_BATCH),
    ("elementwise", HADAMARD),
    ("in the hidden layers", BP2),
    ("one column each", BATCH_COLUMNS),
)


def section_for(check_id: str, diagnosis: str | None = None) -> Section | None:
    """The section to revisit for a failed check, refined by its diagnosis where one is known.

    A sum instead of a mean in ``quadratic_cost`` stays with the loss of chapter 04;
    in the backpropagation chapters it points to the equations vectorised over a batch.
    """
    own = BY_CHECK.get(check_id)
    if diagnosis and own is not None and own.page >= "05":
        for text, section in BY_DIAGNOSIS:
            if text in diagnosis:
                return section
    if diagnosis and "overflows for large" in diagnosis:
        return SIGMOID
    return own


def slugify(title: str) -> str:
    """A heading's anchor as the built book names it (docutils ``make_id``, as MyST uses it).

    Lowercase ASCII, punctuation dropped, runs of spaces and hyphens one hyphen:
    ``"BP1: the error in the output layer"`` → ``"bp1-the-error-in-the-output-layer"``.
    """
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text.lower()).replace("_", "-")
    return re.sub(r"[\s-]+", "-", text).strip("-")


def headings(markdown: str) -> list[str]:
    """The titles of a MyST page's headings, outside code cells and fenced code."""
    found, fence = [], ""
    for line in markdown.splitlines():
        stripped = line.strip()
        marker = re.match(r"(`{3,}|~{3,})", stripped)
        if marker:
            if not fence:
                fence = marker.group(1)
            elif stripped == fence[0] * len(stripped) and len(stripped) >= len(fence):
                fence = ""
            continue
        heading = re.match(r"(#{1,6})\s+(.+?)\s*#*\s*$", line)
        if heading and not fence:
            found.append(heading.group(2))
    return found
