"""`python -m course_utils.train`: lesson 05's command line, and nothing else.

The training code lives in `course_utils.training`; this package only holds the entry point, so
that the command keeps its short name while `course_utils.train` (the function) stays the
public name notebooks import. Nothing in the package imports this folder.
"""
