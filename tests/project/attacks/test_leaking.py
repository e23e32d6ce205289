"""6. Leaking the environment or files into the report."""

import json
import secrets
import textwrap
from pathlib import Path

import pytest

from mlpcourse.grader.grading import grade

from ..helpers import LIMITS, edit_function, outcome, submission

pytestmark = pytest.mark.attack("leaking the environment or files")


#: Put what matters first: the grader keeps 4000 characters of a message.
LEAK_TAIL = """
import re
found = [line for line in text.splitlines() if re.search("MLPCOURSE|CANARY|^root:", line)]
raise RuntimeError("leaked: " + " | ".join(found)[:3500])
"""

LEAKS = {
    "os.environ": "import os\ntext = '\\n'.join(f'{k}={v}' for k, v in os.environ.items())",
    "/proc/1/environ": """
        try:
            text = open("/proc/1/environ", "rb").read().decode().replace("\\0", "\\n")
        except OSError as error:
            text = repr(error)
        """,
    "every /proc/*/environ": """
        import os
        text = ""
        for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
            try:
                text += open(f"/proc/{pid}/environ", "rb").read().decode().replace("\\0", "\\n")
            except OSError:
                pass
        """,
    "the parent's memory (/proc/<ppid>/mem)": """
        import os, re
        text, pid = "", os.getppid()
        try:
            with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
                for line in maps:
                    if "[stack]" in line:
                        start, end = (int(x, 16) for x in line.split()[0].split("-"))
                        mem.seek(start)
                        text = mem.read(end - start).decode("latin-1").replace("\\0", "\\n")
        except (OSError, ValueError) as error:
            text = repr(error)
        """,
    "/etc/shadow, /etc/passwd and /root/.ssh": """
        import glob
        text = ""
        paths = ["/etc/shadow", "/etc/passwd", "/proc/1/root/etc/shadow", "/etc/sudoers"]
        for path in paths + glob.glob("/root/.ssh/*") + glob.glob("/root/.*history"):
            try:
                text += open(path, errors="replace").read()
            except OSError as error:
                text += f"{path}: {error.strerror}\\n"
        """,
    "canary files in the host's /tmp and the pytest folder": """
        import glob
        text = ""
        for path in glob.glob("/tmp/mlpcourse-canary-*") + glob.glob("/tmp/pytest-of-*/**/canary*",
                                                                     recursive=True):
            try:
                text += open(path).read()
            except OSError:
                pass
        """,
}


@pytest.mark.parametrize("attack", LEAKS, ids=list(LEAKS))
def test_no_secret_leaks_into_the_report(attack, tmp_path, monkeypatch):
    secret, canary = "s3cr3t-" + secrets.token_hex(8), "CANARY-" + secrets.token_hex(8)
    monkeypatch.setenv("MLPCOURSE_SECRET_TOKEN", secret)
    host_canary = Path("/tmp") / f"mlpcourse-canary-{secrets.token_hex(4)}"
    host_canary.write_text(canary)
    (tmp_path / "canary.txt").write_text(canary)
    body = textwrap.dedent(LEAKS[attack]).strip("\n") + "\n" + LEAK_TAIL
    try:
        report = grade(
            submission(tmp_path, activations=edit_function("sigmoid", body)),
            LIMITS,
            modules=["activations"],
        )
    finally:
        host_canary.unlink()
    passed, message = outcome(report)["activations::sigmoid"]
    assert not passed and message.startswith("RuntimeError: leaked: "), message
    text = json.dumps(report)
    assert secret not in text, f"{attack}: the grader's environment leaked into the report"
    assert canary not in text, f"{attack}: a host file leaked into the report"
    for path in ("/etc/shadow", "/etc/passwd"):
        try:
            first = Path(path).read_text().splitlines()[0]
        except (OSError, IndexError):
            continue
        assert first not in text, f"{attack}: {path} leaked into the report"
