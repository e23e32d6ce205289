"""Attacks on the grader, one file per class: each case is one hostile submission and its outcome.

1. stealing the reference                 test_stealing.py
2. forging the verdict or the report      test_forging.py (a planted diagnosis too)
3. self-calls and imports                 test_self_calls.py
4. harming a classmate or the instructor  test_harming.py (and the grades CSV: test_class_tools)
5. surviving processes                    test_surviving_processes.py
6. leaking the environment or files       test_leaking.py
6b. the runner user (no bubblewrap)       test_runner_user.py (and test_platforms)
7. denial of service                      test_denial_of_service.py
7c. inert student text                    test_inert_text.py
8. the notebook route                     test_notebook_route.py (and test_nbgrader_lifecycle)
9. replaying the published cases          test_replaying.py
10. stalling or bloating the grader       test_stalling.py
11. the platforms' result files           test_platforms

A submission is the reference (or the stubs) with one function, or one module, replaced by the
attack (tests/project/helpers.py). Every case asserts what the grader must do: no points for
the attacked function, nothing left behind, nothing leaked, classmates untouched, grading over
in bounded time. Where an attack only fails because the sandbox stops it, the same submission
is also graded without the sandbox, to show that the attack itself works.

Each file here declares its class once, ``pytestmark = pytest.mark.attack(CLASS)``; an attack
elsewhere carries ``@pytest.mark.attack(CLASS)``. tests/conftest.py counts the attacks by class
from these markers (ATTACK_CLASSES), and tests/project/test_attack_markers.py checks them.
"""
