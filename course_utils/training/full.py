"""Lesson 05: full fine-tuning, the reference that LoRA and QLoRA are measured against.

`train_full` trains every weight of the profile's base, loaded unquantized, with the course's
trainer and the same settings as its LoRA runs (`course_utils.training.config.sft_settings`:
batch, length, schedule, clipping, assistant-only loss, the same rows formatted the same way), so
that a comparison at equal steps differs only in what trains. Two settings differ:

- the learning rate (`full_learning_rate_for`): updating every pre-trained weight needs a smaller
  step than training fresh low-rank adapters (7B: 2e-5 against 2e-4; smol: 3e-4 against 1e-3);
- no checkpoints (`save_strategy="no"`): the runs are short, and a full checkpoint (weights plus
  two AdamW moments) is 3-4x the model's size. The finished model is written into
  `output_dir/model.partial` and renamed to `output_dir/model` only once complete, so an
  interruption never leaves a half-written model where a finished one is expected.

Memory: fp32 weights, gradients and the two AdamW moments take 16 bytes per parameter (smol's
135 M parameters: about 2.2 GB, plus activations); a 7B model needs ~112 GB, more than one GPU
of the course holds, which is why the comparison runs on the smol and tiny profiles.
Under a bf16 profile the weights train in bf16 (no fp32 master copy); under fp16 (T4) they train
in fp32, because fp16 loss scaling cannot unscale fp16 gradients.

A finished run is reused: `output_dir/model/fingerprint.txt` holds a hash of the training rows,
steps, learning rate, seed, run sizes and the base's identity, and a call with the same ones
returns the saved model without training. The folder is marked by `full_config.json`;
`overwrite=True` clears only what this function wrote (`course_utils.training.safe_delete`).

What this leaves out: resuming an interrupted full fine-tune (it starts again), several
processes (DDP/FSDP, which a 7B full fine-tune would need), 8-bit optimizers and layer freezing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from course_utils.model.load import base_identity, load_model
from course_utils.model.profiles import Profile, RunSizes, run_sizes
from course_utils.model.stack import transformers_args, trl_args
from course_utils.model.stack.trl_args import SFT_CONFIG
from course_utils.model.templates import training_chat_template
from course_utils.noise import quiet
from course_utils.training.config import (adapter_dtype_for, env_rank, profile_for, setting_problem,
                                          sft_settings)
from course_utils.training.safe_delete import DeletionRefused, Maker, clear, refusal

FULL = Maker(
    what="a course full fine-tuning run",
    marker="full_config.json",
    made=("full_config.json", "full_config.json.tmp",   # the settings the run was started with
          "model", "model.partial",                     # the finished model, one being written
          "runs", "README.md"),                         # TensorBoard events, TRL's model card
    marker_keys=("preset", "max_steps", "learning_rate", "seed"),
)
FINGERPRINT = "fingerprint.txt"
RECORD = "training.json"


@dataclass
class FullRun:
    """Lesson 05. What `train_full` returns: the saved model's folder and the run's measurements
    (the ones recorded when it was trained, for a reused model)."""

    model_dir: Path
    log_history: list
    s_per_step: float | None      # median seconds per optimizer step, the first left out
    tokens_per_s: float | None    # non-padding training tokens per second
    train_loss: float | None      # mean training loss over the run (the Trainer's training_loss)
    reused: bool


def full_learning_rate_for(profile: Profile) -> float:
    """Lesson 05. The learning rate of a full fine-tune under `profile`.

    2e-5 for 7B models (common practice for full supervised fine-tuning of 7B chat models, e.g.
    Alpaca and Vicuna, against LoRA's 2e-4). For smol, 3e-4, against LoRA's 1e-3 (measured: 4
    steps on 32 rows of lesson 06's training mix, mean reply loss on 16 validation rows 4.08
    (base) -> 3.36 at 2e-5, 2.25 at 1e-4, 1.70 at 3e-4; a run this short favours large steps:
    check 1e-4 on longer runs before trusting the default there). For the 4 M-parameter tiny
    model, 2e-3, the same as its LoRA rate: a model that small, pre-trained for a few minutes
    only, takes large steps (measured: 20 steps on 160 rows of lesson 06's
    training mix, mean reply loss on 18 validation rows 6.97 (base) -> 3.33 at 2e-4, 1.49 at
    1e-3, 1.18 at 2e-3, 1.43 at 5e-3).
    """
    if profile.name == "smol":
        return 3e-4
    return 2e-3 if profile.is_tiny else 2e-5


def train_full(profile: str | Profile, output_dir, *, train_rows, eval_rows, max_steps: int,
               learning_rate: float | None = None, seed: int = 0, overwrite: bool = False,
               sizes: RunSizes | None = None) -> FullRun:
    """Lesson 05. Fine-tune every weight of the profile's base on `train_rows` for `max_steps`
    steps; save it (safetensors, with the tokenizer) to output_dir/model; return a `FullRun`.

    The eval loss on `eval_rows` is logged before and after. A finished run with the same rows,
    steps, learning rate, seed and base is returned as it is (reused=True). overwrite=True clears
    what an earlier call wrote in output_dir and trains again; a folder this function did not
    write is refused (`DeletionRefused`), and so, without overwrite, is a saved model of other
    settings. learning_rate None: `full_learning_rate_for(profile)`. sizes: the batch, accumulation
    and length (default: `run_sizes(profile)`), e.g. to match a LoRA arm's batch.
    """
    quiet()
    for name, value in (("max_steps", max_steps), ("learning_rate", learning_rate), ("seed", seed)):
        problem = setting_problem(name, value)
        if problem or (name == "max_steps" and value is None):
            raise ValueError(f"train_full({name}={value!r}): {problem or 'give the number of steps'}")
    for name, rows in (("train_rows", train_rows), ("eval_rows", eval_rows)):
        if isinstance(rows, dict) or not rows:
            raise ValueError(f"train_full({name}=...): expected a non-empty list of chat rows")
    if env_rank()[1] > 1:
        raise RuntimeError("train_full runs in one process; start it with python, not torchrun or "
                           "accelerate launch (WORLD_SIZE is above 1)")
    profile = profile_for(profile)
    lr = learning_rate or full_learning_rate_for(profile)
    out = Path(output_dir)
    model_dir, partial = out / "model", out / "model.partial"
    sizes = sizes or run_sizes(profile)
    fp = _fingerprint(profile, train_rows, sizes, max_steps=max_steps, learning_rate=lr, seed=seed)
    why = refusal(out, FULL)
    if why:
        raise DeletionRefused(why)
    if not overwrite and _finished(model_dir) == fp:
        return _saved(model_dir, reused=True)
    if overwrite:
        clear(out, FULL)
    elif model_dir.exists():
        raise FileExistsError(f"{model_dir} holds a full fine-tune of other settings (rows, steps, "
                              f"learning rate, seed or base differ); pass overwrite=True to replace "
                              f"it, or choose another output_dir")
    if partial.exists():
        shutil.rmtree(partial)          # left by a write that was cut short
    _record(out, dict(preset=profile.name, max_steps=max_steps, learning_rate=lr, seed=seed,
                      fingerprint=fp))
    record = _fit(profile, out, train_rows, eval_rows, max_steps=max_steps, lr=lr, seed=seed, sizes=sizes)
    model, tokenizer = record.pop("model"), record.pop("tokenizer")
    partial.mkdir()
    model.save_pretrained(str(partial))   # transformers 5 writes safetensors only
    tokenizer.save_pretrained(str(partial))
    (partial / RECORD).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    (partial / FINGERPRINT).write_text(fp, encoding="utf-8")   # last: marks the folder complete
    os.replace(partial, model_dir)
    return _saved(model_dir, reused=False)


def _fit(profile: Profile, out: Path, train_rows, eval_rows, *, max_steps: int, lr: float,
         seed: int, sizes: RunSizes) -> dict:
    """Load the base unquantized, train every weight, and measure; the trained model and
    tokenizer come back in the dict with the measurements."""
    import torch
    from transformers import set_seed
    from trl import SFTConfig

    from course_utils.training.run import _dataset     # the rows as the preset's template takes them
    from course_utils.training.summary import StepTimer
    from course_utils.training.trainer import CourseSFTTrainer

    set_seed(seed)
    model, tokenizer = load_model(profile.name, "none", profile)
    settings = sft_settings(profile, out, sizes=sizes, max_steps=max_steps, seed=seed, learning_rate=lr,
                            save_steps=max_steps if max_steps > 0 else None)
    settings["save_strategy"] = "no"    # no mid-run checkpoints; the final model is written at the end
    args = SFTConfig(**SFT_CONFIG.kwargs(settings))
    timer, preset = StepTimer(), profile.preset.name
    with training_chat_template(tokenizer):
        trainer = CourseSFTTrainer(**trl_args.trainer_kwargs(
            model, args, tokenizer, _dataset(train_rows, preset), _dataset(eval_rows, preset), [timer]))
    dtype = getattr(torch, adapter_dtype_for(profile))   # fp32 under fp16 loss scaling (see above)
    for p in model.parameters():
        if p.requires_grad and p.dtype != dtype:
            p.data = p.data.to(dtype)
    print(f"full fine-tuning {sum(p.numel() for p in model.parameters()):,} weights of {profile.name} "
          f"for {max_steps} steps at learning rate {lr:g}", file=sys.stderr, flush=True)
    result = trainer.train(**transformers_args.train_kwargs(None))
    state = trainer.state
    evals = [h for h in state.log_history if "eval_loss" in h]
    if not evals or evals[-1].get("step") != state.global_step:
        trainer.evaluate()
    model = trainer.model
    model.eval()
    return dict(model=model, tokenizer=tokenizer, log_history=state.log_history,
                s_per_step=timer.s_per_step(), tokens_per_s=timer.tokens_per_s(),
                train_loss=float(result.training_loss), global_step=state.global_step,
                learning_rate=lr)


def _fingerprint(profile: Profile, rows, sizes: RunSizes, **settings) -> str:
    """Rows, settings, run sizes and the base model's identity: what the saved model depends on."""
    h = hashlib.sha256(json.dumps([[m["content"] for m in r["messages"]] for r in rows]).encode())
    h.update(json.dumps(dict(settings, batch_size=sizes.batch_size, grad_accum=sizes.grad_accum,
                             max_seq_len=sizes.max_seq_len), sort_keys=True).encode())
    h.update(base_identity(profile.name).encode())
    return h.hexdigest()


def _finished(model_dir: Path) -> str | None:
    """The fingerprint of a complete saved model in `model_dir`, else None."""
    mark = model_dir / FINGERPRINT
    if not mark.is_file() or not (model_dir / RECORD).is_file():
        return None
    return mark.read_text(encoding="utf-8").strip()


def _saved(model_dir: Path, *, reused: bool) -> FullRun:
    record = json.loads((model_dir / RECORD).read_text(encoding="utf-8"))
    return FullRun(model_dir=model_dir, log_history=record["log_history"],
                   s_per_step=record["s_per_step"], tokens_per_s=record["tokens_per_s"],
                   train_loss=record["train_loss"], reused=reused)


def _record(out: Path, config: dict) -> None:
    """Write the marker file atomically (a cut-short write never leaves a broken marker)."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / (FULL.marker + ".tmp")
    tmp.write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, out / FULL.marker)
