"""The one set of default limits for grading, checking, the graded tests and the notebooks."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one chapter's runner may use.

    timeout: wall-clock seconds for all the checks of a chapter;
    check_timeout: wall-clock seconds for one check (an endless loop stops there);
    memory_mb: address space of each process in the sandbox;
    processes: processes and threads the sandbox may hold at once;
    disk_mb: size of the sandbox's private /tmp and of any file written.
    """

    timeout: float = 60.0
    check_timeout: float = 10.0
    memory_mb: int = 2048
    processes: int = 32
    disk_mb: int = 64


DEFAULT = Limits()
