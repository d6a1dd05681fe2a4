"""The one helper behind every exercise check of the course.

A check prints one line and returns:

    None   the answer is still the placeholder ``None``  ("◻ Not answered yet" and the hint)
    True   right                                           ("✓ ..." and what the answer means)
    False  wrong                                           ("✗ Not quite" and a hint that teaches)

and never raises on a learner's answer, so every notebook runs top to bottom as committed.
Hints point at the concept and where to look, not at the call to paste.

What this leaves out: grading, scores, or storing answers; reference solutions live outside the
package, in ``solutions/``.
"""

from __future__ import annotations


def pending(*answers, hint: str) -> bool:
    """True (after printing the hint) while any answer is still ``None``."""
    if any(a is None for a in answers):
        print(f"◻ Not answered yet. Hint: {hint}")
        return True
    return False


def verdict(ok: bool, good: str, hint: str) -> bool:
    """Print ✓ with `good` or ✗ with `hint`; return `ok`."""
    print(f"✓ {good}" if ok else f"✗ Not quite. Hint: {hint}")
    return bool(ok)


def close(answer, expected: float, rel: float) -> bool:
    """`answer` is a number within `rel` (relative) of `expected`; False for anything else."""
    try:
        return abs(float(answer) - expected) <= rel * abs(expected)
    except (TypeError, ValueError):
        return False


def check(answer, ok, good: str, hint: str) -> bool | None:
    """The whole pattern in one call: None while unanswered, else `verdict(ok(answer) ...)`.

    `ok` is a bool or a function of the answer (called only once the answer is given).
    """
    if pending(answer, hint=hint):
        return None
    return verdict(ok(answer) if callable(ok) else ok, good, hint)
