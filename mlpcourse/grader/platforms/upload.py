"""What a student uploaded to a platform, read safely into a folder holding ``mlpcourse/``.

An upload holds either a ``mlpcourse/`` folder or the exercise modules
loose at its top. Every file is read with
:func:`~mlpcourse.grader.files.read_handed_in` (no link followed, nothing that
blocks, size bounded) and written afresh, so the grader only ever sees plain
files of its own.
"""

from pathlib import Path

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.grader.files import Refused, read_handed_in


def gather(upload: Path, into: Path) -> list[str]:
    """Copy the exercise modules of ``upload`` into ``into/mlpcourse/``.

    Returns the problems found, one sentence each, for the student: a missing
    file, a link, a folder where a file should be, a file that is not UTF-8
    text, an empty upload. Files without a problem are copied even so.
    """
    target = into / "mlpcourse"
    target.mkdir(parents=True, exist_ok=True)
    folder = upload / "mlpcourse"
    if folder.is_symlink():
        return ["mlpcourse/ is a symbolic link: upload the folder itself"]
    nested = folder.is_dir()
    source = folder if nested else upload
    if not upload.is_dir() or not any(upload.iterdir()):
        return [f"nothing was uploaded: upload the files {', '.join(file_names())}"]
    problems = []
    for module in EXERCISE_MODULES:
        shown = f"mlpcourse/{module}.py" if nested else f"{module}.py"
        try:
            data = read_handed_in(source / f"{module}.py", shown)
        except Refused as refusal:
            problems.append(str(refusal))
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(
                f"{shown} is not UTF-8 text (byte {error.start}): save it as UTF-8 and upload again"
            )
            continue
        (target / f"{module}.py").write_bytes(data)
    return problems


def file_names() -> list[str]:
    """The files a student uploads: ``activations.py``, ..."""
    return [f"{module}.py" for module in EXERCISE_MODULES]
