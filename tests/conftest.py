"""Test options shared by the graded tests and the project's own tests."""


def pytest_addoption(parser):
    parser.addoption(
        "--impl",
        default="student",
        help=(
            "the exercise modules the graded tests check: 'student' (default: the "
            "mlpcourse package beside these tests, your work), 'reference' "
            "(instructors: solutions/mlpcourse), or a path to a folder holding mlpcourse/"
        ),
    )


def pytest_terminal_summary(terminalreporter):
    counts: dict[str, int] = {}
    for key in ("passed", "failed"):
        for report in terminalreporter.stats.get(key, []):
            kind = dict(getattr(report, "user_properties", [])).get("mutant")
            if kind and report.when == "call":
                counts[kind] = counts.get(kind, 0) + 1
    if counts:
        bugs = counts.get("bug-caught", 0) + counts.get("false-accept", 0)
        alternatives = counts.get("alternative-accepted", 0) + counts.get("false-reject", 0)
        terminalreporter.write_line(
            f"mutant suite: {bugs} bugs, {counts.get('false-accept', 0)} false accepts; "
            f"{alternatives} correct alternatives, {counts.get('false-reject', 0)} false rejects"
        )
