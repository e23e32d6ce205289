"""Guards for running a student's code inside the grading process.

Student code runs in the same process as the checks, so the worker
(:mod:`mlpcourse.grading_worker`) installs these guards first:

- an audit hook (PEP 578) that refuses what no exercise needs: reading the
  reference solutions, writing or deleting files outside the worker's
  scratch folder, starting processes, loading C libraries, walking the
  garbage collector or the call stack;
- a fingerprint of the checking code and of numpy, compared after every
  check, so that a monkeypatch of ``np.allclose`` or of a checker voids the
  chapter instead of passing it.
"""

import builtins
import math
import os
import sys
import types
from pathlib import Path

import numpy as np

BLOCKED_EVENTS = (
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "os.kill",
    "os.killpg",
    "ctypes.dlopen",
    "ctypes.dlsym",
    "gc.get_objects",
    "gc.get_referrers",
    "gc.get_referents",
    "sys._getframe",
    "sys._current_frames",
    "sys.settrace",
    "sys.setprofile",
    "socket.connect",
    "socket.bind",
)
FILE_CHANGES = ("os.remove", "os.rmdir", "os.rename", "shutil.rmtree", "os.truncate", "os.chmod")


class SandboxViolation(PermissionError):
    """Student code tried something the grader does not allow."""


def install_audit_hook(forbidden_reads: list[Path], scratch: Path) -> None:
    """Refuse the events above; reads under ``forbidden_reads``; writes outside ``scratch``."""
    forbidden = [str(p.resolve()) for p in forbidden_reads]
    scratch_dir = str(scratch.resolve())

    def inside(path, folder: str) -> bool:
        try:
            resolved = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return resolved == folder or resolved.startswith(folder + os.sep)

    def hook(event: str, args: tuple) -> None:
        if event.startswith(BLOCKED_EVENTS):
            raise SandboxViolation(f"not allowed while grading: {event}")
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            path, mode = args[0], args[1] if len(args) > 1 else "r"
            if any(inside(path, folder) for folder in forbidden):
                raise SandboxViolation(f"not allowed while grading: reading {os.fsdecode(path)}")
            writing = isinstance(mode, str) and any(c in mode for c in "wax+")
            if isinstance(mode, int):
                writing = bool(mode & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))
            if writing and not inside(path, scratch_dir):
                raise SandboxViolation(f"not allowed while grading: writing {os.fsdecode(path)}")
        elif event in FILE_CHANGES and args and not inside(args[0], scratch_dir):
            raise SandboxViolation(f"not allowed while grading: {event} {args[0]!r}")

    sys.addaudithook(hook)


def _namespace_fingerprint(namespace) -> dict[str, int]:
    prints = {}
    for name, value in vars(namespace).items():
        if name.startswith("__"):
            continue
        prints[name] = id(value)
        if isinstance(value, types.FunctionType):
            prints[f"{name}.__code__"] = id(value.__code__)
            prints[f"{name}.__defaults__"] = id(value.__defaults__)
    return prints


def fingerprint() -> dict[str, dict[str, int]]:
    """The identity of every name in numpy, math, builtins and the checking code."""
    namespaces = {
        "numpy": np,
        "numpy.random": np.random,
        "numpy.linalg": np.linalg,
        "math": math,
        "builtins": builtins,
    }
    for name, module in list(sys.modules.items()):
        if name.startswith("mlpcourse.") and module is not None:
            namespaces[name] = module
    prints = {name: _namespace_fingerprint(ns) for name, ns in namespaces.items()}
    for name, module in namespaces.items():
        for attribute, value in vars(module).items():
            if isinstance(value, type) and value.__module__.startswith("mlpcourse."):
                prints[f"{name}.{attribute}"] = _namespace_fingerprint(value)
    checks = sys.modules.get("mlpcourse.checks")
    if checks is not None:
        prints["mlpcourse.checks.CHECKS"] = {c.id: id(c.run) for c in checks.CHECKS}
    return prints


def changes(before: dict[str, dict[str, int]]) -> list[str]:
    """The names whose objects changed since ``before`` (new names are ignored)."""
    after = fingerprint()
    changed = []
    for namespace, names in before.items():
        now = after.get(namespace, {})
        changed += [f"{namespace}.{n}" for n, ident in names.items() if now.get(n) != ident]
    return changed
