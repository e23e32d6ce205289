"""Plausible student mistakes (bugs) and correct alternatives, as edits of the reference.

Each variant replaces the solution region of one function in a reference
module by another body, giving a student's module as the grader would see it.
"""

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    check: str  # the check whose function is changed, e.g. "activations::sigmoid"
    function: str  # "sigmoid" or "Network.backprop"
    body: str
    description: str

    @property
    def module(self) -> str:
        return self.check.split("::")[0]

    def apply(self, source: str) -> str:
        """The reference module's text with this function's solution region replaced."""
        lines = source.splitlines()
        name = self.function.rsplit(".", 1)[-1]
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"def {name}("))
        begin = next(i for i in range(start, len(lines)) if "### BEGIN SOLUTION" in lines[i])
        end = next(i for i in range(begin, len(lines)) if "### END SOLUTION" in lines[i])
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        body = textwrap.indent(textwrap.dedent(self.body).strip("\n"), indent).splitlines()
        return "\n".join(lines[:begin] + body + lines[end + 1 :]) + "\n"


def bug(check: str, function: str, body: str, description: str) -> Variant:
    return Variant(check, function, body, description)


alternative = bug
