"""GitHub Classroom: the runner result, and the workflow for the student template repository.

``mlpcourse grade PATH --format github-classroom`` prints the version-1
runner result as base64 on one line (no wrapping), what the
``autograding-grading-reporter`` action reads from ``<STEP_ID>_RESULTS``.
``mlpcourse export github-classroom DIR`` writes
``.github/workflows/classroom.yml`` and ``README-grading.md``. The tests run
in the student's repository, where the student can edit the workflow, and
draw the published cases (nothing there can hold the course secret): the
grade to trust is the instructor's own run on clones of the repositories,
which draws the hidden cases from the course secret.
"""

from pathlib import Path

#: Where the workflow installs the course from (the published student edition, never the
#: instructor's repository: it holds the reference).
DEFAULT_INSTALL = "git+https://github.com/YOUR-ORG/mlpcourse-student.git"
STEP_ID = "mlpcourse"

WORKFLOW = """name: Autograding Tests
on: [push, workflow_dispatch, repository_dispatch]

permissions:
  checks: write
  actions: read
  contents: read

jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install bubblewrap and the course
        run: |
          sudo apt-get update
          sudo apt-get install -y bubblewrap
          # Ubuntu 24.04 restricts unprivileged user namespaces, which bubblewrap needs.
          sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 || true
          python -m pip install "INSTALL"
      - name: Grade
        id: STEP
        continue-on-error: true
        run: |
          result="$(mlpcourse grade . --format github-classroom)"
          echo "result=$result" >> "$GITHUB_OUTPUT"
      - name: Autograding Reporter
        if: always()
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
          UPPER_RESULTS: "${{ steps.STEP.outputs.result }}"
        with:
          runners: STEP
"""

README = """# Grading this assignment

The workflow `.github/workflows/classroom.yml` grades every push of a student's
repository (job `run-autograding-tests`) and reports the score to GitHub
Classroom: `mlpcourse grade . --format github-classroom` prints the result as
base64 on one line, the reporter reads it from `UPPER_RESULTS`
(`mlpcourse grade . --json` prints the same report as plain JSON, for
debugging).

That score is feedback for the student, not a grade to trust: the workflow
runs in the student's repository, which the student can edit, and it grades
the published cases (the ones `mlpcourse check` uses: a repository the student
can read holds no secret). The grade to trust is your own run, with your copy
of the course (the reference included), which draws hidden cases from your
course secret (`grading/secret`, or `MLPCOURSE_SECRET`): code that passes only
the published cases loses those points there.

```bash
gh classroom clone student-repos -a ASSIGNMENT_ID    # or: git clone each repository into CLASS/
mlpcourse grade CLASS --all --csv grades.csv
```
"""


def workflow(install: str = DEFAULT_INSTALL) -> str:
    """The text of ``classroom.yml``, installing the course from ``install``."""
    if not install.strip() or '"' in install or "\n" in install:
        raise ValueError(f"install must be a pip requirement on one line, got {install!r}")
    return (
        WORKFLOW.replace("INSTALL", install)
        .replace("UPPER", STEP_ID.upper())
        .replace("STEP", STEP_ID)
    )


def export(target: Path, install: str = DEFAULT_INSTALL) -> list[Path]:
    """Write the workflow and ``README-grading.md`` into ``target``; returns them."""
    path = target / ".github" / "workflows" / "classroom.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow(install))
    readme = target / "README-grading.md"
    readme.write_text(README.replace("UPPER", STEP_ID.upper()))
    return [path, readme]
