"""The one set of default limits for grading, checking, the graded tests and the notebooks.

Every limit is enforced from outside student code: the runner's by the kernel
(rlimits, cgroups, namespaces) and by the grader killing it; the grader's own
(time, requests, bytes, memory) by the grader, before it reads, decodes or
serves anything more, and for a class run by the process that started the
student's grading worker.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What grading one submission may use.

    check_timeout: wall-clock seconds for one check (an endless loop stops there);
    timeout: wall-clock seconds for all the checks of a chapter;
    student_timeout: wall-clock seconds for all the chapters of one submission;
    memory_mb: address space of each process in the sandbox;
    processes: processes and threads the sandbox may hold at once;
    disk_mb: size of the sandbox's private /tmp and of any file written;
    requests: requests the runner may make of the grader in one check;
    received_mb: MiB the grader reads from the runner in one check;
    grader_memory_mb: address space of the trusted process that grades one
    submission of a class run (a larger one is ended, the submission reported).
    """

    check_timeout: float = 10.0
    timeout: float = 60.0
    student_timeout: float = 240.0
    memory_mb: int = 2048
    processes: int = 32
    disk_mb: int = 64
    requests: int = 20_000
    received_mb: int = 256
    grader_memory_mb: int = 4096


DEFAULT = Limits()
