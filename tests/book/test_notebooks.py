"""The book's notebooks run without error and give the same outputs every time.

Each chapter (a MyST notebook) is converted to .ipynb with jupytext and run
once to record its outputs, as the book's build does; nbval then runs it again
and compares every cell's output with the recorded one. A difference means a
page whose numbers change from build to build: an unseeded random number, a
timestamp, a dictionary order. Images are not compared (nbval skips them), the
text of every cell is.
"""

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from tests.book.helpers import BOOK, chapters

# Output patterns replaced before comparing: memory addresses only.
SANITIZE = r"""[addresses]
regex: 0x[0-9a-fA-F]+
replace: 0xADDRESS
"""


@pytest.mark.parametrize("chapter", chapters(), ids=lambda path: path.stem)
def test_notebook_outputs_are_stable(chapter, tmp_path):
    notebook = jupytext.read(chapter)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(BOOK)}},
    )
    client.execute()
    path = tmp_path / f"{chapter.stem}.ipynb"
    nbformat.write(notebook, path)
    (tmp_path / "sanitize.cfg").write_text(SANITIZE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    # nbval runs in this process (a nested pytest session): a new Python
    # process would spend seconds importing nbformat again.
    exit_code = pytest.main(
        [
            "--nbval",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            str(tmp_path / "sanitize.cfg"),
            "-c",
            str(tmp_path / "pytest.ini"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-p",
            "no:hypothesispytest",
            "-q",
            str(path),
        ]
    )
    assert exit_code == 0, (
        f"{chapter.name}: a cell failed, or its output differs between two runs "
        "(see nbval's report in the captured output above)"
    )
