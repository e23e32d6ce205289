"""Test options shared by the graded tests and the project's own tests, and the run's summary."""

from pathlib import Path


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


def _graded_summary(terminalreporter, config) -> None:
    from mlpcourse.grader.checks import CHECKS
    from mlpcourse.grader.wording import count

    points = {check.id: check.points for check in CHECKS}
    earned = total = 0.0
    for key in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(key, []):
            check_id = report.nodeid.partition("test_graded[")[2].rstrip("]")
            if report.when == "call" and check_id in points:
                total += points[check_id]
                earned += points[check_id] if key == "passed" else 0.0
    if total:
        terminalreporter.write_line(
            f"graded checks of {config.getoption('--impl')}: {earned:g} / {count(total, 'point')}"
        )


#: The classes of the attack suite, in the order of its summary. An attack test carries exactly
#: one marker ``@pytest.mark.attack(CLASS)`` (tests/project/attacks/: one ``pytestmark`` a file);
#: tests/project/test_attack_markers.py checks that.
ATTACK_CLASSES = (
    "stealing the reference",
    "forging the verdict or the report",
    "self-calls and imports",
    "harming a classmate or the instructor",
    "surviving processes",
    "leaking the environment or files",
    "the runner user (no bubblewrap)",
    "denial of service",
    "inert student text",
    "the notebook route",
    "replaying the published cases",
    "stalling or bloating the grader",
    "the platforms' result files",
)
#: Where every test is an attack.
ATTACK_SUITE = Path(__file__).parent / "project" / "attacks"


def attack_classes(item) -> list[str]:
    """The classes the ``attack`` markers of a test name (one, for an attack test)."""
    return [str(m.args[0]) if m.args else "" for m in item.iter_markers("attack")]


def attack_marker_problems(items) -> list[str]:
    """What is wrong with the attack markers of ``items``: a test of tests/project/attacks/ or
    one marked as an attack must carry exactly one marker, with one of ATTACK_CLASSES."""
    problems = []
    for item in items:
        classes = attack_classes(item)
        if not classes and ATTACK_SUITE not in Path(item.path).parents:
            continue
        if len(classes) != 1:
            problems.append(f"{item.nodeid}: {len(classes)} attack markers, not one: {classes}")
        problems += [
            f"{item.nodeid}: no attack class named {name!r}"
            for name in classes
            if name not in ATTACK_CLASSES
        ]
    return problems


def pytest_itemcollected(item):
    """Each attack's class travels with its reports (also from an xdist worker)."""
    for name in attack_classes(item):
        item.user_properties.append(("attack", name))


def _attack_summary(terminalreporter) -> None:
    """Attacks held and succeeded, by class: the tests that ran (a skipped one counts nowhere)."""
    held: dict[str, list[int]] = {}
    for key, index in (("passed", 0), ("failed", 1)):
        for report in terminalreporter.stats.get(key, []):
            if report.when != "call":
                continue
            for name, value in getattr(report, "user_properties", []):
                if name == "attack":
                    held.setdefault(value, [0, 0])[index] += 1
    if held:
        total = sum(h + b for h, b in held.values())
        broken = sum(b for _, b in held.values())
        terminalreporter.write_line(f"attack suite: {total} attacks, {broken} succeeded")
        order = [*ATTACK_CLASSES, *sorted(set(held) - set(ATTACK_CLASSES))]
        for name in [n for n in order if n in held]:
            h, b = held[name]
            terminalreporter.write_line(f"  {name}: {h} held, {b} succeeded")


def pytest_terminal_summary(terminalreporter, config):
    _graded_summary(terminalreporter, config)
    _attack_summary(terminalreporter)
    diagnoses: dict[str, list[str]] = {"named": [], "generic": []}
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        kind = dict(getattr(report, "user_properties", [])).get("diagnosis")
        if kind and report.when == "call":
            diagnoses[kind].append(report.nodeid.partition("[")[2].rstrip("]"))
    if diagnoses["named"] or diagnoses["generic"]:
        terminalreporter.write_line(
            f"diagnosis suite: {len(diagnoses['named'])} mistakes get a named cause, "
            f"{len(diagnoses['generic'])} a generic message"
            + (f" ({', '.join(sorted(diagnoses['generic']))})" if diagnoses["generic"] else "")
        )
    for prefix, name in (("", "mutant"), (" on hidden cases", "hidden")):
        counted = _counts(terminalreporter, name)
        if counted:
            bugs = counted.get("bug-caught", 0) + counted.get("false-accept", 0)
            alternatives = counted.get("alternative-accepted", 0) + counted.get("false-reject", 0)
            terminalreporter.write_line(
                f"mutant suite{prefix}: {bugs} bugs, {counted.get('false-accept', 0)} false "
                f"accepts; {alternatives} correct alternatives, "
                f"{counted.get('false-reject', 0)} false rejects"
            )


def _counts(terminalreporter, name: str) -> dict[str, int]:
    """How often each value of the user property ``name`` was recorded by a test's call."""
    counts: dict[str, int] = {}
    for key in ("passed", "failed"):
        for report in terminalreporter.stats.get(key, []):
            kind = dict(getattr(report, "user_properties", [])).get(name)
            if kind and report.when == "call":
                counts[kind] = counts.get(kind, 0) + 1
    return counts
