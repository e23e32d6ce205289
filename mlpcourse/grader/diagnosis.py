"""A failed test's diagnosis: a short, stable label that a class can be counted by.

The label is the classic mistake the message names (the text after
``Likely cause:``, up to its first sentence), or, for a message that names
none, a fixed label for the kind of failure: ``not written yet``, ``timed
out``, ``crashed: ValueError``, ``missing file``, ``waiting on sigmoid``,
``wrong values``… A passed test has none (``None``).

Messages hold text from the student's code (exception messages and type
names): labels are cut to :data:`MAX_LABEL` characters, and whoever shows
them escapes them. Only a check can write :data:`CAUSE`: in the student's
text it arrives lowered (:func:`mlpcourse.grader.remote.plain_error`), so a
student cannot plant a diagnosis in the class report.
"""

import re

#: Characters of a label at most.
MAX_LABEL = 160

CAUSE = "Likely cause: "

#: Messages that name a mistake without "Likely cause", in the order they are tried.
NAMED = (
    ("not finite differences", "finite differences, not backpropagation"),
    ("modified its argument", "modifies its argument"),
    ("moved uphill", "moved uphill: θ + α∇ instead of θ − α∇"),
    ("(transposed?)", "transposed result"),
    ("keep the 2-d shape", "flattened to 1-d"),
    ("must return float64", "not float64"),
    ("shuffled afresh every epoch", "not shuffled afresh every epoch"),
    ("not shuffled", "not shuffled"),
    ("must come from rng", "randomness not from rng"),
    ("did not change", "parameters not updated"),
    ("must match those of x", "y not shuffled with x"),
    ("must be 0 or 1", "ReLU slope at 0 is neither 0 nor 1"),
)

#: Failures of the submission as a whole, not of one function's mathematics.
OPERATIONAL = (
    "not written yet",
    "timed out",
    "crashed",
    "missing file",
    "refused file",
    "waiting on",
    "not graded",
    "broke the grading protocol",
    "asked too much of the grader",
)

#: Generic failures of a function's result, when no mistake is named.
GENERIC = (
    ("gave a warning", "numerical warning"),
    ("wrong gradient of", "wrong gradient"),
    ("must return shape", "wrong shape"),
    ("must have the shape", "wrong shape"),
    ("must return a number", "wrong type"),
    ("must return a numpy array", "wrong type"),
    ("is wrong", "wrong values"),
    ("moved by", "wrong step"),
)

#: ``ValueError: …``, ``numpy.linalg.LinAlgError``: what describe() writes for an exception.
_EXCEPTION = re.compile(r"([A-Za-z_][\w.]*)(?::\s|$|\s\(in\s)")
#: `` (in sigmoid, mlpcourse/activations.py line 42: …)``: where the exception was raised.
_WHERE = re.compile(r" \(in [^,()]*, \S+ line \d+.*$", re.DOTALL)


def diagnose(test: dict) -> str | None:
    """The diagnosis of one report test (``passed``, ``message``, maybe ``waiting_on``)."""
    if test.get("passed"):
        return None
    waiting = test.get("waiting_on")
    if waiting:
        return _cut(f"waiting on {str(waiting[0]).rpartition('.')[2]}")
    return _cut(label(str(test.get("message", ""))))


def label(message: str) -> str:
    """The diagnosis a failure message gives (see the module's docstring)."""
    if message.startswith("importing mlpcourse/"):
        reason = message.partition(" failed: ")[2]
        if "did not finish within" in reason:
            return "timed out at import"
        return f"crashed at import: {_exception(reason) or 'the runner died'}"
    if CAUSE in message:
        return first_sentence(message.partition(CAUSE)[2])
    kind = _exception(message)
    if kind:
        return f"crashed: {kind}"  # the student's own text follows: it names no mistake
    for marker, name in NAMED:
        if marker in message:
            return name
    if message.startswith("not written yet"):
        return "not written yet"
    if "is missing from the submission" in message:
        return "missing file"
    if message.startswith("mlpcourse/") and " is " in message:
        return "refused file"  # a link, a special file, a file too large
    if message.startswith("not graded"):
        return "timed out" if "were used up" in message else "not graded"
    if "did not finish within" in message:
        return "timed out"
    if message.startswith("the runner broke the grading protocol"):
        return "broke the grading protocol"
    if " asked too much of the grader in one check " in message:
        return "asked too much of the grader"  # its request or byte budget
    if ", while running " in message:
        return "crashed: the runner died"
    if message.startswith("calls between your code and the grader"):
        return "crashed: RecursionError"
    if message.startswith("the code called sys.exit"):
        return "crashed: SystemExit"
    for marker, name in GENERIC:
        if marker in message:
            return name
    return "wrong result"


def is_operational(diagnosis: str) -> bool:
    """Whether a diagnosis is about the submission (crash, timeout, stub…), not a misconception."""
    return diagnosis.startswith(OPERATIONAL)


def is_named(diagnosis: str) -> bool:
    """Whether a diagnosis names a classic mistake (not a generic or operational label)."""
    generic = {name for _, name in GENERIC} | {"wrong result"}
    return not is_operational(diagnosis) and diagnosis not in generic


def first_sentence(text: str) -> str:
    """``text`` up to its first sentence's end, without describe()'s ``(in …)`` suffix."""
    text = _WHERE.sub("", text)
    text = re.split(r"\.(?:\s|$)", text, maxsplit=1)[0]
    return text.strip()


def _exception(text: str) -> str | None:
    found = _EXCEPTION.match(text)
    if found is None or not found.group(1)[0].isupper():
        return None
    return found.group(1).rpartition(".")[2]


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"
