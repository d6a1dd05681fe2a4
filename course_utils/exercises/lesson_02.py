"""Lesson 02's exercise checks: QLoRA on Llama-3.1-8B-Instruct, the batch that fits a 24 GB
card, and what activation checkpointing saves.

    basic      the estimate (GB) of EXERCISE_02
    variation  the largest batch of EXERCISE_02 that fits a 24 GB card with the picker's headroom
    stretch    the GB that activation checkpointing saves in EXERCISE_02

Each check recomputes the answer with the lesson's estimator and, for a wrong number, names the
mistake it matches when it matches one (LoRA's figure for QLoRA's, GiB for GB, checkpointing
off) or, for a batch, how much memory that batch needs against what the card offers.

What this leaves out: the reference solutions (``solutions/lesson_02.py`` at the repository
root) and measured memory (section 5 of the lesson compares with real tensors).
"""

from __future__ import annotations

from course_utils.exercises.check import check, close, diagnose, number, pending, verdict
from course_utils.plan.memory import DEFAULT_HEADROOM, GB, GIB, estimate_training_memory

# Lesson 02's exercise: QLoRA on Llama-3.1-8B-Instruct, 2048 tokens, batch 2, rank 16 on every
# linear layer, checkpointing on, AdamW; which batch size fits a 24 GB card; what checkpointing saves.
EXERCISE_02 = dict(config="llama-3.1-8b", method="qlora", seq_len=2048, batch_size=2, lora_r=16)
CARD_GB = 24  # the variation's card, as the price table names it ("24 GB": 24 GiB of memory)


def check_exercise_02_basic(total_gb) -> bool | None:
    """Lesson 02, basic: the estimate (GB) for EXERCISE_02."""
    hint = ("estimate this run the way section 1 estimates Qwen: the model's name as in "
            "data/model_configs, QLoRA, 2,048 tokens x batch 2, rank 16 on every linear layer "
            "(the default targets), checkpointing on; the estimate's total is in GB (10^9 bytes).")
    if pending(total_gb, hint=hint):
        return None
    est = estimate_training_memory(**EXERCISE_02)
    lora = estimate_training_memory(**{**EXERCISE_02, "method": "lora"})
    off = estimate_training_memory(**EXERCISE_02, gradient_checkpointing=False)
    hint = diagnose(total_gb, [
        (lora.total_gb, "that is LoRA's figure: QLoRA stores the blocks' linear layers in 4-bit "
                        "NF4, which is where its saving comes from."),
        (off.total_gb, "that is the run without activation checkpointing; here it is on."),
        (est.total_bytes / GIB, "that is GiB (2^30 bytes); the estimator reports GB (10^9 bytes)."),
    ], hint)
    return verdict(close(total_gb, est.total_gb, 0.01),
                   f"{est.total_gb:.2f} GB: {est.gb('weights_nf4') + est.gb('quant_constants'):.1f} "
                   f"GB of it is the 4-bit base.", hint)


def _largest_batch(usable_bytes: float) -> int:
    """The largest batch of EXERCISE_02 whose estimate fits `usable_bytes` (0 if none)."""
    best = 0
    for b in range(1, 257):
        if estimate_training_memory(**{**EXERCISE_02, "batch_size": b}).total_bytes > usable_bytes:
            break
        best = b
    return best


def check_exercise_02_variation(max_batch) -> bool | None:
    """Lesson 02, variation: the largest batch size of EXERCISE_02 that fits a 24 GB (GiB) card
    with 10% headroom."""
    hint = ("only activations and logits grow with the batch: estimate batch after batch and "
            "keep the largest whose total fits the card's usable memory, 24 GiB (2^30 bytes) "
            "less the picker's 10% headroom.")
    if pending(max_batch, hint=hint):
        return None
    usable = CARD_GB * GIB * (1 - DEFAULT_HEADROOM)
    best = _largest_batch(usable)
    b = number(max_batch)
    if b is not None and b == int(b) and 1 <= b <= 256 and b != best:
        need = estimate_training_memory(**{**EXERCISE_02, "batch_size": int(b)}).total_bytes
        if need > usable:
            hint = (f"batch {int(b)} needs {need / GB:.1f} GB, more than the "
                    f"{usable / GB:.1f} GB usable.")
        else:
            hint = (f"batch {int(b)} needs {need / GB:.1f} GB of the {usable / GB:.1f} GB "
                    "usable: a larger one still fits.")
    return check(max_batch, lambda a: a == best and not isinstance(a, bool),
                 f"batch {best} is the largest that fits.", hint)


def check_exercise_02_stretch(saved_gb) -> bool | None:
    """Lesson 02, stretch: GB saved by activation checkpointing for EXERCISE_02 (off minus on)."""
    hint = ("checkpointing only changes what the backward pass keeps: estimate the run with it "
            "off and with it on, and take the difference in GB (compare the two breakdowns).")
    if pending(saved_gb, hint=hint):
        return None
    on = estimate_training_memory(**EXERCISE_02, gradient_checkpointing=True)
    off = estimate_training_memory(**EXERCISE_02, gradient_checkpointing=False)
    saved = (off.total_bytes - on.total_bytes) / GB
    hint = diagnose(saved_gb, [
        (-saved, "the sign: memory without checkpointing minus memory with it."),
        (off.gb("activations"), "checkpointing does not remove every activation: it still keeps "
                                "each layer's input; subtract what the run with it keeps."),
        (saved * GB / GIB, "that is GiB (2^30 bytes); answer in GB (10^9 bytes)."),
    ], hint)
    return verdict(close(saved_gb, saved, 0.01),
                   f"checkpointing saves {saved:.2f} GB here: the activations drop from "
                   f"{off.gb('activations'):.1f} to {on.gb('activations'):.1f} GB.", hint)
