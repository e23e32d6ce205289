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
