"""The trusted side of grading: checks, expected values, the reference, verdicts, reports.

Student code never runs in this process. :mod:`.sandbox` starts a runner
(:mod:`mlpcourse.runner`) under bubblewrap with the student's files; the
checks (:mod:`.checks`) call the student's functions through :mod:`.remote`,
which decodes plain values only, and compute every expected value here.
Collaborators of a graded function are computed here with the reference
(:mod:`.reference`), so a bug is charged once.
"""
