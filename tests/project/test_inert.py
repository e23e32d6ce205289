"""What "inert" means for student text (mlpcourse.grader.inert), character class by class."""

import unicodedata

import pytest

from mlpcourse.grader.inert import INVISIBLE, inert, is_inert, is_unsafe

CASES = {
    "ESC (cursor up, erase line)": ("\x1b[1A\x1b[2Kok", "\\x1b[1A\\x1b[2Kok"),
    "conceal": ("\x1b[8mhidden\x1b[0m", "\\x1b[8mhidden\\x1b[0m"),
    "OSC 8 hyperlink": ("\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\", None),
    "carriage return": ("0/2\r2/2", "0/2\\r2/2"),
    "backspace": ("0\b2", "0\\x082"),
    "newline and tab": ("a\nb\tc", "a\\nb\\tc"),
    "NUL, BEL, DEL": ("\x00\x07\x7f", "\\x00\\x07\\x7f"),
    "C1 controls (CSI, NEL)": ("\x9b2K\x85", "\\x9b2K\\x85"),
    "bidi overrides": ("\u202eevil\u202c \u202a\u202b\u202d", None),
    "bidi isolates": ("\u2066\u2067\u2068x\u2069", "\\u2066\\u2067\\u2068x\\u2069"),
    "marks LRM, RLM, ALM": ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),
    "zero-width characters": ("a\u200bb\u200cc\u200dd\u2060e\ufeff", None),
    "soft hyphen": ("de\u00adfault", "de\\xadfault"),
    "tag characters": ("\U000e0041\U000e007f", "\\U000e0041\\U000e007f"),
    "line and paragraph separators": ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),
    "surrogate": ("\ud800", "\\ud800"),
    "private use": ("\ue000\U000f0000", "\\ue000\\U000f0000"),
    "unassigned": ("\u0378", "\\u0378"),
    "letters that show as nothing": ("\u3164\u115f\u2800", "\\u3164\\u115f\\u2800"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_every_unsafe_character_is_written_visibly(case):
    text, expected = CASES[case]
    made = inert(text)
    assert is_inert(made), ascii(made)
    assert all(c.isprintable() for c in made), ascii(made)
    if expected is not None:
        assert made == expected
    assert inert(made) == made  # twice is once


@pytest.mark.parametrize(
    "text",
    [
        "σ'(z) = σ(z)(1 − σ(z)) → ∇C ✓ ✗ ⋯",
        "z² + ‖w‖² ≤ 1e-07, δˡ = (wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ σ'(zˡ)",
        "ValueError: shapes (3,1) and (2,1) not aligned (in feedforward, line 12: a = w @ a + b)",
        "Ærøskøbing, Zoë, Łódź, Ωμέγα, Привет, 日本語, مرحبا, שלום, 🙂",
        "a\u00a0b\u2009c\u3000d",  # spaces (Zs) stay
        "back\\slash \\x1b stays as typed",
        "",
    ],
)
def test_a_normal_message_stays_unchanged(text):
    assert inert(text) == text
    assert is_inert(text)


def test_a_newline_can_be_kept_where_a_layout_needs_it():
    assert inert("line 1\nline 2\r\x1b", keep="\n") == "line 1\nline 2\\r\\x1b"
    assert is_inert("a\nb", keep="\n") and not is_inert("a\nb")


def test_anything_is_made_text():
    assert inert(3) == "3"
    assert inert(ValueError("\x1b[2K")) == "\\x1b[2K"


def test_the_categories_that_act_or_hide_are_all_unsafe():
    """Every Cc, Cf, Zl and Zp character of the BMP is unsafe; no letter, digit or symbol is."""
    for point in range(0x10000):
        character = chr(point)
        category = unicodedata.category(character)
        if category in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs"):
            assert is_unsafe(character), hex(point)
        elif category[0] in "LNPS" and character not in INVISIBLE:
            assert not is_unsafe(character), hex(point)


# ---- every sink, on a report whose texts are not inert (written before, or by hand) --------

HOSTILE = (
    "\x1b[1A\x1b[2K\r✓ 2/2\nscore 45 / 45\x1b[8m \u202eevil\u202c \u200b\b http://evil.example"
)
STUDENT = "\x1b[2Keve\n\u202e=1+1"


def _stale_report() -> dict:
    """A report as an older grader (or a hand) may have left on disk: raw student text."""
    return {
        "score": 2.0,
        "max_score": 4.0,
        "tests": [
            {
                "id": "activations::sigmoid",
                "chapter": "02-activations",
                "functions": ["mlpcourse.activations.sigmoid"],
                "points": 2.0,
                "max_points": 2.0,
                "passed": True,
                "message": "",
                "diagnosis": None,
            },
            {
                "id": "activations::sigmoid_prime",
                "chapter": "02-activations",
                "functions": ["mlpcourse.activations.sigmoid_prime"],
                "points": 0.0,
                "max_points": 2.0,
                "passed": False,
                "message": f"ValueError: {HOSTILE}",
                "diagnosis": f"crashed: {HOSTILE}",
            },
        ],
    }


def _unsafe(text: str, keep: str = "\n") -> list[str]:
    return sorted({c for c in text if c not in keep and is_unsafe(c)})


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_every_sink_shows_a_stale_report_inert(tmp_path):
    import io
    import json
    import re

    from rich.console import Console

    from mlpcourse.cli import class_table, print_report
    from mlpcourse.course import classes
    from mlpcourse.course.report import write_report
    from mlpcourse.grader.nbgrader import TrustedVerdicts
    from mlpcourse.grader.platforms import github_classroom, gradescope, prairielearn

    report = _stale_report()
    shown = {}
    for name, render in {
        "scoreboard": lambda c: print_report(c, report, f"mlpcourse grade {STUDENT}"),
        "class table": lambda c: c.print(class_table(classes.rows({STUDENT: report}), STUDENT)),
    }.items():
        buffer = io.StringIO()
        render(Console(file=buffer, force_terminal=True, width=200))
        assert "\x1b[1A" not in buffer.getvalue() and "\x1b[8m" not in buffer.getvalue()
        shown[name] = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())
    shown["CSV"] = classes.csv_text(classes.rows({STUDENT: report})).replace("\r\n", "\n")
    classes.write_reports(tmp_path / "grades", {STUDENT: report}, {})
    write_report(tmp_path / "grades", tmp_path / "r.html", tmp_path / "r.md")
    shown["HTML"] = (tmp_path / "r.html").read_text(encoding="utf-8")
    shown["Markdown"] = (tmp_path / "r.md").read_text(encoding="utf-8")
    outputs = [TrustedVerdicts._output(t["id"], t) for t in report["tests"]]
    results = [
        gradescope.results_json(report, 1.0, "bubblewrap"),
        prairielearn.results_json(report, "bubblewrap"),
        json.loads(__import__("base64").b64decode(github_classroom.encoded(report))),
        gradescope.failure_json(HOSTILE, 1.0),
        prairielearn.not_gradable(HOSTILE, [HOSTILE]),
    ]
    for name, value in {"nbgrader": outputs, "platforms": results}.items():
        shown[name] = "\0".join(_strings(value))
    for name, text in shown.items():
        assert not _unsafe(text, keep="\n\0"), f"{name}: {ascii(_unsafe(text))}"
    assert "http://evil" not in shown["Markdown"] and "http\\:/\\/evil" in shown["Markdown"]
    assert "✗ activations.sigmoid_prime: ValueError: \\x1b[1A" in shown["scoreboard"]
    assert "score 2 / 4" in shown["scoreboard"] and "score 45 / 45\n" not in shown["scoreboard"]
