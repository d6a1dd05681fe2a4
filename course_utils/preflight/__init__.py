"""`python -m course_utils.preflight`: the pre-flight check of a machine before a workshop.

Only the entry point lives here (nothing imports this package); the checks are in
`course_utils.tools.preflight`.
"""
