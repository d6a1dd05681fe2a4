"""Lesson 06: the regression gate, a check that fails, with the numbers, when a system is below
a threshold or below another system (pure: numpy; no torch).

`gate` raises `GateError` (an `AssertionError`, so a gate inside a test or a CI script fails
it) and returns a one-line report when the system passes. `use="low"` gates on the lower end of
the 95% bootstrap interval (`course_utils.evaluate.stats.bootstrap_ci`): the data must show it.

What this leaves out: gating on a paired test against the other system (`beats` compares the
two means; `paired_test` gives the interval of the difference) and tracking scores across
releases.
"""

from __future__ import annotations

import numpy as np

from course_utils.evaluate.stats import bootstrap_ci


class GateError(AssertionError):
    """Lesson 06. A system failed the regression gate; the message holds the numbers."""


def gate(scores: dict, system: str, metric: str, *, at_least: float | None = None,
         beats: str | None = None, margin: float = 0.0, use: str = "estimate") -> str:
    """Lesson 06. Fail (raise `GateError`) when `system`'s `metric` is below `at_least`, or
    below the score of system `beats` plus `margin`. `scores[system][metric]` is
    a list of per-example scores (or a single number). `use="low"` compares the lower end of
    the 95% bootstrap interval (a stricter gate: the data must show it). Returns a one-line
    report when the gate passes."""
    if at_least is None and beats is None:
        raise ValueError("gate: pass at_least=<threshold> and/or beats=<other system>")
    if use not in ("estimate", "low"):
        raise ValueError(f"gate(use={use!r}): choose 'estimate' or 'low'")
    for name in [system] + ([beats] if beats else []):
        if name not in scores:
            raise KeyError(f"gate: system {name!r} not in scores; systems: {sorted(scores)}")
        if metric not in scores[name]:
            raise KeyError(f"gate: metric {metric!r} not scored for {name!r}; metrics: {sorted(scores[name])}")

    def value(name):
        v = np.atleast_1d(np.asarray(scores[name][metric], dtype=float))
        if use == "low" and len(v) > 1:
            return bootstrap_ci(v)[1]
        return float(v.mean())

    mine, what = value(system), ("lower 95% bound" if use == "low" else "score")
    report = [f"{system} {metric} {what} {mine:.3f}"]
    if at_least is not None:
        if mine < at_least:
            raise GateError(f"{system}: {metric} {what} {mine:.3f} is below the threshold {at_least:.3f} "
                            f"(short by {at_least - mine:.3f})")
        report.append(f">= {at_least:.3f}")
    if beats is not None:
        theirs = float(np.mean(np.asarray(scores[beats][metric], dtype=float)))
        if mine < theirs + margin:
            raise GateError(f"{system}: {metric} {what} {mine:.3f} is not above {beats}'s {theirs:.3f} "
                            f"+ margin {margin:.3f} = {theirs + margin:.3f}")
        report.append(f">= {beats} {theirs:.3f} + {margin:.3f}")
    return "✓ gate passed: " + " ".join(report)
