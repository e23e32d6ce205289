"""The cases the checks draw: the published ones, or hidden ones drawn from a course secret.

Every network, input and direction a check uses comes from :meth:`Cases.rng`.
:data:`PUBLISHED` (no secret) draws exactly what the student edition shows:
``rng(5)`` is ``numpy.random.default_rng(5)``. The student's own ``mlpcourse
check``, ``pytest tests/graded`` and the notebooks use it, so a student can
read every case and every expected message.

The instructor's grade (``mlpcourse grade``, ``grade --all``, nbgrader's
autograde, the platform graders) uses :func:`course_cases`: the same draws
keyed also on the course secret, which the student edition never holds, and
on the submitted files (:meth:`Cases.for_submission`). Code that computes
what it should passes every draw; a lookup table of the published cases, or
an answer rebuilt from the published seeds, passes none. Keying on the files
too means a case seen in one graded submission (printed in a message, say) is
not the case of the next one: any change to the files draws afresh.

The secret comes from the environment variable ``MLPCOURSE_SECRET`` (hex, or
any text) when it is set, else from the file ``grading/secret`` of the
course (the git-ignored folder beside ``solutions/``), made on first use
from 32 random bytes, readable by its owner only; a secret file that others
can read is refused. A copy of the course without ``solutions/`` (the
student edition) has no secret: it grades the published cases. A report
names its cases by :attr:`Cases.variant`: ``published``, or 12 hex digits of
a hash of the secret (never the secret itself).
"""

import hashlib
import os
import secrets
import stat
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.implementation import REFERENCE_DIR

#: The environment variable that holds the secret (hex, or any text), e.g. on a cluster or in CI.
ENVIRONMENT = "MLPCOURSE_SECRET"
#: Where the secret is kept, relative to the course root (git-ignored; not in the student edition).
SECRET_FILE = Path("grading") / "secret"
#: The course root: the folder holding ``solutions/`` and the ``mlpcourse`` package.
COURSE_ROOT = REFERENCE_DIR.parents[1]


class SecretError(RuntimeError):
    """The course secret cannot be used (empty, unreadable, or readable by others)."""


@dataclass(frozen=True, repr=False)
class Cases:
    """Where the checks' random cases come from: ``secret`` None for the published ones.

    ``submission`` is a digest of the graded files (:meth:`for_submission`),
    mixed into the draws with the secret.
    """

    secret: bytes | None = None
    submission: bytes = b""

    def __post_init__(self) -> None:
        if self.secret is not None and (type(self.secret) is not bytes or not self.secret):
            raise SecretError("the course secret must be a non-empty bytes value")

    @property
    def published(self) -> bool:
        return self.secret is None

    def rng(self, *key: int) -> np.random.Generator:
        """The generator of the draw named ``key``: ``default_rng(key)`` when published."""
        if self.secret is None:
            return np.random.default_rng(list(key))
        return np.random.default_rng([*key, *self._words()])

    def seed(self, key: int) -> int:
        """An integer seed, for what takes one (a gradient check): ``key`` when published."""
        if self.secret is None:
            return key
        return int(self.rng(key).integers(2**63))

    def _words(self) -> list[int]:
        """The secret and the submission's digest, hashed into eight 32-bit words."""
        digest = hashlib.sha256(b"mlpcourse cases\0")
        digest.update(len(self.secret).to_bytes(8, "big") + self.secret + self.submission)
        return np.frombuffer(digest.digest(), dtype="<u4").tolist()

    @property
    def variant(self) -> str:
        """``published``, or the first 12 hex digits of a hash of the secret."""
        if self.secret is None:
            return "published"
        return hashlib.sha256(b"mlpcourse variant\0" + self.secret).hexdigest()[:12]

    def for_submission(self, folder: Path) -> "Cases":
        """These cases keyed also on the exercise modules in ``folder`` (published: unchanged)."""
        if self.secret is None:
            return self
        digest = hashlib.sha256(b"mlpcourse submission\0")
        for module in EXERCISE_MODULES:
            path = folder / f"{module}.py"
            data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
            digest.update(module.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
        return replace(self, submission=digest.digest())

    def shared(self) -> "Cases":
        """These cases without the submission's digest: the same for every submission.

        For a case that never leaves the grader whole (the large network's
        directions) and is costly to compute: drawn once per secret, not per
        submission, so that a class run computes it once per process.
        """
        return replace(self, submission=b"")

    def __repr__(self) -> str:  # never the secret: a repr ends up in logs and tracebacks
        return f"Cases(variant={self.variant!r})"


PUBLISHED = Cases()


def parse_secret(text: str | bytes) -> bytes:
    """The secret written as ``text``: hex digits are decoded, any other text is taken as is."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    text = text.strip()
    if not text:
        raise SecretError("the course secret is empty")
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode("utf-8", "surrogateescape")


def secret_path(root: Path = COURSE_ROOT) -> Path:
    """Where the course at ``root`` keeps its secret."""
    return root / SECRET_FILE


def course_secret(root: Path = COURSE_ROOT) -> bytes | None:
    """The course secret: ``MLPCOURSE_SECRET``, else ``root/grading/secret`` (made if missing).

    None for a copy of the course without the reference (the student
    edition): it has no secret and grades the published cases.
    """
    if ENVIRONMENT in os.environ:
        try:
            return parse_secret(os.environ[ENVIRONMENT])
        except SecretError:
            raise SecretError(f"{ENVIRONMENT} is set but empty") from None
    if not (root / "solutions" / "mlpcourse").is_dir():
        return None
    path = secret_path(root)
    if not os.path.lexists(path):
        _make(path)
    return _read(path)


def course_cases(root: Path = COURSE_ROOT) -> Cases:
    """The instructor's cases: drawn from the course secret (published without one)."""
    secret = course_secret(root)
    return PUBLISHED if secret is None else Cases(secret)


def _make(path: Path) -> None:
    """Write a new random secret to ``path`` (mode 0600; its folder, if new, 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w") as file:
        file.write(secrets.token_bytes(32).hex() + "\n")
    try:
        os.link(temporary, path)  # atomic, and never over a secret another process just made
    except FileExistsError:
        return
    finally:
        os.unlink(temporary)
    print(
        f"mlpcourse: made the course's grading secret {path} (the hidden cases are drawn from "
        f"it). Keep it private; to grade on another machine, copy it there or set {ENVIRONMENT}.",
        file=sys.stderr,
    )


def _read(path: Path) -> bytes:
    try:
        status = os.lstat(path)
        if not stat.S_ISREG(status.st_mode):
            raise SecretError(f"the course secret {path} must be a regular file")
        if status.st_mode & 0o077:
            raise SecretError(
                f"the course secret {path} can be read by other users (mode "
                f"{stat.S_IMODE(status.st_mode):o}): run `chmod 600 {path}`, and if anybody "
                "else may have read it, delete it (a new one is made) and grade again"
            )
        return parse_secret(path.read_bytes())
    except OSError as error:
        raise SecretError(f"cannot read the course secret {path}: {error.strerror}") from None
