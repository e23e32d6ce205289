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


ATTACK_CLASSES = {
    "test_stealing_the_reference_gains_nothing": "stealing the reference",
    "test_forging_a_verdict_gains_nothing": "forging the verdict or the report",
    "test_a_diagnosis_cannot_be_planted": "forging the verdict or the report",
    "test_a_graded_function_never_reaches_the_reference_of_itself": "self-calls and imports",
    "test_a_classmate_and_the_instructor_are_unharmed": "harming a classmate or the instructor",
    "test_no_process_outlives_grading": "surviving processes",
    "test_no_secret_leaks_into_the_report": "leaking the environment or files",
    "test_denial_of_service_is_contained": "denial of service",
    "test_fake_result_files_written_at_import_change_nothing": "the notebook route",
    "test_release_collect_autograde_feedback_export": "the notebook route",
    "test_gradescope_forged_results_change_nothing": "the platforms' result files",
    "test_prairielearn_forged_results_change_nothing": "the platforms' result files",
    "test_github_classroom_forged_output_changes_nothing": "the platforms' result files",
    "test_gradescope_runner_user_cannot_read_the_source": "the runner user (no bubblewrap)",
    "test_runner_user_runs_unprivileged_and_cannot_read_the_course": (
        "the runner user (no bubblewrap)"
    ),
    "test_runner_user_cannot_read_a_classmate": "the runner user (no bubblewrap)",
    "test_runner_user_leaves_nothing_for_the_next_runner": "the runner user (no bubblewrap)",
    "test_runner_user_has_no_network": "the runner user (no bubblewrap)",
    "test_the_grades_csv_runs_no_formula": "harming a classmate or the instructor",
    "test_the_grader_cannot_be_stalled_or_bloated": "stalling or bloating the grader",
    "test_one_student_cannot_cost_the_class_its_grades": "stalling or bloating the grader",
    "test_a_grading_worker_killed_from_outside_keeps_what_finished": (
        "stalling or bloating the grader"
    ),
    "test_a_grading_worker_over_its_memory_is_reported_alone": "stalling or bloating the grader",
    "test_student_text_is_inert_everywhere": "inert student text",
    "test_replaying_the_published_cases_gains_nothing": "replaying the published cases",
}


def _attack_summary(terminalreporter) -> None:
    held: dict[str, list[int]] = {}
    for key, index in (("passed", 0), ("failed", 1)):
        for report in terminalreporter.stats.get(key, []):
            function = report.nodeid.split("::")[-1].split("[")[0]
            if report.when == "call" and function in ATTACK_CLASSES:
                held.setdefault(ATTACK_CLASSES[function], [0, 0])[index] += 1
    if held:
        total = sum(h + b for h, b in held.values())
        broken = sum(b for _, b in held.values())
        terminalreporter.write_line(f"attack suite: {total} attacks, {broken} succeeded")
        for name, (h, b) in held.items():
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
