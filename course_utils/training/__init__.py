"""Lesson 05: QLoRA training with TRL, checkpoints, preemption, run summaries (command line: `python -m course_utils.train`)."""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "find_checkpoints": "preemption",
    "TARGETS": "run",
    "adapter_dtype_for": "run",
    "attach_lora": "run",
    "lora_config": "run",
    "sft_settings": "run",
    "task_rows": "run",
    "train": "run",
    "adapter_difference": "summary",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
