"""Lesson 02's exercise checks: QLoRA on Llama-3.1-8B-Instruct, the batch that fits, what
activation checkpointing saves. Each recomputes the answer with the lesson's estimator."""

from __future__ import annotations

from course_utils.exercises.check import check, close
from course_utils.plan.memory import DEFAULT_HEADROOM, GB, GIB, estimate_training_memory

# Lesson 02's exercise: QLoRA on Llama-3.1-8B-Instruct, 2048 tokens, batch 2, rank 16 on every
# linear layer, checkpointing on, AdamW; which batch size fits a 24 GB card; what checkpointing saves.
EXERCISE_02 = dict(config="llama-3.1-8b", method="qlora", seq_len=2048, batch_size=2, lora_r=16)


def check_exercise_02_basic(total_gb) -> bool | None:
    """Basic: the estimate (GB) for EXERCISE_02."""
    est = estimate_training_memory(**EXERCISE_02)
    return check(total_gb, lambda a: close(a, est.total_gb, 0.01), f"{est.total_gb:.2f} GB",
                 "memory.estimate_training_memory('llama-3.1-8b', 'qlora', 2048, 2, "
                 "lora_r=16).total_gb")


def check_exercise_02_variation(max_batch) -> bool | None:
    """Variation: the largest batch size of EXERCISE_02 that fits a 24 GB (GiB) card with 10% headroom."""
    usable = 24 * GIB * (1 - DEFAULT_HEADROOM)
    best = 0
    for b in range(1, 257):
        if estimate_training_memory(**{**EXERCISE_02, "batch_size": b}).total_bytes > usable:
            break
        best = b
    return check(max_batch, lambda a: a == best, f"batch {best} is the largest that fits",
                 "loop over batch sizes and compare total_bytes with 24 * memory.GIB * 0.9")


def check_exercise_02_stretch(saved_gb) -> bool | None:
    """Stretch: GB saved by activation checkpointing for EXERCISE_02 (off minus on)."""
    on = estimate_training_memory(**EXERCISE_02, gradient_checkpointing=True)
    off = estimate_training_memory(**EXERCISE_02, gradient_checkpointing=False)
    saved = (off.total_bytes - on.total_bytes) / GB
    return check(saved_gb, lambda a: close(a, saved, 0.01), f"checkpointing saves {saved:.2f} GB here",
                 "estimate twice, gradient_checkpointing=False and True, and subtract")
