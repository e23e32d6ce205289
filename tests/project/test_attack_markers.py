"""Every attack test is counted in the attack suite's summary under exactly one class.

The summary (tests/conftest.py) counts the tests that carry ``@pytest.mark.attack(CLASS)``:
a test of tests/project/attacks/ without one, or with two, or a class misspelt, would be
counted wrongly or not at all.
"""

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import ATTACK_CLASSES, ATTACK_SUITE, attack_classes, attack_marker_problems


def test_every_collected_attack_carries_exactly_one_class(request):
    items = request.session.items
    assert attack_marker_problems(items) == []
    for item in items:  # the class travels with the test's reports, for the summary
        for name in attack_classes(item):
            assert ("attack", name) in item.user_properties, item.nodeid


def _item(path: Path, *classes: str) -> SimpleNamespace:
    markers = [pytest.mark.attack(name).mark for name in classes]
    return SimpleNamespace(
        nodeid=f"{path.name}::test_x", path=path, iter_markers=lambda name: iter(markers)
    )


def test_a_missing_a_doubled_or_a_misspelt_class_is_found():
    attack = ATTACK_SUITE / "test_stealing.py"
    elsewhere = ATTACK_SUITE.parent / "test_grading.py"
    assert attack_marker_problems([_item(attack, ATTACK_CLASSES[0])]) == []
    assert attack_marker_problems([_item(elsewhere)]) == []
    assert attack_marker_problems([_item(elsewhere, ATTACK_CLASSES[-1])]) == []
    unmarked = attack_marker_problems([_item(attack)])
    assert unmarked == ["test_stealing.py::test_x: 0 attack markers, not one: []"]
    doubled = attack_marker_problems([_item(elsewhere, *ATTACK_CLASSES[:2])])
    assert len(doubled) == 1 and "2 attack markers" in doubled[0]
    misspelt = attack_marker_problems([_item(attack, "stealing teh reference")])
    assert misspelt == ["test_stealing.py::test_x: no attack class named 'stealing teh reference'"]
