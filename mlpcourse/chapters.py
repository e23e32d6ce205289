"""The chapters of the course: the one list that everything else reads.

A chapter is a page of the book (``book/02-activations.md``), a folder of
exercises (``exercises/02-activations/``, also the nbgrader assignment's name)
and the exercise module the student writes (``mlpcourse/activations.py``).
The grader's checks, the runner, the class report, the platforms, nbgrader's
configuration and ``make hand-in`` all take the chapters from here; adding a
chapter is one entry below, its book page, its notebook and its checks.

This module imports nothing of the package: the runner, the grader and the
instructor's tools all stand on it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Chapter:
    """One chapter: ``name`` is its page, folder and assignment (``02-activations``)."""

    name: str
    #: The exercise module the student writes, ``mlpcourse/<module>.py``.
    module: str
    #: Beyond the lecture's six sections: a teacher may leave it out of the grade.
    beyond_the_lecture: bool = False

    @property
    def number(self) -> str:
        """``"02"``: how a student names the chapter (``mlpcourse check 02``)."""
        return self.name[:2]


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("01-neuron", "neuron"),
    Chapter("02-activations", "activations"),
    Chapter("03-feedforward", "feedforward"),
    Chapter("04-gradient-descent", "gradient_descent"),
    Chapter("05-backprop-equations", "backprop_equations"),
    Chapter("06-backprop-algorithm", "network"),
    Chapter("07-autodiff", "autodiff", beyond_the_lecture=True),
)

#: The exercise modules, in chapter order.
EXERCISE_MODULES: tuple[str, ...] = tuple(chapter.module for chapter in CHAPTERS)

#: Each chapter by its module: ``BY_MODULE["activations"].name == "02-activations"``.
BY_MODULE: dict[str, Chapter] = {chapter.module: chapter for chapter in CHAPTERS}


def named(text: str) -> list[Chapter]:
    """The chapters ``text`` names: by module, name, or the start of a name (``02``, ``0``)."""
    return [c for c in CHAPTERS if text in (c.module, c.name) or c.name.startswith(text)]
