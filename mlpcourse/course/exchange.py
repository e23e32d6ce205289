"""nbgrader's exchange on a shared JupyterHub, where students must not change each other's work.

nbgrader's own exchange (a folder every user can write) already keeps the
inbound folder unreadable to students and names each submission with 72
random bits, so a student cannot find a classmate's. Two gaps remain, closed
here on the instructor's side (``nbgrader_config.py`` selects both classes):

- ``nbgrader submit --student ada`` files a submission under ada's name from
  any account, and ``nbgrader collect`` takes the newest one per name: it only
  warns when the owner differs. :class:`OwnedCollect` collects, for each
  student, the newest submission that the student's own Unix account wrote,
  every file and folder of it; any other is left in the exchange, named in a
  warning.
- the inbound folder has no sticky bit, so whoever learned a submission's name
  could rename or delete it. :class:`StickyRelease` sets the sticky bit on the
  inbound folder (and on the exchange root when the instructor owns it): an
  entry is then renamed or deleted only by its owner or the instructor.

Where every student runs as the same Unix user (a hub whose single-user
servers all run as ``jovyan``), the exchange cannot tell students apart;
``OwnedCollect.require_owner = False`` then collects as nbgrader does.
"""

import glob
import os
import pwd
import stat
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from traitlets import Bool


def foreign_entries(folder: Path, student: str) -> list[str]:
    """What in ``folder`` (itself included) the account ``student`` does not own."""
    try:
        uid = pwd.getpwnam(student).pw_uid
    except KeyError:
        return [f"{folder.name} (no account named {student})"]
    entries = [folder, *folder.rglob("*")]
    return [str(p.relative_to(folder.parent)) for p in entries if p.lstat().st_uid != uid]


class OwnedCollect(ExchangeCollect):
    """``nbgrader collect``, keeping only submissions written by the student they name."""

    require_owner = Bool(
        True,
        help="Collect a submission only if every file of it belongs to the student it names.",
    ).tag(config=True)

    def init_src(self):
        super().init_src()
        if not self.require_owner:
            return
        student_id = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, f"{student_id}+{self.coursedir.assignment_id}+*")
        owned: dict[str, list[dict]] = {}
        for path in glob.glob(pattern):
            record = self._path_to_record(path)
            foreign = foreign_entries(Path(path), record["username"])
            if foreign:
                self.log.warning(
                    "Not collected: %s claims to be by %s, who does not own %s",
                    record["filename"],
                    record["username"],
                    ", ".join(foreign[:5]),
                )
                continue
            owned.setdefault(record["username"], []).append(record)
        self.src_records = [self._choose(records) for records in owned.values()]

    def _choose(self, records: list[dict]) -> dict:
        """The newest submission; with ``--before-duedate``, the newest on time (as nbgrader)."""
        records = self._sort_by_timestamp(records)
        if self.duedate is not None and self.before_duedate:
            on_time = [r for r in records if r["timestamp"] <= self.duedate]
            return on_time[0] if on_time else records[0]
        return records[0]


class StickyRelease(ExchangeReleaseAssignment):
    """``nbgrader release_assignment``, leaving the inbound folder (and the root) sticky."""

    def ensure_root(self):
        super().ensure_root()
        _make_sticky(self.root)

    def init_dest(self):
        super().init_dest()
        _make_sticky(self.inbound_path)


def _make_sticky(path: str) -> None:
    status = os.stat(path)
    if status.st_uid == os.geteuid() and not status.st_mode & stat.S_ISVTX:
        os.chmod(path, stat.S_IMODE(status.st_mode) | stat.S_ISVTX)
