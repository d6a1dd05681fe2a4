"""Reference solutions to lesson 02's exercises (notebooks/02_gpu_memory.ipynb).

QLoRA on Llama-3.1-8B-Instruct, 2,048 tokens x batch 2, rank 16 on every linear layer,
activation checkpointing on.
"""

from course_utils import GB, GIB, estimate_training_memory

CHECKS = {
    "exercise_basic": "check_exercise_02_basic",
    "exercise_variation": "check_exercise_02_variation",
    "exercise_stretch": "check_exercise_02_stretch",
}

RUN = dict(config="llama-3.1-8b", method="qlora", seq_len=2048, batch_size=2, lora_r=16)


def exercise_basic():
    """The estimate's total, in GB."""
    return estimate_training_memory(**RUN).total_gb


def exercise_variation():
    """The largest batch whose estimate fits 24 GiB less the picker's 10% headroom."""
    usable = 24 * GIB * 0.9
    batch = 1
    while estimate_training_memory(**{**RUN, "batch_size": batch + 1}).total_bytes <= usable:
        batch += 1
    return batch


def exercise_stretch():
    """Memory without activation checkpointing minus memory with it, in GB."""
    off = estimate_training_memory(**RUN, gradient_checkpointing=False)
    on = estimate_training_memory(**RUN, gradient_checkpointing=True)
    return (off.total_bytes - on.total_bytes) / GB
