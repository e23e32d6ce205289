"""7c. Student text shown inert.

Student text (exception messages and type names, source lines, what a returned value is,
folder names) is shown in the instructor's terminal, the JSON report, the grades CSV, the
class report (HTML and Markdown), nbgrader's feedback and each platform's result. Escape
codes would redraw the scoreboard ("✓ … 2/2", "score 45 / 45"), CR and backspace overwrite
it, a bidi override reorders a line, zero-width characters hide text, Markdown and HTML
would make links and scripts. Each case is rendered by every sink, and each sink's real
output is read.
"""

import base64
import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlpcourse.grader.grading import grade

from ..helpers import LIMITS, TOTAL, appended, compose, edit_function, submission
from .hostile import SIGMOID

pytestmark = pytest.mark.attack("inert student text")


FORGED_ROW = "│ ✓ │ 02-activations │ activations.sigmoid_prime │ 2/2 │"
#: Up a line, erase it, draw a passing row and a full score, then hide the rest (conceal).
REDRAW = f"\x1b[1A\x1b[2K\r{FORGED_ROW}\nscore 45 / 45\x1b[8m"
#: What Rich itself writes on a colour terminal (styles only).
SGR = re.compile(r"\x1b\[[0-9;]*m")
ATTACKED, SPARED = "activations::sigmoid_prime", "activations::sigmoid"
GRADED = [SPARED, ATTACKED]


@dataclass(frozen=True)
class Garble:
    raw: tuple[str, ...]  # the student's sequences, which no sink may show as such
    body: str = "raise ValueError('boom')"  # sigmoid_prime's new body
    module_code: str = ""  # run when activations.py is imported
    folder: str = "eve"  # the student's folder in the class
    command_line: bool = False  # also grade the class with the mlpcourse command

    @property
    def spared(self) -> bool:
        """Whether sigmoid still passes (not when the module does not import)."""
        return not self.module_code


def _raising(message: str, *raw: str) -> Garble:
    return Garble(raw, body=f"raise ValueError({message!r})")


GARBLES = {
    "escape codes in a message redraw the scoreboard": _raising(
        REDRAW, "\x1b[1A", "\x1b[2K", "\x1b[8m", "\r"
    ),
    "an OSC 8 hyperlink in a message": _raising(
        "\x1b]8;;http://evil.example/\x1b\\click here\x1b]8;;\x1b\\", "\x1b]8", "\x1b\\"
    ),
    "carriage return and backspaces overwrite": _raising(
        "0/2\b\b\b2/2\r│ ✓ │ sigmoid_prime passed", "\b", "\r"
    ),
    "a bidi override in a message": _raising(
        "\u202e2/2 :stniop\u202c \u2066\u2067hidden\u2069 \u200f\u061c", "\u202e", "\u2066"
    ),
    "zero-width characters in a message": _raising(
        "pa\u200bss\u200ced\u200d \u2060\ufeff\u00ad\u180e\u3164", "\u200b", "\ufeff", "\u3164"
    ),
    "C1 controls and line separators in a message": _raising(
        "\x9b2K\x9b1A\x85score 45 / 45\u2028✓\u2029\x7f", "\x9b", "\x85", "\u2028"
    ),
    "an exception type name of escape codes": Garble(
        ("\x1b[2K",), body="raise type('\\x1b[2K\\x1b[1A✓ 2/2', (Exception,), {})('boom')"
    ),
    "escape codes and bidi controls in the source line that raised": Garble(
        ("\x1b[2K", "\u202e", "\u200b", "\b"),
        body="raise ValueError('boom')  # \x1b[1A\x1b[2K✓ 2/2 \u202eevil\u202c \u200b\b\b\x1b[8m",
    ),
    "escape codes in a warning": Garble(
        ("\x1b[1A", "\x1b[8m"), body=f"import warnings\nwarnings.warn({REDRAW!r})\nreturn z"
    ),
    "escape codes in an error at import": Garble(
        ("\x1b[1A", "\x1b[8m"), body=SIGMOID, module_code=f"raise RuntimeError({REDRAW!r})"
    ),
    "the type name of a returned value": Garble(
        ("\x1b[2K", "\u202e"),
        body="return type('\\x1b[2K\\u202e✓ 2/2\\u200b', (float,), {})(0.25)",
    ),
    "Markdown, bare URLs and HTML in a message": _raising(
        "[click](http://evil.example/) ![x](https://evil.example/x.png) www.evil.example "
        "evil.example mail@evil.example <http://evil.example> //evil.example "
        "<script>alert(1)</script>"
    ),
    "a folder name of escape codes, a newline and bidi controls": Garble(
        ("\x1b[1A", "\x1b[2K", "\u202e", "\u200b"),
        folder="\x1b[1A\x1b[2Keve\n│ ann │ 45\u202e\u200b",
        command_line=True,
    ),
    "a folder name of Markdown, HTML and a formula": Garble(
        (),
        folder="=1+1 [eve](javascript:alert(1)) www.evil.example <script>alert(1)",
        command_line=True,
    ),
}


def _strings(value) -> list[str]:
    """Every string in a JSON-like value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _assert_inert(sink: str, text: str, garble: Garble, keep: str = "\n") -> None:
    """No raw sequence of the student's, and no character that acts or hides, in ``text``."""
    from mlpcourse.grader.inert import is_unsafe

    for raw in garble.raw:
        assert raw not in text, f"{sink} shows the student's {raw!r}"
    bad = sorted({c for c in text if c not in keep and is_unsafe(c)})
    assert not bad, f"{sink} shows {ascii(''.join(bad))}: {text[:3000]!r}"


def _console(render: Callable) -> str:
    """What ``render(console)`` prints on a colour terminal, without Rich's own styles."""
    from rich.console import Console

    buffer = io.StringIO()
    render(Console(file=buffer, force_terminal=True, width=320))
    return buffer.getvalue()


def _terminal(sink: str, shown: str, garble: Garble) -> str:
    """``shown``, as printed on a terminal, checked inert and without Rich's own styles."""
    for raw in garble.raw:
        assert raw not in shown, f"{sink} shows the student's {raw!r}"
    plain = SGR.sub("", shown)
    _assert_inert(sink, plain, garble)
    return plain


def _links(markdown: str) -> list[str]:
    """The link and image targets, and the scripts, of ``markdown`` as two viewers render it."""
    import mistune
    from markdown_it import MarkdownIt

    found = []
    for rendered in (
        MarkdownIt("gfm-like").render(markdown),  # linkify: bare URLs, www., domains
        mistune.create_markdown(plugins=["url", "table"])(markdown),
    ):
        found += re.findall(r'(?:href|src)="([^"]*)"', rendered)
        found += re.findall(r"<script", rendered, flags=re.IGNORECASE)
    return found


def _no_live_link(sink: str, links: list[str]) -> None:
    live = [link for link in links if "evil" in link or "javascript" in link or "<script" in link]
    assert not live, f"{sink} makes links of the student's text: {live}"


def _class_report(json_dir: Path, out: Path, garble: Garble, spared: bool) -> None:
    """The class report (HTML and Markdown) of ``json_dir``, read back and checked."""
    from mlpcourse.course.report import e, md, write_report
    from mlpcourse.grader.inert import inert

    page, markdown = out / "report.html", out / "report.md"
    write_report(json_dir, page, markdown)
    html_text, md_text = page.read_text(encoding="utf-8"), markdown.read_text(encoding="utf-8")
    _assert_inert("the class report (HTML)", html_text, garble)
    assert "<script" not in html_text.lower(), "the class report (HTML) holds a script"
    _no_live_link("the class report (HTML)", re.findall(r'(?:href|src)="([^"]*)"', html_text))
    assert e(inert(garble.folder)) in html_text, "the student is not named in the class report"
    # ann passes both; the student fails sigmoid_prime, and sigmoid unless spared
    assert '<code>sigmoid_prime</code></td><td class="n">1/2</td>' in html_text
    assert f'<code>sigmoid</code></td><td class="n">{1 + spared}/2</td>' in html_text
    _assert_inert("the class report (Markdown)", md_text, garble)
    _no_live_link("the class report (Markdown)", _links(md_text))
    assert md(garble.folder) in md_text, "the student is not named in the class report"
    assert "| 02-activations | sigmoid\\_prime | 1/2 |" in md_text


def _grades_csv(text: str, garble: Garble, total: float) -> None:
    from mlpcourse.grader.inert import inert

    _assert_inert("the grades CSV", text.replace("\r\n", "\n"), garble)
    rows = {row["student"].removeprefix("'"): row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"ann", inert(garble.folder)}, list(rows)
    for row in rows.values():
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@")), f"a formula in the CSV: {cell!r}"
    assert float(rows[inert(garble.folder)]["total"]) == total


def _class_table(plain: str, garble: Garble, total: float, full: float) -> None:
    from mlpcourse.grader.inert import inert

    rows = [line for line in plain.splitlines() if line.startswith("│")]
    assert len(rows) == 2, f"the class table has other rows than ann's and the student's: {rows}"
    (row,) = [r for r in rows if inert(garble.folder) in r]
    assert f"│ {total:g} " in row and f"│ {full:g} " in next(r for r in rows if r != row)


@pytest.mark.parametrize("attack", GARBLES, ids=list(GARBLES))
def test_student_text_is_inert_everywhere(attack, tmp_path, capsys):
    garble = GARBLES[attack]
    edit = compose(edit_function("sigmoid_prime", garble.body), appended(garble.module_code))
    klass = tmp_path / "class"
    student = submission(klass, garble.folder, activations=edit)
    submission(klass, "ann")
    report = grade(student, LIMITS, modules=["activations"], only=GRADED)
    spared = 2.0 if garble.spared else 0.0
    _the_json_report(report, garble, spared)
    _the_scoreboard(report, student, garble, spared)
    _nbgrader_outputs(report, garble)
    _platform_results(report, garble)
    json_dir = _the_class(klass, student, report, tmp_path, garble, spared)
    if garble.command_line:
        _the_class_by_the_command_line(klass, json_dir, tmp_path, garble, capsys)


def _the_json_report(report: dict, garble: Garble, spared: float) -> None:
    """The report itself (what grade --json prints): failed, no points, every text inert."""
    verdicts = {t["id"]: t for t in report["tests"]}
    assert not verdicts[ATTACKED]["passed"] and verdicts[ATTACKED]["points"] == 0
    assert verdicts[SPARED]["passed"] == garble.spared, verdicts[SPARED]["message"]
    assert report["score"] == spared and report["max_score"] == 4
    _assert_inert("the JSON report", "\0".join(_strings(report)), garble, keep="\0")


def _the_scoreboard(report: dict, student: Path, garble: Garble, spared: float) -> None:
    """The scoreboard on a terminal: the attacked row fails, the score is the real one."""
    from mlpcourse.cli import print_report

    shown = _console(lambda console: print_report(console, report, f"mlpcourse grade {student}"))
    plain = _terminal("the scoreboard", shown, garble)
    lines = plain.splitlines()
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == 2, rows
    assert re.search(r"│ ✗ │ 02-activations │ activations\.sigmoid_prime +│ 0/2 +│", rows[1])
    assert ("│ ✓ │" in rows[0]) == garble.spared, rows[0]
    assert [line.strip() for line in lines if line.strip().startswith("score")] == [
        f"score {spared:g} / 4"
    ], plain
    assert any(line.startswith("✗ activations.sigmoid_prime: ") for line in lines), plain


def _nbgrader_outputs(report: dict, garble: Garble) -> None:
    """nbgrader's cell outputs (its feedback page is made from them)."""
    from mlpcourse.grader.nbgrader import TrustedVerdicts

    verdicts = {t["id"]: t for t in report["tests"]}
    outputs = [TrustedVerdicts._output(check, verdicts[check]) for check in GRADED]
    assert outputs[1]["output_type"] == "error"
    _assert_inert("nbgrader's outputs", "\0".join(_strings(outputs)), garble, keep="\0\n")


def _platform_results(report: dict, garble: Garble) -> None:
    """Each platform's result."""
    from mlpcourse.grader.platforms import github_classroom, gradescope, prairielearn

    encoded = github_classroom.encoded(report)
    results = {
        "Gradescope": gradescope.results_json(report, 1.0, "bubblewrap"),
        "PrairieLearn": prairielearn.results_json(report, "bubblewrap"),
        "GitHub Classroom": json.loads(base64.b64decode(encoded)),
    }
    for platform, result in results.items():
        _assert_inert(platform, "\0".join(_strings(result)), garble, keep="\0\n")
    assert results["Gradescope"]["tests"][1]["status"] == "failed"
    assert results["Gradescope"]["tests"][1]["score"] == 0
    assert results["PrairieLearn"]["tests"][1]["points"] == 0
    assert results["GitHub Classroom"]["tests"][1]["status"] == "fail"
    assert results["GitHub Classroom"]["tests"][1]["score"] == 0


def _the_class(
    klass: Path, student: Path, report: dict, tmp_path: Path, garble: Garble, spared: float
) -> Path:
    """The class: its JSON folder (returned), the grades CSV, the class table and report."""
    from mlpcourse.cli import class_table
    from mlpcourse.course import classes

    reports = {  # the names as the class folder lists them
        path.name: report
        if path == student
        else grade(path, LIMITS, modules=["activations"], only=GRADED)
        for path in classes.students(klass)
    }
    assert set(reports) == {"ann", garble.folder} and reports["ann"]["score"] == 4
    json_dir = tmp_path / "grades"
    classes.write_reports(json_dir, reports, {})
    _grades_csv(classes.csv_text(classes.rows(reports)), garble, spared)
    table = _console(lambda console: console.print(class_table(classes.rows(reports), "class")))
    _class_table(_terminal("the class table", table, garble), garble, spared, 4)
    _class_report(json_dir, tmp_path, garble, garble.spared)
    return json_dir


def _the_class_by_the_command_line(
    klass: Path, json_dir: Path, tmp_path: Path, garble: Garble, capsys
) -> None:
    """The same class graded by the instructor's command, on a colour terminal."""
    from mlpcourse.cli import main

    command = [sys.executable, "-m", "mlpcourse.cli", "grade", str(klass), "--all", "--jobs", "1"]
    command += ["--csv", str(tmp_path / "cli.csv"), "--check-timeout", "4", "--memory", "1024"]
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "320"}
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert SGR.search(result.stdout), "the class run printed no colour: not a terminal's view"
    full = TOTAL - 2  # sigmoid_prime fails, everything else passes
    _class_table(_terminal("the class run", result.stdout, garble), garble, full, TOTAL)
    _grades_csv((tmp_path / "cli.csv").read_text(encoding="utf-8"), garble, full)
    cli_dir = tmp_path / "cli"
    for path in cli_dir.glob("*.json"):
        _assert_inert(f"the JSON of {path.name!r}", path.read_text(encoding="utf-8"), garble)
    assert main(["report", str(cli_dir), "--html", str(tmp_path / "cli.html")]) == 0
    _assert_inert("the class report", (tmp_path / "cli.html").read_text("utf-8"), garble)
    assert main(["merge", str(cli_dir), str(json_dir), "--csv", str(tmp_path / "m.csv")]) == 1
    _assert_inert("mlpcourse merge", capsys.readouterr().err, garble)
