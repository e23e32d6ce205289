"""What several classes of attack share: hostile code, and what to look for after."""

import secrets
from pathlib import Path

from mlpcourse.grader.limits import Limits
from mlpcourse.implementation import REFERENCE_DIR

#: The reference module the stealing attacks aim at.
REFERENCE = REFERENCE_DIR / "activations.py"
#: The correct sigmoid, for attacks that must otherwise pass.
SIGMOID = "e = np.exp(-np.abs(z))\nreturn np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))"
LOOP = "while True:\n    pass"
#: The runner's peer, found among the runner's objects (``peer``, to forge with).
PEER = "import gc\nfrom mlpcourse.runner.serve import RunnerPeer\n" + (
    "peer = next(o for o in gc.get_objects() if isinstance(o, RunnerPeer))\n"
)


def sgd_then(tail: str) -> str:
    """The reference's sgd body with ``tail`` run after it."""
    return (
        "m = x.shape[1]\n"
        "for epoch in range(1, epochs + 1):\n"
        "    for batch in minibatches(m, batch_size, rng):\n"
        "        self.update_mini_batch(x[:, batch], y[:, batch], lr)\n"
        "    history.append(self.epoch_record(epoch, x, y, test))\n" + tail
    )


def hidden_marker() -> str:
    """A unique name for what an attack leaves behind (15 characters: fits a process name)."""
    return "atk" + secrets.token_hex(6)


def processes_named(marker: str) -> list[str]:
    """Processes or threads whose command line or name holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            names = [(entry / "cmdline").read_bytes()]
            names += [(task / "comm").read_bytes() for task in (entry / "task").iterdir()]
        except OSError:
            continue
        if any(marker.encode() in name for name in names):
            found.append(f"{entry.name}: {names[0][:200]!r}")
    return found


def assert_returned(elapsed: float, limits: Limits) -> None:
    """The grade returned, as its limits make it: a chapter stops after ``limits.timeout`` and
    the check under way; twice that is a margin a loaded machine keeps, and a grader that let an
    attack stall it would never return at all."""
    allowed = 2 * (limits.timeout + limits.check_timeout)
    assert elapsed < allowed, f"grading took {elapsed:.1f} s, over {allowed:g} s"
