"""Lesson 05: the course's trainer: TRL's `SFTTrainer` with two changes to how checkpoints are
written and read back.

1. **A checkpoint appears only when it is complete.** transformers 5 (`Trainer._save_checkpoint`,
   checked in 5.23) writes straight into `output_dir/checkpoint-N`: the weights, then optimizer,
   scheduler and RNG states, `trainer_state.json` last, then deletes old checkpoints beyond
   `save_total_limit`; it has no temporary folder. A process killed mid-save therefore leaves a
   `checkpoint-N` that looks like a checkpoint. Here the same method writes into
   `output_dir/.staging/checkpoint-N` (through the Trainer's `_get_output_dir` hook, which
   `_save_checkpoint` asks for the folder to save in) and, once every process has written its
   files, the main process renames the folder into place and only then rotates old checkpoints.
   What this relies on: `_save_checkpoint` builds every path it writes from `_get_output_dir`, and
   TRL's override only adds the model card (`README.md` in `args.output_dir`) before calling it.
2. **Resume keeps the adapters' dtype** (see `course_utils.training.preemption`): PEFT reloads the
   adapter weights in fp32; the dtypes they trained in are put back before the optimizer state loads.

What this leaves out: the final adapter (`Trainer.save_model(output_dir/adapter)`, written after
training, outside any checkpoint) and sharded checkpoints (FSDP, DeepSpeed), which the course
does not write.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints
from trl import SFTTrainer

from course_utils.model.stack import transformers_args
from course_utils.training.checkpoints import STAGING_DIR, publish
from course_utils.training.preemption import restore_trainable_dtypes, trainable_dtypes


class CourseSFTTrainer(SFTTrainer):
    """Lesson 05. TRL's SFT trainer: checkpoints renamed into place when complete, and a resume
    that keeps the adapters' own dtype."""

    _staging: str | None = None   # while a checkpoint is being written: where it goes

    def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
        target = self.model if model is None else model
        before = trainable_dtypes(target)
        super()._load_from_checkpoint(resume_from_checkpoint, model)  # PEFT upcasts to fp32 here
        restore_trainable_dtypes(target, before)

    def _get_output_dir(self, trial):
        return self._staging or super()._get_output_dir(trial)

    def _save_checkpoint(self, model, trial):
        root = Path(super()._get_output_dir(trial))
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        staging = root / STAGING_DIR
        if self.args.should_save and (staging / name).exists():
            shutil.rmtree(staging / name)        # left by a save that was cut short
        self.accelerator.wait_for_everyone()
        self._staging = str(staging)
        try:
            super()._save_checkpoint(model, trial)  # rotates inside .staging/ only: nothing to delete
        finally:
            self._staging = None
        self.accelerator.wait_for_everyone()     # every rank has written its rng_state_<rank>.pth
        if self.args.should_save:
            publish(staging / name, root / name)
            rotate_checkpoints(**transformers_args.rotate_kwargs(
                root, self.args.save_total_limit, self.state.best_model_checkpoint))
        self.accelerator.wait_for_everyone()     # no rank goes on before the checkpoint is in place
