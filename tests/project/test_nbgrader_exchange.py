"""A chapter through nbgrader's exchange, as on a shared JupyterHub, with the documented commands.

The hub is this machine: an exchange folder made as book/instructors/nbgrader.md
tells the hub's admin (mode 1777, named in a global nbgrader config), an
instructor (root) in a course folder running that page's commands, and three
students, each a Unix account of their own with a home and a copy of the
course, running the commands of the student edition's README as themselves
(through bubblewrap only so that they can reach this test's Python when it
sits in a folder only root can open). The instructor releases chapter 02;
every student fetches it; ada writes the reference, bob plants a mistake, cy
leaves the stubs and edits the notebook's graded cells to print "passed"; each
submits, and their mlpcourse/ travels with the notebook. bob also tries to
change ada's submission: he cannot list the inbound folder, cannot rename or
write what ada submitted even knowing its name, and the submission he files
under ada's name is not collected. The instructor collects, autogrades with
the trusted verdicts, generates and releases the feedback; each student
fetches a feedback page with their own points and messages.

Needs root (it creates the accounts), bubblewrap and setpriv; skips where
they are missing, except under ``MLPCOURSE_REQUIRE_SYSTEM=1``.
"""

import html
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.course.exchange import foreign_entries
from mlpcourse.course.submissions import for_students, release_notebooks, student_readme
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

from .mutants.bugs import BUGS
from .system import ROOT, documented, unavailable

CHAPTER = "02-activations"
NOTEBOOK = "activations.ipynb"
MISTAKE = next(b for b in BUGS if b.description == "z(1 − z)")
#: Each student's automatic points (of 8; the written answer, 2 more, is graded by hand).
POINTS = {"ada": 8.0, "bob": 6.0, "cy": 0.0}
FORGED = 'print("passed")'
WORTH = {"sigmoid": 2.0, "sigmoid_prime": 2.0, "relu": 1.0, "relu_prime": 1.0, "tanh": 1.0}
WORTH["tanh_prime"] = 1.0
#: Each graded cell's points on each student's feedback page, and the message of a failed one.
CELLS = {
    "ada": WORTH,
    "bob": {**WORTH, "sigmoid_prime": 0.0},
    "cy": dict.fromkeys(WORTH, 0.0),
}
MESSAGES = {
    "bob": "sigmoid_prime(z) for a row (1, 7) differs from the finite-difference slope",
    "cy": "not written yet (NotImplementedError): write ",
}


@dataclass
class Hub:
    base: Path
    exchange: Path
    config: Path  # the hub's global nbgrader configuration folder
    users: dict[str, str]  # role -> account name (the nbgrader student id)

    def home(self, role: str) -> Path:
        return self.base / "home" / self.users[role]

    def env(self, home: Path, user: str) -> dict:
        return {
            "HOME": str(home),
            "USER": user,
            "LOGNAME": user,
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "JUPYTER_CONFIG_PATH": str(self.config),
        }

    def students(self, script: str) -> None:
        """Every student runs ``script`` at the same time, each as themselves."""
        with ThreadPoolExecutor(len(self.users)) as pool:
            list(pool.map(lambda role: self.student(role, script), self.users))

    def student(self, role: str, script: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``script`` (bash) as the student's own account, in their copy of the course."""
        account = pwd.getpwnam(self.users[role])
        env = [f"{k}={v}" for k, v in self.env(self.home(role), account.pw_name).items()]
        command = [
            "bwrap",
            "--dev-bind",
            "/",
            "/",
            *python_reachable(),
            "--die-with-parent",
            "--chdir",
            str(self.home(role) / "course"),
            "setpriv",
            f"--reuid={account.pw_uid}",
            f"--regid={account.pw_gid}",
            "--init-groups",
            "--",
            "env",
            "-i",
            *env,
            "bash",
            "-euo",
            "pipefail",
            "-c",
            script,
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0 or not check, (role, script, result.stdout, result.stderr)
        return result

    def teacher(self, script: str, course: Path) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            **self.env(self.base / "teacher", "root"),
            "PYTHONPATH": str(ROOT),
        }
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=course,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, (script, result.stdout, result.stderr)
        return result


def python_reachable() -> list[str]:
    """bubblewrap arguments that let any user reach this test's Python and virtual environment.

    A folder only root may open (``/root`` holding pyenv, a clone in ``mktemp -d``)
    is covered by an empty one that anyone may open, with the Python bound back
    in at its own path, so every path (shebangs, pyvenv.cfg) stays as it is.
    """
    covered: dict[Path, list[Path]] = {}
    for path in {Path(os.path.realpath(p)) for p in (sys.base_prefix, sys.prefix)}:
        closed = [a for a in reversed(path.parents) if not a.stat().st_mode & stat.S_IXOTH]
        if closed:
            covered.setdefault(closed[0], []).append(path)
    arguments = []
    for top, paths in sorted(covered.items()):
        arguments += ["--perms", "0755", "--tmpfs", str(top)]
        for path in sorted(paths):
            between = [a for a in reversed(path.parents) if top in a.parents]
            for folder in between:
                arguments += ["--perms", "0755", "--dir", str(folder)]
            arguments += ["--ro-bind", str(path), str(path)]
    return arguments


@pytest.fixture
def hub():
    if os.geteuid() != 0:
        unavailable("the exchange test creates Unix accounts: run the tests as root")
    missing = [name for name in ("bwrap", "setpriv", "useradd", "userdel") if not which(name)]
    if missing:
        unavailable(f"{', '.join(missing)} not found: apt-get install bubblewrap util-linux passwd")
    probe = subprocess.run(
        ["bwrap", "--dev-bind", "/", "/", *python_reachable(), "true"], capture_output=True
    )
    if probe.returncode != 0:
        unavailable(f"bubblewrap cannot make a mount namespace here: {probe.stderr!r}")
    base = Path(tempfile.mkdtemp(prefix="mlphub-"))
    base.chmod(0o755)
    exchange = base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)  # as the instructors' guide tells the hub's admin
    config = base / "etc" / "jupyter"
    config.mkdir(parents=True)
    (config / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        'c.CourseDirectory.course_id = "mlpcourse"\n'
    )
    (base / "home").mkdir(mode=0o755)
    (base / "teacher").mkdir(mode=0o700)
    tag = secrets.token_hex(2)
    users = {role: f"{role}-{tag}" for role in POINTS}
    created = []
    try:
        for role, name in users.items():
            home = base / "home" / name
            subprocess.run(
                [which("useradd"), "--user-group", "--no-create-home", "--home-dir", str(home)]
                + ["--shell", "/bin/bash", name],
                check=True,
                capture_output=True,
            )
            created.append(name)
            account = pwd.getpwnam(name)
            home.mkdir(mode=0o700)
            write_course(home / "course", role)
            for path in [home, *home.rglob("*")]:
                os.lchown(path, account.pw_uid, account.pw_gid)
        yield Hub(base, exchange, config, users)
    finally:
        for name in created:
            subprocess.run([which("userdel"), name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def which(name: str) -> str | None:
    return shutil.which(name, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")


def write_course(folder: Path, role: str) -> None:
    """A student's copy of the course: the student Makefile, their modules, no chapter yet."""
    (folder / "mlpcourse").mkdir(parents=True)
    (folder / "exercises").mkdir()
    makefile = for_students((ROOT / "Makefile").read_text(), "nbgrader", "Makefile")
    (folder / "Makefile").write_text(makefile)
    for module in EXERCISE_MODULES:
        text = (PACKAGE_DIR / f"{module}.py").read_text()  # the stubs, as handed out
        if role != "cy" and module == "activations":
            text = (REFERENCE_DIR / f"{module}.py").read_text()
            if role == "bob":
                text = MISTAKE.apply(text)
        (folder / "mlpcourse" / f"{module}.py").write_text(text)


def text_of(page: str) -> str:
    """What a feedback page shows, as text."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def forge_graded_cells(notebook: Path) -> None:
    """cy's edit: every graded cell of the notebook prints "passed" instead of its check."""
    cells = json.loads(notebook.read_text())
    graded = [c for c in cells["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    for cell in graded:
        if cell["cell_type"] == "code":
            cell["source"] = FORGED
    notebook.write_text(json.dumps(cells))


def test_a_chapter_through_the_nbgrader_exchange(hub, tmp_path):
    course, inbound = the_instructor_releases(hub, tmp_path)
    chapter, ada_submission = the_students_fetch_and_submit(hub, inbound)
    impostor = bob_cannot_touch_the_submission_of_ada(hub, inbound, ada_submission)
    the_instructor_grades(hub, course, ada_submission, impostor)
    each_student_gets_feedback(hub, chapter)


def the_instructor_releases(hub, tmp_path: Path) -> tuple[Path, Path]:
    """The instructor's course folder (only root can open it, as only the instructor), the
    chapter released into the exchange; the course and the exchange's inbound folder."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / CHAPTER, course / "solutions" / CHAPTER)
    release_notebooks(course)
    hub.teacher(documented("nbgrader teacher release"), course)
    inbound = hub.exchange / "mlpcourse" / "inbound"
    assert stat.S_IMODE(inbound.stat().st_mode) == 0o3733  # sticky: owners alone rename
    return course, inbound


def the_students_fetch_and_submit(hub, inbound: Path) -> tuple[dict[str, Path], Path]:
    """Each student's chapter folder, and ada's submission: the modules went with the notebook."""
    hub.students(documented("nbgrader student fetch"))
    chapter = {role: hub.home(role) / "course" / "exercises" / CHAPTER for role in POINTS}
    assert all((chapter[role] / NOTEBOOK).is_file() for role in POINTS)
    forge_graded_cells(chapter["cy"] / NOTEBOOK)
    hub.students(documented("nbgrader student submit"))
    (ada_submission,) = [p for p in inbound.iterdir() if p.name.startswith(f"{hub.users['ada']}+")]
    assert (ada_submission / "mlpcourse" / "activations.py").read_text() == (
        REFERENCE_DIR / "activations.py"
    ).read_text()
    return chapter, ada_submission


def bob_cannot_touch_the_submission_of_ada(hub, inbound: Path, ada_submission: Path) -> Path:
    """bob against ada's submission: he cannot find it, and knowing its name changes nothing.
    nbgrader lets him file a submission under ada's name: the impostor, returned."""
    ada, bob = hub.users["ada"], hub.users["bob"]
    listing = hub.student("bob", f"ls {inbound}", check=False)
    assert listing.returncode != 0 and "Permission denied" in listing.stderr
    theirs = shlex.quote(str(ada_submission))
    for attack in (
        f"mv {theirs} {inbound}/{bob}+taken",
        f"rm -r {theirs}/mlpcourse",
        f"echo forged > {theirs}/{NOTEBOOK}",
        f"echo forged > {theirs}/mlpcourse/activations.py",
        f"mv {hub.exchange}/mlpcourse {hub.exchange}/taken",
    ):
        tried = hub.student("bob", attack, check=False)
        assert tried.returncode != 0, attack
        assert "Permission denied" in tried.stderr or "not permitted" in tried.stderr, attack
    assert (ada_submission / "mlpcourse" / "activations.py").read_text() == (
        REFERENCE_DIR / "activations.py"
    ).read_text()
    hub.student("bob", f"cd exercises && nbgrader submit {CHAPTER} --student {ada}")
    impostor = [
        p for p in inbound.iterdir() if p.name.startswith(f"{ada}+") and p != ada_submission
    ]
    assert len(impostor) == 1 and impostor[0].stat().st_uid == pwd.getpwnam(bob).pw_uid
    return impostor[0]


def the_instructor_grades(hub, course: Path, ada_submission: Path, impostor: Path) -> None:
    """Collect leaves the impostor out, each student gets the points of their own modules; then
    the instructor makes the feedback."""
    ada = hub.users["ada"]
    graded = hub.teacher(documented("nbgrader teacher grade"), course)
    assert f"Not collected: {impostor.name} claims to be by {ada}" in graded.stderr
    assert ada_submission.name not in re.findall(r"Not collected: (\S+)", graded.stderr)
    with Gradebook(f"sqlite:///{course}/grading/gradebook.db") as gradebook:
        scores = {
            role: gradebook.find_submission(CHAPTER, hub.users[role]).code_score for role in POINTS
        }
        assert gradebook.find_assignment(CHAPTER).max_score == 10.0
    assert scores == POINTS
    for role in POINTS:
        submitted = course / "grading" / "submitted" / hub.users[role] / CHAPTER
        assert (submitted / "mlpcourse" / "activations.py").read_text() == (
            hub.home(role) / "course" / "mlpcourse" / "activations.py"
        ).read_text()
    hub.teacher(documented("nbgrader teacher feedback"), course)


def each_student_gets_feedback(hub, chapter: dict[str, Path]) -> None:
    """Each student's feedback page, theirs alone: the trusted verdict of each graded cell."""
    hub.students(documented("nbgrader student feedback"))
    pages = {}
    for role in POINTS:
        (page,) = (chapter[role] / "feedback").glob(f"*/{NOTEBOOK.replace('.ipynb', '.html')}")
        assert page.stat().st_uid == pwd.getpwnam(hub.users[role]).pw_uid
        pages[role] = text_of(page.read_text())
    for role, points in POINTS.items():
        page = pages[role]
        assert f"activations (Score: {points:.1f} / 10.0)" in page, role
        cells = re.findall(r"Grade cell: test-(\w+)\s+Score: ([\d.]+) / ([\d.]+)", page)
        assert {check: float(got) for check, got, _ in cells} == CELLS[role], role
        for check, _, worth in cells:  # the restored cell, then the trusted verdict
            passed = CELLS[role][check] == float(worth)
            shown = f"✓ activations.{check}: " if passed else MESSAGES[role]
            assert f'graded("activations::{check}")\n{shown}' in page, (role, check)
        assert FORGED not in page


def test_collect_refuses_a_submission_with_a_file_of_someone_else(tmp_path):
    if os.geteuid() != 0:
        unavailable("giving a file to another account needs root")
    folder = tmp_path / "root+02-activations+2026-01-01 00:00:00.000000 UTC+x"
    (folder / "mlpcourse").mkdir(parents=True)
    (folder / "mlpcourse" / "activations.py").write_text("")
    assert foreign_entries(folder, "root") == []
    os.chown(folder / "mlpcourse" / "activations.py", 65534, 65534)
    assert foreign_entries(folder, "root") == [f"{folder.name}/mlpcourse/activations.py"]
    assert foreign_entries(folder, "no-such-account-here") == [
        f"{folder.name} (no account named no-such-account-here)"
    ]


def test_students_of_an_nbgrader_class_read_the_tested_commands():
    readme = student_readme(ROOT, "nbgrader")
    assert "<!--" not in readme
    for step in ("fetch", "submit", "feedback"):
        assert f"```bash\n{documented(f'nbgrader student {step}')}```" in readme
