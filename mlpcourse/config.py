"""The teacher's choices for a class, read from ``course.toml`` at the repository's root."""

import tomllib
from dataclasses import dataclass
from pathlib import Path

from mlpcourse.chapters import CHAPTERS, Chapter

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("git", "nbgrader")


@dataclass(frozen=True)
class CourseConfig:
    name: str = "Neural networks and backpropagation"
    submission: str = "git"
    #: Whether the chapters beyond the lecture (07, automatic differentiation) count in the grade.
    beyond_the_lecture: bool = True

    def graded_chapters(self) -> list[Chapter]:
        """The chapters whose checks make the grade, in order."""
        return [c for c in CHAPTERS if self.beyond_the_lecture or not c.beyond_the_lecture]

    def graded_modules(self) -> list[str]:
        """The exercise modules whose checks make the grade, in chapter order."""
        return [c.module for c in self.graded_chapters()]

    def how_to_submit(self) -> str:
        """One sentence for students: how to hand in, as the teacher chose."""
        if self.submission == "nbgrader":
            return (
                "hand in each chapter with nbgrader: in Jupyter's Assignments tab, or "
                "`nbgrader submit <chapter>`; your mlpcourse/ folder goes with it"
            )
        return (
            "commit and push your repository: `git add mlpcourse exercises && "
            'git commit -m "my work" && git push`'
        )


def load(root: Path = ROOT) -> CourseConfig:
    """The course's settings; the defaults where ``course.toml`` is missing."""
    path = root / "course.toml"
    if not path.is_file():
        return CourseConfig()
    with path.open("rb") as file:
        data = tomllib.load(file)
    method = data.get("submission", {}).get("method", "git")
    if method not in METHODS:
        raise ValueError(f"course.toml: submission.method must be one of {METHODS}; got {method!r}")
    beyond = data.get("grading", {}).get("beyond_the_lecture", True)
    if type(beyond) is not bool:
        raise ValueError(
            f"course.toml: grading.beyond_the_lecture must be true or false; got {beyond!r}"
        )
    return CourseConfig(
        name=data.get("course", {}).get("name", CourseConfig.name),
        submission=method,
        beyond_the_lecture=beyond,
    )
