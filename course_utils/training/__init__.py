"""Lesson 05: QLoRA training with TRL, checkpoints, preemption, run summaries (command line: `python -m course_utils.train`).

    config        the run's settings: LoRA, TRL's SFTConfig, rows, the run record
    run           `train`, step by step, and attaching the adapters
    trainer       the course's SFT trainer: checkpoints renamed into place when complete
    checkpoints   which checkpoint to resume from: complete, readable, of the run's shapes
    preemption    SIGTERM/SIGINT -> checkpoint -> clean stop; the resume dtype trap
    safe_delete   the one rule for deleting what the course wrote (`--overwrite`)
    summary       what a run measured about itself
    export        keeping the adapter: an atomic copy to Google Drive, an upload to the Hub
    cli           `python -m course_utils.train`

What this leaves out: evaluating the adapter (lesson 06, course_utils.evaluate) and serving it
(lesson 07, course_utils.serve).
"""

from course_utils._lazy import lazy_exports

# Public names of this layer -> the module that defines them (see course_utils/__init__.py).
EXPORTS = {
    "find_checkpoints": "checkpoints",
    "FullRun": "full",
    "full_learning_rate_for": "full",
    "train_full": "full",
    "TARGETS": "config",
    "adapter_dtype_for": "config",
    "lora_config": "config",
    "sft_settings": "config",
    "task_rows": "config",
    "attach_lora": "run",
    "train": "run",
    "adapter_difference": "summary",
    "RunSummary": "summary",
    "keep_adapter": "export",
}

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
