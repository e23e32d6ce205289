"""The graded tests run the checks of mlpcourse.checks on one implementation.

``pytest tests/graded`` checks your own package; ``--impl=reference`` or
``--impl=PATH`` checks another. At the end a scoreboard sums the points.
"""

import pytest

from mlpcourse.implementation import load


@pytest.fixture(scope="session")
def implementation(request):
    return load(request.config.getoption("--impl"))


def pytest_terminal_summary(terminalreporter, config):
    from mlpcourse.checks import CHECKS

    points = {check.id: check.points for check in CHECKS}
    earned = total = 0.0
    for report in terminalreporter.stats.get("passed", []):
        earned += points.get(dict(report.user_properties).get("check"), 0.0)
    for check_id in _collected(terminalreporter):
        total += points.get(check_id, 0.0)
    if total:
        terminalreporter.write_line(
            f"graded checks of {config.getoption('--impl')}: {earned:g} / {total:g} points"
        )


def _collected(terminalreporter):
    for key in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(key, []):
            if report.when == "call":
                yield dict(report.user_properties).get("check")
