"""Reading files that students hand in: no link followed, nothing that blocks, size bounded.

Everything the trusted side reads from a submission goes through
:func:`read_handed_in`, so a symbolic link to the reference, a hard link, a
directory, a FIFO or a device named like a module is refused with a message
instead of being read, and never hangs or crashes the grader.
"""

import os
from pathlib import Path

MAX_BYTES = 1 << 20


class Refused(Exception):
    """A handed-in file that is not read; the message says why, for the student."""


def read_handed_in(path: Path, shown: str, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes at ``path`` (never a link).

    ``shown`` names the file in messages (``mlpcourse/activations.py``).
    Raises :class:`Refused` otherwise.
    """
    if path.parent.is_symlink():
        raise Refused(f"{shown}: its folder is a symbolic link; hand in the folder itself")
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise Refused(f"{shown} is missing from the submission") from None
    except OSError as error:
        reason = "it is a symbolic link" if path.is_symlink() else error.strerror
        raise Refused(f"{shown} could not be read ({reason}): hand in the file itself") from None
    try:
        status = os.fstat(descriptor)
        if status.st_mode & 0o170000 != 0o100000:
            raise Refused(f"{shown} is not a regular file")
        if status.st_nlink > 1:
            raise Refused(f"{shown} is a hard link to another file: hand in a copy")
        if status.st_size > limit:
            raise Refused(f"{shown} is over {limit / 2**20:g} MiB")
        data = os.read(descriptor, limit + 1)
        if len(data) > limit:
            raise Refused(f"{shown} is over {limit / 2**20:g} MiB")
        return data
    finally:
        os.close(descriptor)
