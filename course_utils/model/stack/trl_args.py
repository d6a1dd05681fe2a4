"""Every keyword the course passes to TRL.

    SFT_CONFIG                  SFTConfig (TrainingArguments and TRL's fields): the values, each
                                with its reason, are built by
                                `course_utils.training.config.sft_settings` (lesson 05)
    SFT_TRAINER / trainer_kwargs   SFTTrainer (the course's `CourseSFTTrainer` subclass)

What this leaves out: the trainer's methods (`train`, `evaluate`, `save_model`): they are
transformers' Trainer's (`course_utils.model.stack.transformers_args`).
"""

from __future__ import annotations

from course_utils.model.stack.call import LibraryCall

SFT_CONFIG = LibraryCall(
    "trl.SFTConfig",
    ("output_dir", "use_cpu", "bf16", "fp16", "activation_checkpointing",
     "activation_checkpointing_kwargs", "num_train_epochs", "max_steps",
     "per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps",
     "max_length", "assistant_only_loss", "packing", "learning_rate", "lr_scheduler_type",
     "warmup_steps", "max_grad_norm", "optim", "weight_decay", "logging_steps", "eval_strategy", "eval_on_start",
     "eval_steps", "save_strategy", "save_steps", "save_total_limit", "seed", "data_seed",
     "report_to", "include_num_input_tokens_seen", "ddp_find_unused_parameters",
     "dataloader_pin_memory", "disable_tqdm"),
    where="course_utils.training.config.sft_config")
SFT_TRAINER = LibraryCall(
    "trl.SFTTrainer",
    ("model", "args", "processing_class", "train_dataset", "eval_dataset", "callbacks"),
    where="course_utils.training.run._trainer")

CALLS = (SFT_CONFIG, SFT_TRAINER)


def trainer_kwargs(model, args, tokenizer, train_dataset, eval_dataset, callbacks) -> dict:
    """Lesson 05. `SFTTrainer` keywords: the model with its adapters, the `SFTConfig`, the
    tokenizer (TRL's `processing_class`), the two datasets and the callbacks."""
    return SFT_TRAINER.kwargs(dict(model=model, args=args, processing_class=tokenizer,
                                   train_dataset=train_dataset, eval_dataset=eval_dataset,
                                   callbacks=callbacks))
