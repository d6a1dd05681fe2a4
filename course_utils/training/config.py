"""Lesson 05: the settings of a training run, built from the profile: which LoRA adapters, which
trainer settings, which rows, and the record a run keeps of what it was started with.

    `profile_for`        the profile of a preset name on this machine
    `lora_config`        rank, scale, dropout, target layers (`TARGETS`)
    `adapter_dtype_for`, `learning_rate_for`   the two values that change with the hardware
    `sft_settings` / `sft_config`   TRL's `SFTConfig` keyword arguments: every default carries its
                         reason or source on its line
    `task_rows`          lesson 04's curated rows of one task
    `run_record`         what `run_config.json` records, so that a resume can check it matches

Everything here is plain arithmetic on the profile: peft and TRL are imported only by the two
functions that build their objects, so the command line checks its arguments (and the tests check
the settings of a T4 or an H100 run) without loading torch.
The keyword names passed to peft and TRL are registered in `course_utils.model.stack` (`peft_args`,
`trl_args`), where a test checks them against the installed versions.

What this leaves out: the QLoRA quantization recipe (`course_utils.model.load.bnb_config`, the one
definition the loader uses too) and attaching the adapters to a model (`course_utils.training.run`).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

from course_utils.dataset.load import load_split
from course_utils.model.presets import PRESETS
from course_utils.model.profiles import ENV_VAR, Profile, RunSizes, choose_profile, run_sizes
from course_utils.model.stack.peft_args import LORA_CONFIG
from course_utils.model.stack.trl_args import SFT_CONFIG
from course_utils.paths import run_dir

if TYPE_CHECKING:
    from peft import LoraConfig
    from trl import SFTConfig

TARGETS = {
    "all-linear": "all-linear",    # every linear layer of the blocks (PEFT leaves lm_head out)
    "qv": ["q_proj", "v_proj"],    # the original LoRA paper's choice (Hu et al. 2021, §7.1)
}


def profile_for(preset: str | Profile | None = None) -> Profile:
    """Lesson 05. The profile for `preset` on this machine (None: what the hardware suggests)."""
    if isinstance(preset, Profile):
        return preset
    if preset is None:
        return choose_profile()
    if not isinstance(preset, str) or preset.strip().lower() not in PRESETS:
        raise ValueError(f"preset={preset!r} is not a course preset; choose one of {', '.join(PRESETS)}")
    return choose_profile(env={ENV_VAR: preset.strip().lower()})


def lora_config(targets: str = "all-linear", r: int = 16, alpha: int | None = None,
                dropout: float = 0.05) -> "LoraConfig":
    """Lesson 05. The LoRA adapters: rank `r`, scale alpha/r, which linear layers get one.

    targets: "all-linear" (default) or "qv". r=16: the seeds' default (8 for simple tasks, 32-64
    for complex domains). alpha=2r: the seeds' "alpha = r or 2r"; the update is scaled by alpha/r.
    """
    from peft import LoraConfig

    if targets not in TARGETS:
        raise ValueError(f"targets={targets!r}: choose one of {', '.join(TARGETS)}")
    if not isinstance(r, int) or r < 1:
        raise ValueError(f"r={r!r}: the LoRA rank must be a positive int (8, 16, 32, 64 are usual)")
    return LoraConfig(**LORA_CONFIG.kwargs(dict(
        r=r,
        lora_alpha=lora_alpha(r, alpha),  # scale alpha/r = 2 (seeds: alpha = r or 2r)
        lora_dropout=dropout,        # light regularisation; QLoRA used 0.05-0.1 (Dettmers et al. 2023, App. B)
        target_modules=TARGETS[targets],  # all linear layers: QLoRA §4 found it needed to match full FT
        bias="none",                 # biases stay frozen: nothing to save but A and B
        task_type="CAUSAL_LM",
    )))


def lora_alpha(r: int, alpha: int | None = None) -> int:
    """Lesson 05. LoRA's alpha: `alpha` when given, else 2r (the update is scaled by alpha/r = 2)."""
    return 2 * r if alpha is None else alpha


def adapter_dtype_for(profile: Profile) -> str:
    """Lesson 05. The dtype the LoRA weights train in under `profile`.

    bf16 on bf16 GPUs (TRL's choice for QLoRA, after the QLoRA paper); fp32 under fp16 (T4):
    fp16 loss scaling cannot unscale bf16 gradients ("_amp_foreach_non_finite_check_and_unscale_cuda
    not implemented for 'BFloat16'": huggingface/trl#4901, unslothai/unsloth#4005, 2026), and fp32
    on CPU, where the base computes in fp32 too and bf16 LoRA matmuls ran 2.5x slower (measured).
    """
    return "bfloat16" if profile.compute_dtype == "bfloat16" else "float32"


def learning_rate_for(profile: Profile) -> float:
    """Lesson 05. 2e-4 for 7B models (QLoRA paper, App. B); 2e-3 for the 4 M-parameter tiny model,
    whose CPU runs of 60-100 steps would barely move at 2e-4 (measured on lesson 06's mix, 100
    steps: held-out loss 7.2 -> 1.19 at 2e-3); 1e-3 for the 135 M-parameter smol model, whose
    40-step CPU run learns the answer formats at 1e-3 with warm-up and linear decay (measured:
    triage JSON valid 12/12, moderation 9/10 after 40 steps)."""
    if profile.name == "smol":
        return 1e-3
    return 2e-3 if profile.is_tiny else 2e-4


def steps_for(sizes: RunSizes, max_steps: int | None = None, save_steps: int | None = None) -> tuple[int, int]:
    """Lesson 05. (max_steps, save_steps) of a run: the given values, else the profile's sizes."""
    return (sizes.max_steps if max_steps is None else max_steps), (save_steps or sizes.save_steps)


def sft_settings(profile: Profile, output_dir, *, sizes: RunSizes | None = None,
                 max_steps: int | None = None, save_steps: int | None = None, seed: int = 0,
                 learning_rate: float | None = None) -> dict:
    """Lesson 05. The `SFTConfig` keyword arguments for `profile` (a plain dict, so tests can check
    a T4 / A100 / H100 run on a laptop, where SFTConfig itself refuses fp16 and bf16)."""
    sizes = sizes or run_sizes(profile)
    on_gpu = profile.hardware.device == "cuda"
    steps, save = steps_for(sizes, max_steps, save_steps)
    tensorboard = importlib.util.find_spec("tensorboard") is not None
    return dict(
        output_dir=str(output_dir),                # checkpoint-N/ and TensorBoard runs/ go here
        use_cpu=not on_gpu,                        # CPU run: no accelerator lookup, plain fp32
        bf16=profile.compute_dtype == "bfloat16",  # A100/H100: bf16 autocast, no loss scaling
        fp16=profile.compute_dtype == "float16",   # T4: no bf16 hardware, fp16 with loss scaling
        activation_checkpointing=True,             # keep 1 tensor per layer, recompute the rest (lesson 02)
        activation_checkpointing_kwargs={"use_reentrant": False},  # torch's recommended mode
        num_train_epochs=1,                        # seeds: one pass is usually enough, more memorises
        max_steps=steps,                           # profile: 60 on CPU; -1 (GPU): the whole epoch
        per_device_train_batch_size=sizes.batch_size,  # profile: 8 on CPU, 4 x 512 tokens on a T4
        per_device_eval_batch_size=sizes.batch_size,   # same shapes as training: no new peak
        gradient_accumulation_steps=sizes.grad_accum,  # profile: effective batch 16 on a GPU
        max_length=sizes.max_seq_len,              # curation already drops longer rows
        assistant_only_loss=True,                  # learn the answers, not the prompts (lesson 04)
        packing=False,                             # padding-free packing needs FlashAttention
        learning_rate=learning_rate or learning_rate_for(profile),  # see learning_rate_for
        lr_scheduler_type="linear" if profile.name == "smol" else "constant",  # QLoRA paper, App. B;
        warmup_steps=max(1, steps // 10) if profile.name == "smol" else 0,  # smol: 1e-3 needs a warm-up
        max_grad_norm=0.3,                         # QLoRA paper, App. B
        optim="paged_adamw_32bit" if on_gpu else "adamw_torch",  # QLoRA §3 paged optimizer (CUDA only)
        weight_decay=0.0,                          # adapters start at zero; nothing to decay towards
        logging_steps=max(1, save // 4) if profile.is_tiny else 10,  # ~12 points on the tiny curve
        eval_strategy="steps",                     # evaluate on a step schedule ...
        eval_on_start=True,                        # the base's eval loss: step 0 of the curve
        eval_steps=save,                           # one validation loss per checkpoint
        save_strategy="steps",                     # ... and checkpoint on the same one
        save_steps=save,                           # seeds: every 100-200 steps on a GPU run
        save_total_limit=2,                        # newest + one before it (disk: ~3x adapter each)
        seed=seed,                                 # LoRA init, dropout: the same run twice
        data_seed=seed,                            # data order is part of a reproducible resume
        report_to=["tensorboard"] if tensorboard else "none",  # local event files; never an account service
        include_num_input_tokens_seen="non_padding",  # tokens/s counts real tokens only
        ddp_find_unused_parameters=False,          # every adapter gets a gradient; skips a graph scan
        dataloader_pin_memory=on_gpu,              # pinning only helps host-to-GPU copies
        disable_tqdm=False,                        # keep the progress bar even with quiet() logging
    )


def sft_config(profile: Profile, output_dir, **kwargs) -> "SFTConfig":
    """Lesson 05. `SFTConfig(**sft_settings(profile, output_dir, **kwargs))`; a keyword missing
    from trl_args' registry (`SFT_CONFIG`) is refused before TRL sees it."""
    from trl import SFTConfig

    return SFTConfig(**SFT_CONFIG.kwargs(sft_settings(profile, output_dir, **kwargs)))


def task_rows(split: str, n: int | None = None, task: str = "triage") -> list[dict]:
    """Lesson 05. Up to `n` chat rows of `task` from a curated split of lesson 04 (data/tasks):
    "train", "validation" or "test" (in the file's order, so the same rows every time)."""
    if split not in ("train", "validation", "test"):
        raise ValueError(f"split={split!r}: choose 'train', 'validation' or 'test'")
    rows = [r for r in load_split(split) if r.get("task") == task]
    if not rows:
        raise ValueError(f"the {split} split holds no rows of task {task!r}")
    return rows if n is None else rows[:n]


def default_output_dir(profile: Profile) -> Path:
    """Lesson 05. runs/05_<preset> at the repository root (git-ignored)."""
    return run_dir("05", profile.name)


def env_rank() -> tuple[int, int]:
    """Lesson 05. (rank, world size) of this process under torchrun / accelerate launch; (0, 1) otherwise."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def run_record(profile: Profile, sizes: RunSizes, *, quantization: str, targets: str, r: int,
               alpha: int | None, seed: int, learning_rate: float | None, adapter_dtype: str,
               max_steps: int | None, save_steps: int | None, world_size: int) -> dict:
    """Lesson 05. What `run_config.json` records about a run (the values the trainer really uses);
    a resume must match it, except for the keys in `course_utils.training.checkpoints.RESUME_MAY_CHANGE`."""
    steps, save = steps_for(sizes, max_steps, save_steps)
    return dict(preset=profile.name, quantization=quantization, targets=targets, r=r,
                alpha=lora_alpha(r, alpha), seed=seed,
                learning_rate=learning_rate or learning_rate_for(profile),
                batch_size=sizes.batch_size, grad_accum=sizes.grad_accum, world_size=world_size,
                max_seq_len=sizes.max_seq_len, adapter_dtype=adapter_dtype,
                max_steps=steps, save_steps=save)


# The ranges a run's numbers must fall in: (lowest, highest or None, what a valid value is).
# train() and the command line check the same table (the command line names the flag instead).
SETTING_RANGES = {
    "max_steps": (-1, None, "a positive number of optimizer steps, or -1 for one pass over the data"),
    "save_steps": (1, None, "a positive number of steps between checkpoints"),
    "seed": (0, 2**32 - 1, "a whole number from 0 to 2**32 - 1"),
    "r": (1, 1024, "the LoRA rank, a positive whole number (8, 16, 32, 64 are usual)"),
    "learning_rate": (1e-8, 0.1, "a learning rate above 0 and at most 0.1 (LoRA uses 1e-5 to 1e-2)"),
    "train_examples": (1, None, "a positive number of training rows"),
    "eval_examples": (1, None, "a positive number of validation rows"),
    "batch_size": (1, None, "a positive number of rows per step and process"),
    "grad_accum": (1, None, "a positive number of batches per optimizer step"),
    "max_seq_len": (16, None, "a length in tokens of at least 16"),
    "interrupt_at_step": (1, None, "the step, from 1, at which the rehearsal sends SIGTERM"),
}


def setting_problem(name: str, value) -> str | None:
    """Lesson 05. Why `value` cannot be the run's `name` (None: it can, or it is None = the default).

    Steps and sizes are whole numbers; `max_steps` 0 would train nothing and below -1 means
    nothing, so both are refused rather than silently read as "one step" or "one epoch".
    """
    if value is None or name not in SETTING_RANGES:
        return None
    low, high, what = SETTING_RANGES[name]
    whole = name != "learning_rate"
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        return f"must be {what}"
    if value != value or value < low or (high is not None and value > high) \
            or (name == "max_steps" and value == 0):   # value != value: NaN
        return f"must be {what}"
    return None
