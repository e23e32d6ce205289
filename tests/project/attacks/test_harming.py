"""4. Harming a classmate or the instructor: killing processes, overwriting a classmate's
modules, the instructor's files, the class's reports, planting files on the host.
"""

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from mlpcourse.grader.checks import CHECKS
from mlpcourse.implementation import PACKAGE_DIR

from ..helpers import LIMITS, TOTAL, appended, outcome, submission
from .hostile import REFERENCE, hidden_marker

pytestmark = pytest.mark.attack("harming a classmate or the instructor")


#: Instructor files the attacks aim at; compared (content and mtime) before and after.
INSTRUCTOR_FILES = [
    PACKAGE_DIR / "grader" / "checks" / "activations.py",
    PACKAGE_DIR / "grader" / "grading.py",
    PACKAGE_DIR / "gradcheck.py",
    PACKAGE_DIR / "activations.py",
    REFERENCE,
]
#: The one instructor file an attack really appends to (a comment), should it get through.
APPENDED_FILE = Path(__file__)
SITE_PACKAGES = [p for p in sys.path if p.endswith("site-packages")]


def _harm(code: str) -> Callable[[SimpleNamespace], str]:
    return lambda p: code.format(**vars(p))


HARM = {
    "os.kill(-1, SIGKILL)": _harm(
        "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\n"
    ),
    "SIGKILL to pids 1..500 and their groups": _harm(
        "import os, signal\n"
        "for pid in range(1, 501):\n"
        "    if pid != os.getpid():\n"
        "        for kill in (os.kill, os.killpg):\n"
        "            try:\n                kill(pid, signal.SIGKILL)\n"
        "            except OSError:\n                pass\n"
    ),
    "overwrite a classmate's modules": _harm(
        "import glob, os\n"
        "for base in ('.', '/opt/mlpcourse/submission', '/tmp'):\n"
        "    for k in range(8):\n"
        "        for path in glob.glob(os.path.join(base, '../' * k, 'ada/mlpcourse/*.py')):\n"
        "            try:\n"
        "                open(path, 'w').write('raise SystemExit({marker!r})')\n"
        "            except OSError:\n                pass\n"
        "for name in os.listdir({victim!r} + '/mlpcourse') if os.path.isdir({victim!r}) else []:\n"
        "    try:\n"
        "        open({victim!r} + '/mlpcourse/' + name, 'w').write('raise SystemExit(1)')\n"
        "    except OSError:\n        pass\n"
    ),
    "write to the instructor's files": _harm(
        "import os\n"
        "for path in {instructor!r}:\n"
        "    try:\n"
        "        with open(path, 'ab') as file:\n            file.write(b'')\n"
        "        os.utime(path, (0, 0))\n"
        "    except OSError:\n        pass\n"
        "try:\n"
        "    with open({appended!r}, 'a') as file:\n        file.write('\\n# {marker}\\n')\n"
        "except OSError:\n    pass\n"
        "try:\n"
        "    open({checks_dir!r} + '/{marker}.py', 'w').write('')\n"
        "except OSError:\n    pass\n"
    ),
    "plant a .pth file in the grader's Python": _harm(
        "import os, site, sys\n"
        "for directory in {site_packages!r} + site.getsitepackages() + sys.path:\n"
        "    try:\n"
        "        open(os.path.join(directory, '{marker}.pth'), 'w').write('# {marker}\\n')\n"
        "    except OSError:\n        pass\n"
    ),
    "write files into the host's /tmp": _harm(
        "import glob, os\n"
        "for path in ['/tmp/{marker}', '/proc/1/root/tmp/{marker}', '/proc/1/cwd/{marker}',\n"
        "             '/dev/shm/{marker}', '/opt/mlpcourse/lib/{marker}',\n"
        "             {tmp!r} + '/{marker}'] + [d + '/{marker}' for d in glob.glob('/tmp/*')]:\n"
        "    try:\n        open(path, 'w').write('x')\n"
        "    except OSError:\n        pass\n"
    ),
    "poison the support code shared by the class": _harm(
        "import glob, os, sys\n"
        "for path in glob.glob(sys.argv[1] + '/mlpcourse/*.py') + "
        "glob.glob('/tmp/mlpcourse-lib-*/mlpcourse/*.py'):\n"
        "    try:\n"
        "        open(path, 'a').write('\\nraise SystemExit({marker!r})\\n')\n"
        "    except OSError:\n        pass\n"
        "    try:\n        os.chmod(path, 0o777)\n"
        "    except OSError:\n        pass\n"
    ),
    "forge the class's reports": _harm(
        "import json, os\n"
        "fake = {{'score': 0.0, 'max_score': {total}, 'tests': []}}\n"
        "for name, score in (('ada', 0.0), ('eve', 1000.0)):\n"
        "    try:\n"
        "        os.makedirs({grades!r}, exist_ok=True)\n"
        "        with open({grades!r} + '/' + name + '.json', 'w') as file:\n"
        "            json.dump(dict(fake, score=score), file)\n"
        "    except OSError:\n        pass\n"
        "try:\n"
        "    open({csv!r}, 'w').write('student,total\\nada,0\\neve,1000\\n')\n"
        "except OSError:\n    pass\n"
    ),
    "forge the resume manifest of a class run": _harm(
        "import json, os\n"
        "for path in ({grades!r} + '/.resume', './grades/.resume', '/tmp/grades/.resume'):\n"
        "    try:\n"
        "        os.makedirs(os.path.dirname(path), exist_ok=True)\n"
        "        json.dump({{'ada': 'forged', 'eve': 'forged'}}, open(path, 'w'))\n"
        "    except OSError:\n        pass\n"
    ),
    "a FIFO in place of a module": None,  # eve's activations.py is a FIFO
}


def _fingerprints(paths) -> dict[str, tuple[str, int]]:
    result = {}
    for path in paths:
        path = Path(path)
        if path.is_file():
            result[str(path)] = (
                hashlib.sha256(path.read_bytes()).hexdigest(),
                path.stat().st_mtime_ns,
            )
    return result


@pytest.mark.parametrize("attack", HARM, ids=list(HARM))
def test_a_classmate_and_the_instructor_are_unharmed(attack, tmp_path):
    klass, marker = tmp_path / "class", hidden_marker()
    klass.mkdir()
    victim = submission(klass, "ada")
    paths = SimpleNamespace(
        marker=marker,
        victim=str(victim),
        instructor=[str(p) for p in INSTRUCTOR_FILES],
        appended=str(APPENDED_FILE),
        checks_dir=str(PACKAGE_DIR / "grader" / "checks"),
        site_packages=SITE_PACKAGES,
        tmp=str(tmp_path),
        grades=str(tmp_path / "grades"),
        csv=str(tmp_path / "grades.csv"),
        total=TOTAL,
    )
    if HARM[attack] is None:
        attacker = submission(klass, "eve")
        (attacker / "mlpcourse" / "activations.py").unlink()
        os.mkfifo(attacker / "mlpcourse" / "activations.py")
    else:
        code = "def _attack():\n" + textwrap.indent(HARM[attack](paths), "    ") + "\n_attack()\n"
        attacker = submission(klass, "eve", activations=appended(code))
    watched = [*INSTRUCTOR_FILES, APPENDED_FILE, *victim.rglob("*.py")]
    before = _fingerprints(watched)
    command = [sys.executable, "-m", "mlpcourse.cli", "grade", str(klass), "--all"]
    command += ["--csv", str(tmp_path / "grades.csv"), "--jobs", "2"]
    command += ["--timeout", f"{LIMITS.timeout:g}", "--check-timeout", f"{LIMITS.check_timeout:g}"]
    command += ["--memory", str(LIMITS.memory_mb)]
    try:  # a bound on a hang, not a speed: the class takes a few seconds on a quiet machine
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{attack}: grading the class did not return within 600 s")
    assert result.returncode == 0, result.stderr[-3000:]
    assert _fingerprints(watched) == before, "files of the instructor or of ada changed"
    assert not [p for p in Path("/tmp").iterdir() if marker in p.name]
    assert not [p for p in tmp_path.rglob("*") if marker in p.name]
    assert not [p for d in SITE_PACKAGES for p in Path(d).glob(f"{marker}*")]
    assert not list((PACKAGE_DIR / "grader" / "checks").glob(f"{marker}*"))
    rows = [line.split(",") for line in (tmp_path / "grades.csv").read_text().splitlines()]
    table = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert float(table["ada"]["total"]) == TOTAL, table["ada"]
    reports = {
        name: json.loads((tmp_path / "grades" / f"{name}.json").read_text()) for name in table
    }
    assert reports["ada"]["score"] == TOTAL
    assert "error" not in reports["eve"], reports["eve"]
    assert reports["eve"]["score"] == float(table["eve"]["total"]) <= TOTAL
    if HARM[attack] is None:
        eve = outcome(reports["eve"])
        assert all(
            "not a regular file" in eve[c.id][1] for c in CHECKS if c.module == "activations"
        )
