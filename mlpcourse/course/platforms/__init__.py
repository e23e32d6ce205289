"""Grading on a platform: Gradescope, PrairieLearn and GitHub Classroom.

Each platform module turns the grade report of the contract into the
platform's result format and writes what the platform needs (an autograder
zip, a question folder, a workflow). :mod:`.upload` reads what a student
uploaded; :mod:`.source` copies the instructor's course for a platform.
"""
