"""Verdicts on published memory claims, against the estimate (lesson 02).

The seed articles say things like "full fine-tuning of a 7B model needs 40-80 GB" or "QLoRA
runs on one 24 GB GPU". `claim_verdict` compares a claimed figure or range with an estimate,
widened by the estimator's validated error; `fits_verdict` checks a "fits on an X GB card"
claim against the card's memory less the picker's headroom.

What this leaves out: which setting a claim means (the lesson states the one it estimates for
each claim) and claims about speed or quality.
"""

from __future__ import annotations

from course_utils.plan.memory.estimate import MemoryEstimate
from course_utils.plan.memory.inputs import DEFAULT_HEADROOM, GIB, check_positive

VALIDATED_ERROR = 0.20  # the estimator's median error limit (tests/plan/test_memory_validation.py)


def claim_verdict(claim_low_gb: float, claim_high_gb: float | None, estimate_gb: float,
                  tolerance: float = VALIDATED_ERROR) -> str:
    """Lesson 02. Compare a published claim (a GB figure or range) with an estimate.

    "consistent" when the estimate lies in the claimed range widened by `tolerance` (the
    estimator's validated error), "overstated" when the claim is above it, "understated" when
    the claim is below it.
    """
    high = claim_low_gb if claim_high_gb is None else claim_high_gb
    check_positive(claim_low_gb=claim_low_gb, claim_high_gb=high, estimate_gb=estimate_gb)
    if claim_low_gb * (1 - tolerance) <= estimate_gb <= high * (1 + tolerance):
        return "consistent"
    return "overstated" if claim_low_gb * (1 - tolerance) > estimate_gb else "understated"


def fits_verdict(card_gb: float, estimate: MemoryEstimate | int,
                 headroom: float = DEFAULT_HEADROOM) -> str:
    """Lesson 02. For claims of the form "fits on an X GB card": "consistent" when the estimate
    fits the card (X GiB less `headroom`), else "understated" (the claim understates the need)."""
    need = estimate.total_bytes if isinstance(estimate, MemoryEstimate) else estimate
    check_positive(card_gb=card_gb, estimate=need)
    return "consistent" if need <= card_gb * GIB * (1 - headroom) else "understated"
