"""Attacks on the grader, one file per class: each case is one hostile submission and its outcome.

1. stealing the reference (test_stealing)           5. surviving processes
2. forging the verdict or the report (test_forging)  6. leaking the environment or files
3. self-calls and imports (test_self_calls)          6b. the runner user (no bubblewrap)
4. harming a classmate or the instructor             7. denial of service
   (test_harming)                                    7c. inert student text
8. the notebook route (one case; the rest is covered with the notebooks)
9. replaying the published cases                     10. stalling or bloating the grader

A submission is the reference (or the stubs) with one function, or one module, replaced by the
attack (tests/project/helpers.py). Every case asserts what the grader must do: no points for
the attacked function, nothing left behind, nothing leaked, classmates untouched, grading over
in bounded time. Where an attack only fails because the sandbox stops it, the same submission
is also graded without the sandbox, to show that the attack itself works.

Each test module declares its class with ``pytestmark = pytest.mark.attack("...")``; attacks
in other files (the platforms' result files, the notebook route, the grades CSV) carry the
marker on the test. tests/conftest.py counts the attacks by class from the markers.
"""
