"""The untrusted side of grading: what runs inside the sandbox with the student's code.

The runner imports the student's exercise modules (copied in as plain files),
answers the grader's calls with plain values over a pipe (:mod:`.protocol`),
and stands in proxies for the collaborators the grader computes itself. It
holds no check, no expected value and no reference, and imports nothing
from ``mlpcourse.grader``: whatever it says is judged on the other side.
"""
