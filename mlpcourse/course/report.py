"""The class report for the teacher: one self-contained HTML page, or Markdown.

``mlpcourse report JSON_DIR --html report.html [--md report.md]`` reads the
reports of ``mlpcourse grade --all`` (or ``mlpcourse merge``) and shows, from
the top: what to re-teach on Monday (the three most common named mistakes),
the score distribution, the pass rate per function and per chapter, every
mistake counted with its function, the book section to revisit and the
students who made it, the mistakes by chapter, and the submissions that
crashed, timed out or could not be graded.

The page needs nothing from the network: the figures are PNG images inside
it, the style sheet too, and there is no script. Student folder names and
messages are hostile input: every one is made
:func:`~mlpcourse.grader.inert.inert`, then escaped for HTML or Markdown (in
Markdown, bare URLs, domains and addresses are broken so that no viewer makes
them links).
"""

import base64
import html
import re
from pathlib import Path

from mlpcourse.course import report_figures
from mlpcourse.course.class_summary import ClassSummary, Diagnosis, FunctionRate, summarize
from mlpcourse.course.classes import load_reports
from mlpcourse.grader.inert import inert
from mlpcourse.grader.wording import count

#: Characters of a student's message shown at most.
MESSAGE_CHARS = 300

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 1.5rem auto;
       padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
     border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; } td.n { text-align: right; }
.monday { background: #fff8e1; border: 1px solid #f0c36d; padding: 0.5rem 1rem; }
.monday li { margin: 0.3rem 0; } code { font-size: 0.85rem; }
details summary { cursor: pointer; } .msg { font-family: monospace; font-size: 0.8rem; }
img { max-width: 100%; }
"""


def e(text: object) -> str:
    """Student-derived (or any) text, inert and escaped for HTML."""
    return html.escape(inert(text), quote=True)


def _cut(text: str, limit: int = MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _figures(summary: ClassSummary) -> dict[str, str]:
    """Each figure as a base64 PNG data URI."""
    drawn = {
        "scores": report_figures.score_histogram(summary),
        "functions": report_figures.pass_rates(summary),
        "chapters": report_figures.mistakes_by_chapter(summary),
    }
    return {k: "data:image/png;base64," + base64.b64encode(v).decode() for k, v in drawn.items()}


def _section_link(diagnosis: Diagnosis, book_url: str) -> str:
    section = diagnosis.section
    if section is None:
        return ""
    return f'<a href="{e(section.href(book_url))}">{e(section.page)}: {e(section.title)}</a>'


def _students_html(names: list[str]) -> str:
    listed = ", ".join(e(n) for n in names)
    return f"<details><summary>{len(names)}</summary>{listed}</details>"


def render_html(summary: ClassSummary, title: str = "Class report", book_url: str = "") -> str:
    """The whole page, self-contained."""
    figures = _figures(summary)
    parts = [
        *_html_head(summary, title),
        *_html_monday(summary, book_url),
        *_html_scores_and_functions(summary, figures),
        *_html_chapters(summary),
        *_html_diagnoses(summary, book_url),
        *_html_troubles(summary, figures),
        *_html_ungraded(summary),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _html_head(summary: ClassSummary, title: str) -> list[str]:
    """The page's head and title, and the class in one sentence: submissions, mean score."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>{len(summary.students)} submissions: {len(summary.scores)} graded, "
        f"{len(summary.errors)} could not be graded. Mean score "
        f"{_mean(summary):.1f} / {summary.max_score:g}.{_cases(summary, e)}</p>",
    ]


def _html_monday(summary: ClassSummary, book_url: str) -> list[str]:
    """The box on top: the three most common named mistakes, each with its section."""
    graded = len(summary.scores)
    parts = ['<div class="monday"><h2 id="monday">What to re-teach on Monday</h2>']
    top = summary.top()
    if top:
        parts.append("<ol>")
        for d in top:
            parts.append(
                f"<li><b>{count(len(d.students), 'student')}</b> "
                f"({_percent(len(d.students), graded)}): "
                f"<code>{e(d.function)}</code>: {e(d.label)}. Revisit "
                f"{_section_link(d, book_url) or 'the chapter ' + e(d.chapter)}.</li>"
            )
        parts.append("</ol>")
    else:
        parts.append("<p>No named mistake in this class.</p>")
    return [*parts, "</div>"]


def _html_scores_and_functions(summary: ClassSummary, figures: dict[str, str]) -> list[str]:
    """The score histogram, then the pass rate of each function graded (figure and table)."""
    parts = [
        '<h2 id="scores">Score distribution</h2>',
        f'<img alt="histogram of the scores" src="{figures["scores"]}">',
        '<h2 id="functions">Pass rate per function</h2>',
        f'<img alt="pass rate per function" src="{figures["functions"]}">',
        "<table><tr><th>chapter</th><th>function</th><th>passed</th><th>not written</th>"
        "<th>pass rate</th></tr>",
    ]
    for f in summary.functions:
        if f.graded:
            parts.append(
                f"<tr><td>{e(f.chapter)}</td><td><code>{e(f.function)}</code></td>"
                f'<td class="n">{f.passed}/{f.graded}</td><td class="n">{f.not_written}</td>'
                f'<td class="n">{_percent(f.passed, f.graded)}</td></tr>'
            )
    return [*parts, "</table>"]


def _html_chapters(summary: ClassSummary) -> list[str]:
    """Per chapter: the students with every check passed, and the checks passed."""
    parts = [
        '<h2 id="chapters">Pass rate per chapter</h2>',
        "<table><tr><th>chapter</th><th>students with every check</th><th>checks passed</th></tr>",
    ]
    for c in summary.chapters:
        if c.students:
            parts.append(
                f'<tr><td>{e(c.chapter)}</td><td class="n">{c.complete}/{c.students} '
                f'({_percent(c.complete, c.students)})</td><td class="n">{c.checks_passed}/'
                f"{c.checks_graded} ({_percent(c.checks_passed, c.checks_graded)})</td></tr>"
            )
    return [*parts, "</table>"]


def _html_diagnoses(summary: ClassSummary, book_url: str) -> list[str]:
    """Every named mistake, most common first, with its section and its students."""
    parts = [
        '<h2 id="diagnoses">Mistakes across the class</h2>',
        "<p>Each failed function's diagnosis, most common first (stubs, crashes and "
        "timeouts are counted elsewhere).</p>",
        "<table><tr><th>students</th><th>function</th><th>diagnosis</th>"
        "<th>book section to revisit</th><th>who</th></tr>",
    ]
    for d in summary.diagnoses:
        parts.append(
            f'<tr><td class="n">{len(d.students)}</td><td><code>{e(d.function)}</code></td>'
            f"<td>{e(d.label)}</td><td>{_section_link(d, book_url)}</td>"
            f"<td>{_students_html(d.students)}</td></tr>"
        )
    return [*parts, "</table>"]


def _html_troubles(summary: ClassSummary, figures: dict[str, str]) -> list[str]:
    """The mistakes by chapter (figure), then the checks that crashed or timed out."""
    parts = [
        '<h2 id="by-chapter">Misconceptions by chapter</h2>',
        f'<img alt="mistakes by chapter, stacked by diagnosis" src="{figures["chapters"]}">',
        '<h2 id="trouble">Crashed, timed out or not graded</h2>',
    ]
    if not summary.troubles:
        return [*parts, "<p>No test crashed or timed out.</p>"]
    parts.append(
        "<table><tr><th>student</th><th>function</th><th>what happened</th><th>message</th></tr>"
    )
    for t in summary.troubles:
        parts.append(
            f"<tr><td>{e(t.student)}</td><td><code>{e(t.function)}</code></td>"
            f'<td>{e(t.label)}</td><td class="msg">{e(_cut(t.message))}</td></tr>'
        )
    return [*parts, "</table>"]


def _html_ungraded(summary: ClassSummary) -> list[str]:
    """The submissions that could not be graded, each with its error."""
    parts = ["<h3>Submissions that could not be graded</h3>"]
    if not summary.errors:
        return [*parts, "<p>None.</p>"]
    parts.append("<table><tr><th>student</th><th>error</th></tr>")
    for student, error in sorted(summary.errors.items()):
        parts.append(f'<tr><td>{e(student)}</td><td class="msg">{e(_cut(error))}</td></tr>')
    return [*parts, "</table>"]


def _cases(summary: ClassSummary, escape) -> str:
    """`` Cases: 82864aa8f279.``: the variants graded (one class should have one)."""
    if not summary.variants:
        return ""
    several = " (different secrets: grade again with one)" if len(summary.variants) > 1 else ""
    return " " + escape(f"Cases: {', '.join(summary.variants)}{several}.")


def _mean(summary: ClassSummary) -> float:
    scores = list(summary.scores.values())
    return sum(scores) / len(scores) if scores else 0.0


#: What gets a backslash in Markdown: its syntax (and the backslash itself), and what a
#: viewer would make a link of: a scheme's colon (``http\://``), the second slash of
#: ``//``, ``@`` (addresses, mentions) and a dot between a word and a letter
#: (``www\.evil\.example``, ``evil\.example``).
_MARKDOWN = re.compile(r"[\\`*_\[\]#|~@]|:(?=/)|(?<=/)/|(?<=\w)\.(?=[^\W\d_])")


def md(text: object) -> str:
    """Student-derived (or any) text, inert and safe in a Markdown table cell: no link either."""
    escaped = _MARKDOWN.sub(lambda found: "\\" + found.group(), inert(text))
    return " ".join(html.escape(escaped, quote=True).split())


def render_markdown(summary: ClassSummary, title: str = "Class report", book_url: str = "") -> str:
    """The same report in Markdown (figures as data URIs; viewers may or may not show them)."""
    figures = _figures(summary)
    lines = [
        f"# {md(title)}",
        "",
        f"{len(summary.students)} submissions: {len(summary.scores)} graded, "
        f"{len(summary.errors)} could not be graded. Mean score {_mean(summary):.1f} / "
        f"{summary.max_score:g}." + _cases(summary, md),
        "",
        "## What to re-teach on Monday",
        "",
        *_md_monday(summary, book_url),
    ]
    lines += ["", "## Score distribution", "", f"![score distribution]({figures['scores']})"]
    lines += ["", "## Pass rate per function", "", f"![pass rates]({figures['functions']})", ""]
    lines += _md_rates(summary)
    lines += ["", "## Mistakes across the class", ""]
    lines += _md_diagnoses(summary, book_url)
    lines += ["", "## Misconceptions by chapter", "", f"![by chapter]({figures['chapters']})"]
    lines += ["", "## Crashed, timed out or not graded", ""]
    lines += _table(
        ["student", "function", "what happened", "message"],
        [[t.student, t.function, t.label, _cut(t.message)] for t in summary.troubles],
    ) or ["No test crashed or timed out."]
    lines += ["", "### Submissions that could not be graded", ""]
    lines += _table(
        ["student", "error"], [[s, _cut(m)] for s, m in sorted(summary.errors.items())]
    ) or ["None."]
    return "\n".join(lines) + "\n"


def _md_link(d: Diagnosis, book_url: str) -> str:
    """A Markdown link to the book section of diagnosis ``d`` ("" when it has none)."""
    s = d.section
    return f"[{md(s.page)}: {md(s.title)}]({s.href(book_url)})" if s else ""


def _md_monday(summary: ClassSummary, book_url: str) -> list[str]:
    """The three most common named mistakes, numbered, each with its section to revisit."""
    graded = len(summary.scores)
    lines = [
        f"{k}. **{count(len(d.students), 'student')}** ({_percent(len(d.students), graded)}): "
        f"{md(d.function)}: {md(d.label)}. Revisit {_md_link(d, book_url) or md(d.chapter)}."
        for k, d in enumerate(summary.top(), 1)
    ]
    return lines or ["No named mistake in this class."]


def _md_rates(summary: ClassSummary) -> list[str]:
    """The table of pass rates per function, then the section of pass rates per chapter."""
    lines = _table(
        ["chapter", "function", "passed", "not written", "pass rate"],
        [
            [f.chapter, f.function, f"{f.passed}/{f.graded}", f.not_written, _rate(f)]
            for f in summary.functions
            if f.graded
        ],
    )
    lines += ["", "## Pass rate per chapter", ""]
    lines += _table(
        ["chapter", "students with every check", "checks passed"],
        [
            [c.chapter, f"{c.complete}/{c.students}", f"{c.checks_passed}/{c.checks_graded}"]
            for c in summary.chapters
            if c.students
        ],
    )
    return lines


def _md_diagnoses(summary: ClassSummary, book_url: str) -> list[str]:
    """The table of every named mistake, most common first, with its section and students."""
    return _table(
        ["students", "function", "diagnosis", "book section to revisit", "who"],
        [
            [
                len(d.students),
                d.function,
                d.label,
                _Raw(_md_link(d, book_url)),
                ", ".join(d.students),
            ]
            for d in summary.diagnoses
        ],
    )


class _Raw(str):
    """Markdown already built from escaped parts (a link)."""


def _rate(f: FunctionRate) -> str:
    return _percent(f.passed, f.graded)


def _cell(value: object) -> str:
    return value if isinstance(value, _Raw) else md(value)


def _table(header: list[str], body: list[list]) -> list[str]:
    if not body:
        return []
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in body]
    return lines


def write_report(
    json_dir: Path,
    html_path: Path | None = None,
    md_path: Path | None = None,
    title: str = "Class report",
    book_url: str = "",
) -> ClassSummary:
    """Read the reports in ``json_dir`` and write the HTML and/or Markdown report."""
    summary = summarize(load_reports(json_dir))
    if html_path is not None:
        html_path.write_text(render_html(summary, title, book_url), encoding="utf-8")
    if md_path is not None:
        md_path.write_text(render_markdown(summary, title, book_url), encoding="utf-8")
    return summary
