"""A class's reports: shards of a class, the grades CSV, and merging shards' reports.

Never runs student code: it reads and writes the JSON reports that
``mlpcourse grade CLASS --all`` writes, one ``<student>.json`` per student.

**Shards.** ``--shard i/N`` takes the students whose folder name's SHA-256,
read as a number, is ``i − 1`` modulo ``N``. A student's shard depends on their
folder name and N only: not on the machine, the file system's order, or which
other students exist, so adding a late submission moves nobody else.
"""

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mlpcourse import config
from mlpcourse.grader.class_run import MANIFEST, write_atomically
from mlpcourse.grader.inert import inert

#: The resume manifest beside the reports: {student: fingerprint}.


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/5"`` → ``(2, 5)``; a ValueError whose message names the argument otherwise."""
    index, slash, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not slash or not 1 <= i <= n:
        raise ValueError(f"--shard expects i/N with 1 ≤ i ≤ N, got {text!r}")
    return i, n


def shard_of(student: str, count: int) -> int:
    """The shard (1..count) that grades ``student``, from the SHA-256 of the folder name."""
    digest = hashlib.sha256(student.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest, "big") % count + 1


def students(root: Path, shard: tuple[int, int] | None = None) -> list[Path]:
    """The student folders of a class folder (hidden ones skipped), sorted, of one shard."""
    found = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if shard is None:
        return found
    index, count = shard
    return [p for p in found if shard_of(p.name, count) == index]


def row(student: str, report: dict) -> dict:
    """One CSV row: the student, their points per chapter, total, max, error and variant.

    ``variant`` names the cases the report was graded on (``published``, or a hash
    of the course secret): a class graded with one secret shows one value.
    """
    line: dict = {"student": student}
    for chapter in config.load().graded_chapters():
        tests = report.get("tests", [])
        line[chapter.name] = sum(t["points"] for t in tests if t["chapter"] == chapter.name)
    line["total"] = report.get("score", 0.0)
    line["max"] = report.get("max_score", "")
    line["error"] = report.get("error", "")
    line["variant"] = report.get("variant", "")
    return line


def rows(reports: dict[str, dict]) -> list[dict]:
    """The CSV rows of a class, by student name."""
    return [row(name, reports[name]) for name in sorted(reports)]


#: A spreadsheet reads a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(lines: list[dict]) -> str:
    """The grades CSV: ``student``, each chapter, ``total``, ``max``, ``error``, ``variant``.

    Text cells are student text (folder names, errors): each is made
    :func:`~mlpcourse.grader.inert.inert` (no escape code, line break or bidi
    override), and one that a spreadsheet would run as a formula (a folder
    named ``=HYPERLINK(…)``) starts with an apostrophe instead.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(lines[0]) if lines else ["student"])
    writer.writeheader()
    for line in lines:
        writer.writerow({key: _cell(value) for key, value in line.items()})
    return buffer.getvalue()


def _cell(value):
    if not isinstance(value, str):
        return value
    value = inert(value)
    return f"'{value}" if value.startswith(FORMULA_START) else value


def load_reports(json_dir: Path) -> dict[str, dict]:
    """``{student: report}`` from a folder of ``<student>.json`` (an unreadable one: an error)."""
    reports = {}
    for path in sorted(json_dir.glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            report = {"error": f"unreadable report {path.name}: {error}"}
        if not isinstance(report, dict):
            report = {"error": f"unreadable report {path.name}: not a JSON object"}
        reports[path.stem] = report
    return reports


def load_manifest(json_dir: Path) -> dict[str, str]:
    """The resume manifest of a reports folder (empty when there is none)."""
    try:
        manifest = json.loads((json_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


@dataclass
class Merged:
    """Shards' reports joined: what was kept, and what needs the teacher's eye."""

    reports: dict[str, dict] = field(default_factory=dict)
    manifest: dict[str, str] = field(default_factory=dict)
    #: Students found identical in several folders (one copy kept): {student: folders}.
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    #: Students whose reports differ between folders (none kept): {student: folders}.
    conflicts: dict[str, list[str]] = field(default_factory=dict)
    #: Students of the class that no folder has a report for.
    missing: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """No conflict and nobody missing (identical duplicates are harmless)."""
        return not self.conflicts and not self.missing


def merge(json_dirs: Iterable[Path], expected: Iterable[str] | None = None) -> Merged:
    """Join the reports of several folders; ``expected``: the class's students, if known.

    A student in two folders with the same report is kept once (a duplicate); with
    different reports, neither is picked: the merged report is an ``error`` naming
    the folders (a conflict). An expected student with no report gets an ``error``
    report too (missing), so nobody silently drops out of the CSV.
    """
    found: dict[str, list[tuple[str, dict]]] = {}
    manifests = {}
    for folder in json_dirs:
        manifests[str(folder)] = load_manifest(folder)
        for student, report in load_reports(folder).items():
            found.setdefault(student, []).append((str(folder), report))
    merged = Merged()
    for student, copies in sorted(found.items()):
        folders = [folder for folder, _ in copies]
        first_folder, first = copies[0]
        if any(report != first for _, report in copies[1:]):
            merged.conflicts[student] = folders
            merged.reports[student] = {
                "error": f"conflict: different reports in {', '.join(folders)}; grade again"
            }
            continue
        if len(copies) > 1:
            merged.duplicates[student] = folders
        merged.reports[student] = first
        saved = manifests[first_folder].get(student)
        if saved is not None and "error" not in first:
            merged.manifest[student] = saved
    for student in sorted(set(expected or ()) - set(found)):
        merged.missing.append(student)
        merged.reports[student] = {"error": "missing: no shard has a report for this student"}
    return merged


def write_reports(json_dir: Path, reports: dict[str, dict], manifest: dict[str, str]) -> None:
    """Write ``<student>.json`` for each report, and the resume manifest."""
    for student, report in reports.items():
        write_atomically(json_dir / f"{student}.json", json.dumps(report, indent=1))
    write_atomically(json_dir / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
