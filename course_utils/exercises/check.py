"""The one helper behind every exercise check of the course.

A check prints one line and returns:

    None   the answer is still the placeholder ``None``  ("◻ Not answered yet" and the hint)
    True   right                                           ("✓ ..." and what the answer means)
    False  wrong                                           ("✗ Not quite" and a hint that teaches)

and never raises on a learner's answer, so every notebook runs top to bottom as committed.
Hints point at the concept and where to look, not at the call to paste. A wrong number can be
matched against the values that common mistakes give (`diagnose`), so the hint names the
mistake: a forgotten epoch, GiB for GB, a price per token read as per million.

What this leaves out: grading, scores, or storing answers; reference solutions live outside the
package, in ``solutions/``.
"""

from __future__ import annotations

import math
from typing import Iterable


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


def number(answer) -> float | None:
    """`answer` as a finite float, or None for anything that is not a number."""
    if isinstance(answer, bool):
        return None
    try:
        x = float(answer)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def close(answer, expected: float, rel: float) -> bool:
    """`answer` is a number within `rel` (relative) of `expected`; False for anything else."""
    x = number(answer)
    return x is not None and abs(x - expected) <= rel * abs(expected)


def diagnose(answer, mistakes: Iterable[tuple[float, str]], default: str,
             rel: float = 0.01) -> str:
    """The hint for a wrong number: the note of the first (value, note) mistake whose value
    `answer` is within `rel` of, else `default`; `default` too for an answer that is not a
    number."""
    if number(answer) is None:
        return "answer with a number (no quotes, no units); " + default
    for value, note in mistakes:
        if close(answer, value, rel):
            return note
    return default


def check(answer, ok, good: str, hint: str) -> bool | None:
    """The whole pattern in one call: None while unanswered, else `verdict(ok(answer) ...)`.

    `ok` is a bool or a function of the answer (called only once the answer is given).
    """
    if pending(answer, hint=hint):
        return None
    if callable(ok):
        try:
            ok = ok(answer)
        except Exception:  # noqa: BLE001 - a learner's answer of any type is just wrong
            ok = False
    return verdict(ok, good, hint)
