"""Reference solutions to lesson 07's exercises (notebooks/07_serving.ipynb)."""

import tempfile
from pathlib import Path

from course_utils import attach_lora, load_model, lora_config, lora_param_count, max_adapters_that_fit

CHECKS = {
    "exercise_basic": "check_exercise_07_basic",
    "exercise_variation": "check_exercise_07_variation",
    "exercise_stretch": "check_exercise_07_stretch",
}


def exercise_basic():
    """Ranks 4, 8, 24 -> --max-lora-rank 32 (the smallest accepted value >= 24); every one of
    the 3 slots holds a rank-32 adapter on every linear layer, 2 bytes a number."""
    max_lora_rank = 32
    per_slot = lora_param_count("qwen2.5-7b", max_lora_rank, "all-linear")
    return 3 * per_slot * 2 / 1e6


def exercise_variation():
    """Lesson 02's serving estimate, adapter after adapter, as max_adapters_that_fit counts."""
    return max_adapters_that_fit("mistral-7b", 40, quantization="none", batch_size=8,
                                 context_len=4096, lora_r=16)


def exercise_stretch():
    """A fresh rank-16 adapter (no modules_to_save, no bias) on the tiny base, saved anew."""
    model, _ = load_model("tiny", quantization="none")
    model = attach_lora(model, lora_config("all-linear", r=16))
    folder = Path(tempfile.mkdtemp(prefix="lesson07-stretch-")) / "fixed"
    model.save_pretrained(folder)
    return folder
