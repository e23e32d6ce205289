"""Instructor tooling that never grades: release, the student edition, collecting, plots.

:mod:`.implementation` loads a folder of exercise modules into this process
(the book's figures use the reference; the notebooks' explorations use your
own code, for your eyes only: nothing loaded this way feeds a grade).
"""
