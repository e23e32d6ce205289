"""Grading on a platform: what runs there, and the result files it reads.

Each module turns the grade report of the contract into the platform's result
format (Gradescope's and PrairieLearn's ``results.json``, GitHub Classroom's
runner result) and, for the first two, is the grading run the platform
starts. :mod:`.upload` reads what a student uploaded; :mod:`.results` grades
it. What a teacher exports to a platform (an autograder zip, a question
folder, a workflow) is made by :mod:`mlpcourse.course.platforms`.
"""
