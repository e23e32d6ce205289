"""A class graded on a real Slurm cluster, by the recipe of the instructors' guide.

The test starts a one-node cluster on this machine (munged with a key of its
own, slurmctld and slurmd, from a slurm.conf it writes in a temporary folder)
and runs the commands of book/instructors/at-scale.md as they are written: the job array of
``docs/recipes/slurm-grade.sbatch`` (one shard per task), then the merge and
report job of ``docs/recipes/slurm-merge.sbatch``. One task is cancelled
before it runs: its student is listed as missing (the merge job fails and says
who) until the documented resubmission of that shard, after which the merged CSV
and reports equal a single ``grade --all`` of the same class.

Needs root and the Debian packages slurm-wlm and munge (``.ci/run`` installs
them); skips where they are missing, except under ``MLPCOURSE_REQUIRE_SYSTEM=1``.
"""

import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.course.classes import load_reports, shard_of

from .mutants.bugs import BUGS
from .mutants.submissions import planted, stub, write_submission
from .system import ROOT, documented, unavailable

SHARDS = 10  # the recipe's --array=1-10
CANCELLED = 3  # the task cancelled on purpose: the documented resubmission names it
CLASS = {
    "ann": [],  # the reference: every point
    "hana": [planted(next(b for b in BUGS if b.description == "z(1 − z)"))],  # shard 3
    "sam": [stub(module) for module in EXERCISE_MODULES],  # nothing written
}
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo")
FINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL")
NO_REPORT = "missing: no shard has a report for this student"
SEARCH_PATH = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin:/usr/bin"


@dataclass
class Cluster:
    base: Path
    env: dict
    daemons: list[subprocess.Popen] = field(default_factory=list)  # in the order started

    def start(self, *command: str, log: str) -> None:
        """Start a daemon, its output in ``log``."""
        with (self.base / log).open("ab") as out:
            command = (shutil.which(command[0], path=SEARCH_PATH), *command[1:])
            self.daemons.append(subprocess.Popen(command, env=self.env, stdout=out, stderr=out))

    def run(self, *command: str, check: bool = True) -> str:
        result = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 or not check, (command, result.stdout, result.stderr)
        return result.stdout

    def jobs(self) -> list[dict[str, str]]:
        """Every job slurmctld knows of (finished ones too), one dict of fields each."""
        lines = self.run("scontrol", "show", "job", "--oneliner").splitlines()
        return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in lines if "JobId=" in line]

    def wait(self, timeout: float = 600) -> None:
        """Until no job is pending or running."""
        deadline = time.monotonic() + timeout
        while self.run("squeue", "--noheader").strip():
            assert time.monotonic() < deadline, self.run("squeue") + self.logs()
            time.sleep(0.5)

    def logs(self) -> str:
        logs = sorted(self.base.glob("*.log"))
        return "".join(f"\n== {log}\n{log.read_text()[-3000:]}" for log in logs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_line() -> str:
    """This machine as slurmd sees it: CPUs, sockets, cores, threads, memory."""
    found = subprocess.run(
        [shutil.which("slurmd", path=SEARCH_PATH), "-C"], capture_output=True, text=True
    )
    fields = dict(re.findall(r"(\w+)=(\S+)", found.stdout.splitlines()[0]))
    wanted = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore", "RealMemory")
    return " ".join(f"{key}={fields[key]}" for key in wanted)


def slurm_conf(base: Path) -> str:
    host = socket.gethostname().split(".")[0]
    return f"""\
ClusterName=mlpcourse
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={base}/run/munge.socket
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={base}/run/slurmctld.pid
SlurmdPidFile={base}/run/slurmd.pid
SlurmctldLogFile={base}/slurmctld.log
SlurmdLogFile={base}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
NodeName=mlpcourse-node NodeHostname={host} NodeAddr=127.0.0.1 {node_line()} State=UNKNOWN
PartitionName=grade Nodes=mlpcourse-node Default=YES MaxTime=INFINITE State=UP
"""


def processes_of(conf: Path) -> list[int]:
    """Processes started by this cluster: their environment names its slurm.conf."""
    mark = f"SLURM_CONF={conf}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if mark in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def cluster():
    """A one-node Slurm cluster on this machine; every daemon stopped at the end."""
    needs_slurm()
    base, key, conf = cluster_folder()
    env = {**os.environ, "SLURM_CONF": str(conf), "PATH": SEARCH_PATH, "PYTHONPATH": str(ROOT)}
    cluster = Cluster(base, env)
    try:
        start_munge(cluster, key)
        start_slurm(cluster)
        yield cluster
    finally:
        stop(cluster, conf)


def needs_slurm() -> None:
    if os.geteuid() != 0:
        unavailable("Slurm's daemons run as root here: run the tests as root")
    missing = [name for name in DAEMONS if shutil.which(name, path=SEARCH_PATH) is None]
    if missing:
        unavailable(f"{', '.join(missing)} not found: apt-get install slurm-wlm munge")


def cluster_folder() -> tuple[Path, Path, Path]:
    """The cluster's folder, its munge key and its slurm.conf."""
    # Short and reachable by every user: munged wants its socket's folder open to all.
    base = Path(tempfile.mkdtemp(prefix="mlpslurm-"))
    base.chmod(0o755)
    for folder, mode in (("run", 0o755), ("munge", 0o700), ("state", 0o700), ("spool", 0o755)):
        (base / folder).mkdir(mode=mode)
    key = base / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    conf = base / "slurm.conf"
    conf.write_text(slurm_conf(base))
    return base, key, conf


def start_munge(cluster: Cluster, key: Path) -> None:
    """munged, with a key of its own, until its socket is there."""
    base = cluster.base
    cluster.start(
        "munged",
        "--foreground",
        f"--key-file={key}",
        f"--socket={base}/run/munge.socket",
        f"--pid-file={base}/run/munged.pid",
        f"--seed-file={base}/munge/munged.seed",
        f"--log-file={base}/munged.log",
        log="munged.out.log",
    )
    deadline = time.monotonic() + 30
    while not (base / "run" / "munge.socket").exists():
        if cluster.daemons[0].poll() is not None or time.monotonic() > deadline:
            unavailable(f"munged did not start: {cluster.logs()}")
        time.sleep(0.1)


def start_slurm(cluster: Cluster) -> None:
    """slurmctld and slurmd, until the node is idle."""
    cluster.start("slurmctld", "-D", log="slurmctld.out.log")
    cluster.start("slurmd", "-D", "-N", "mlpcourse-node", log="slurmd.out.log")
    deadline = time.monotonic() + 60
    state = ""
    while state != "idle":
        if any(d.poll() is not None for d in cluster.daemons) or time.monotonic() > deadline:
            unavailable(f"the Slurm cluster did not start (node {state!r}): {cluster.logs()}")
        time.sleep(0.5)
        state = cluster.run("sinfo", "--noheader", "--Node", "-o", "%T", check=False).strip()


def stop(cluster: Cluster, conf: Path) -> None:
    """Jobs cancelled, daemons stopped, the folder removed; no process of the cluster left."""
    daemons = cluster.daemons
    if len(daemons) == 3 and all(d.poll() is None for d in daemons):
        cluster.run("scancel", "--user=root", check=False)  # a test that failed half-way
        try:
            cluster.wait(timeout=60)
        except AssertionError:
            pass  # what is left is killed below, and reported
    for daemon in reversed(daemons):  # slurmd, slurmctld, then munged
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
    leftover = processes_of(conf)
    for pid in leftover:
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(cluster.base, ignore_errors=True)
    assert not leftover, f"processes of the cluster outlived it: {leftover}"


def bash(script: str, cwd: Path, env: dict) -> str:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, (script, result.stdout, result.stderr)
    return result.stdout


def rows_of(path: Path) -> dict[str, dict]:
    with path.open() as file:
        return {row["student"]: row for row in csv.DictReader(file)}


def by_name(jobs: list[dict], name: str) -> list[dict]:
    return [job for job in jobs if job.get("JobName") == name]


def test_a_class_graded_by_the_documented_slurm_recipe(cluster, tmp_path):
    assert {shard_of(name, SHARDS) == CANCELLED for name in CLASS} == {True, False}
    assert f"--array={CANCELLED} " in documented("slurm resubmit")
    # The course folder as the recipe has it: .venv/, the recipes, the class in class/.
    course = tmp_path / "course"
    course.mkdir()
    (course / ".venv").symlink_to(sys.prefix)
    (course / "docs").symlink_to(ROOT / "docs")
    for name, edits in CLASS.items():
        write_submission(course / "class" / name, edits)
    # The same class graded whole, for comparison (meanwhile the cluster waits).
    whole = subprocess.Popen(
        [sys.executable, "-m", "mlpcourse.cli", "grade", str(course / "class"), "--all"]
        + ["--jobs", "2", "--csv", str(tmp_path / "whole.csv"), "--json-dir", str(tmp_path / "w")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run_the_recipe(cluster, course, tmp_path, whole)
    finally:
        if whole.poll() is None:
            whole.terminate()
            whole.wait()


def run_the_recipe(cluster: Cluster, course: Path, tmp_path: Path, whole) -> None:
    submit, resubmit = documented("slurm submit"), documented("slurm resubmit")
    # The partition held while the documented commands submit, so that one task is
    # cancelled before it starts.
    cluster.run("scontrol", "update", "PartitionName=grade", "State=DOWN")
    bash(submit, course, cluster.env)
    (array,) = {job["ArrayJobId"] for job in by_name(cluster.jobs(), "grade-class")}
    cluster.run("scancel", f"{array}_{CANCELLED}")
    cluster.run("scontrol", "update", "PartitionName=grade", "State=UP")
    cluster.wait()
    _, errors = whole.communicate(timeout=600)
    assert whole.returncode == 0, errors

    jobs = cluster.jobs()
    tasks = {int(job["ArrayTaskId"]): job for job in by_name(jobs, "grade-class")}
    # A task cancelled before it started never ran: Slurm keeps no record of it.
    assert sorted(tasks) == [i for i in range(1, SHARDS + 1) if i != CANCELLED]
    assert {t["JobState"] for t in tasks.values()} == {"COMPLETED"}
    # Slurm applied the recipe's limits.
    assert {(t["NumCPUs"], t["MinMemoryCPU"], t["TimeLimit"]) for t in tasks.values()} == {
        ("2", "6G", "01:00:00")
    }
    (merge,) = by_name(jobs, "merge-class")
    assert (merge["JobState"], merge["ExitCode"]) == ("FAILED", "1:0")
    for shard in range(1, SHARDS + 1):  # one shard per task, in its own folder
        graded = {name for name in CLASS if shard_of(name, SHARDS) == shard}
        if shard == CANCELLED or not graded:
            assert not (course / "shards" / str(shard)).exists()
        else:
            assert set(load_reports(course / "shards" / str(shard))) == graded
    missing = sorted(name for name in CLASS if shard_of(name, SHARDS) == CANCELLED)
    log = (course / "logs" / "merge.out").read_text()
    assert [line for line in log.splitlines() if line.startswith("MISSING")] == [
        f"MISSING: {name} (in class) has no report" for name in missing
    ]
    rows = rows_of(course / "grades.csv")
    assert rows.keys() == set(CLASS)
    for name, row in rows.items():
        if name in missing:
            assert row["error"] == NO_REPORT and row["total"] == "0.0"
        else:
            assert row == rows_of(tmp_path / "whole.csv")[name]
    assert NO_REPORT in (course / "report.html").read_text()

    # The documented resubmission of the cancelled shard completes the class.
    bash(resubmit, course, cluster.env)
    cluster.wait()
    jobs = cluster.jobs()
    again = [j for j in by_name(jobs, "grade-class") if j["ArrayJobId"] != array]
    assert [(j["ArrayTaskId"], j["JobState"]) for j in again] == [(str(CANCELLED), "COMPLETED")]
    merges = sorted(by_name(jobs, "merge-class"), key=lambda job: int(job["JobId"]))
    assert (merges[-1]["JobState"], merges[-1]["ExitCode"]) == ("COMPLETED", "0:0")
    assert (course / "grades.csv").read_text() == (tmp_path / "whole.csv").read_text()
    assert load_reports(course / "grades") == load_reports(tmp_path / "w")
    assert NO_REPORT not in (course / "report.html").read_text()
    assert "MISSING" not in (course / "logs" / "merge.out").read_text()
