"""Lesson 05: a real QLoRA run — 4-bit NF4 base, LoRA adapters, TRL's SFT trainer — that survives
preemption and scales to several processes. The same code runs the tiny model on a laptop CPU and
a 7B model on a T4, an A100 or an H100; only sizes and dtypes change with the profile.

`train` loads (or takes) the base, attaches LoRA, trains on the curated triage data, saves the
adapter, and returns a `RunSummary` (steps, tokens/s, trainable %, peak memory beside the lesson 02
estimate, wall time, eval loss before and after). Its steps, in order: check the arguments and
build the settings (`_plan`), decide whether to resume before anything loads (`plan_resume`),
prepare the folder (`_prepare_folder`: `--overwrite` clears only what a run wrote), load the base
and attach the adapters, verify the checkpoint to resume from against them (`_verified_resume`),
build the trainer on rows formatted for the preset's template (`_trainer`, `_dataset`; the
template marks the replies for TRL: `course_utils.model.templates`), train (`_fit`), and measure and write the summary (`_summarise`, `_write_results`).

The settings are built in `course_utils.training.config`; checkpoints are checked and resumed in
`course_utils.training.checkpoints`, written by `course_utils.training.trainer`; preemption and
the resume dtype trap live in `course_utils.training.preemption`; measurements in
`course_utils.training.summary`; the command line in `course_utils.training.cli`.

What this leaves out: packing (correct padding-free attention needs FlashAttention kernels the
course does not install), FSDP sharding of the 4-bit base (`bnb_4bit_quant_storage` must then
match the compute dtype, which the course loader does not set), DeepSpeed, and merging the
adapter into the base (lesson 07 serves adapters unmerged).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from datasets import Dataset
from peft import LoraConfig, PeftModel, get_peft_model, get_peft_model_state_dict
from peft.tuners.lora import LoraLayer
from transformers import set_seed

from course_utils.model.load import QUANTIZATIONS, format_messages, load_model
from course_utils.model.profiles import Profile, RunSizes, run_sizes
from course_utils.model.stack import transformers_args, trl_args
from course_utils.model.templates import training_chat_template
from course_utils.noise import quiet
from course_utils.training.checkpoints import (NothingToResume, last_complete_checkpoint, plan_resume,
                                               record_run, verified_checkpoint)
from course_utils.training.config import (TARGETS, adapter_dtype_for, default_output_dir, env_rank,
                                          lora_config, profile_for, run_record, setting_problem,
                                          sft_config, task_rows)
from course_utils.training.preemption import PreemptionCallback
from course_utils.training.safe_delete import RUN, clear
from course_utils.training.summary import (PeakMemory, RunSummary, StepTimer, dir_bytes,
                                           memory_estimate, versions)
from course_utils.training.trainer import CourseSFTTrainer


@dataclass
class _Run:
    """What one call of `train` works with, once its arguments are checked."""

    profile: Profile
    sizes: RunSizes
    out: Path
    rank: int
    world: int
    quantization: str
    targets: str
    r: int
    adapter_dtype: str
    lora: LoraConfig
    args: object          # trl.SFTConfig
    config: dict          # what run_config.json records

    def say(self, message: str) -> None:
        """A note for the learner, from the main process only."""
        if self.rank == 0:
            print(message, file=sys.stderr, flush=True)


def train(preset: str | Profile | None = None, output_dir=None, *, base: str | None = None,
          model=None, tokenizer=None,
          train_rows=None, eval_rows=None, sizes: RunSizes | None = None,
          max_steps: int | None = None, save_steps: int | None = None, seed: int = 0,
          resume: bool | str = False, overwrite: bool = False, targets: str = "all-linear",
          r: int = 16, alpha: int | None = None, quantization: str = "nf4",
          learning_rate: float | None = None, adapter_dtype: str | None = None,
          eval_before: bool = True, interrupt_at_step: int | None = None) -> RunSummary:
    """Lesson 05. Fine-tune with QLoRA end to end; return the run's `RunSummary`.

    preset: the profile (model, sizes, dtypes); base: load another model than the preset's (a
    folder or a Hub id); model/tokenizer: an already loaded base (its quantization is read from
    it). resume: True (continue from the newest checkpoint that passes the checks, error if
    none), "auto" (continue when there is one), False (error if one exists). overwrite=True
    starts again: it deletes the files an earlier run wrote in output_dir and nothing else, and
    refuses (deleting nothing) when output_dir is not a run folder (see
    `course_utils.training.safe_delete`). interrupt_at_step: send this process a real SIGTERM at
    that step (a preemption rehearsal). Writes under output_dir: run_config.json, checkpoint-N/,
    adapter/ (when finished), log_history.json, run_summary.json and TensorBoard events under runs/.
    """
    quiet()
    if model is not None:
        quantization = "nf4" if getattr(model, "is_loaded_in_4bit", False) else "none"
    run = _plan(preset, output_dir, sizes=sizes, max_steps=max_steps, save_steps=save_steps,
                seed=seed, resume=resume, targets=targets, r=r, alpha=alpha,
                quantization=quantization, learning_rate=learning_rate,
                adapter_dtype=adapter_dtype, interrupt_at_step=interrupt_at_step)
    resume_from = plan_resume(run.out, resume, overwrite, run.config, report=run.say,
                              deletes=run.rank == 0)
    _prepare_folder(run, overwrite, resume_from)
    train_rows = task_rows("train", run.sizes.train_examples) if train_rows is None else train_rows
    eval_rows = task_rows("validation", run.sizes.eval_examples) if eval_rows is None else eval_rows

    set_seed(seed)  # before LoRA's random A matrices are drawn
    if model is None:
        model, tokenizer = load_model(base or run.profile.name, run.quantization, run.profile)
    elif tokenizer is None:
        raise ValueError("train(model=...) needs the tokenizer that goes with it: tokenizer=...")
    peft_model = attach_lora(model, run.lora)
    if resume_from is not None:
        resume_from = _verified_resume(run, peft_model, resume)

    run.args.eval_on_start = eval_before and resume_from is None  # a resume has its step-0 eval
    trainer, preempt, timer = _trainer(run, peft_model, tokenizer, train_rows, eval_rows,
                                       interrupt_at_step)
    finished, wall, memory, peak = _fit(trainer, preempt, resume_from, run.profile.hardware.device)
    adapter_dir = run.out / "adapter" if finished else None
    if finished:
        trainer.save_model(str(adapter_dir))  # the main process writes; the others return
    summary = _summarise(run, model, peft_model, trainer.state, timer,
                         finished=finished, wall=wall, memory=memory, peak=peak,
                         resume_from=resume_from, adapter_dir=adapter_dir,
                         n_train=len(train_rows), n_eval=len(eval_rows))
    _write_results(run, trainer.state, summary, finished)
    return summary


# ----------------------------------------------------------------------------------------------
# The steps of train()


def _plan(preset, output_dir, *, sizes, max_steps, save_steps, seed, resume, targets, r, alpha,
          quantization, learning_rate, adapter_dtype, interrupt_at_step) -> _Run:
    """Check the arguments (a ValueError naming the first bad one) and build the settings."""
    for name, value in (("max_steps", max_steps), ("save_steps", save_steps), ("seed", seed),
                        ("r", r), ("learning_rate", learning_rate),
                        ("interrupt_at_step", interrupt_at_step)):
        problem = setting_problem(name, value)
        if problem:
            raise ValueError(f"{name}={value!r}: {problem}")
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization={quantization!r}: choose 'nf4' (QLoRA) or 'none' (LoRA)")
    if resume not in (True, False, "auto"):
        raise ValueError(f"resume={resume!r}: choose True, False or 'auto'")
    profile = profile_for(preset)
    sizes = sizes or run_sizes(profile)
    for name in ("train_examples", "eval_examples", "batch_size", "grad_accum", "max_seq_len"):
        problem = setting_problem(name, getattr(sizes, name))
        if problem:
            raise ValueError(f"sizes.{name}={getattr(sizes, name)!r}: {problem}")
    rank, world = env_rank()
    out = Path(output_dir) if output_dir is not None else default_output_dir(profile)
    adapter_dtype = adapter_dtype or adapter_dtype_for(profile)
    lcfg = lora_config(targets, r, alpha)
    args = sft_config(profile, out, sizes=sizes, max_steps=max_steps, save_steps=save_steps,
                      seed=seed, learning_rate=learning_rate)
    config = run_record(profile, sizes, quantization=quantization, targets=targets, r=r, alpha=alpha,
                        seed=seed, learning_rate=learning_rate, adapter_dtype=adapter_dtype,
                        max_steps=max_steps, save_steps=save_steps, world_size=world)
    return _Run(profile, sizes, out, rank, world, quantization, targets, r, adapter_dtype, lcfg,
                args, config)


def _prepare_folder(run: _Run, overwrite: bool, resume_from: Path | None) -> None:
    """On the main process: clear an earlier run (overwrite) or set broken checkpoints aside
    (a fresh start), then record this run's settings."""
    if run.rank != 0:
        return
    if overwrite:
        kept = clear(run.out, RUN)
        if kept:
            run.say(f"overwrite: removed the earlier run's files from {run.out}; kept what the run "
                    f"did not write: {', '.join(p.name for p in kept)}")
    elif resume_from is None:
        last_complete_checkpoint(run.out, move_aside=True, report=run.say)
    record_run(run.out, run.config)


def _verified_resume(run: _Run, peft_model, resume) -> Path | None:
    """The newest checkpoint whose files open and match these adapters' shapes (broken ones are
    set aside, saying why); None, or NothingToResume under resume=True, when none does."""
    expected = {k: tuple(v.shape) for k, v in get_peft_model_state_dict(peft_model).items()}
    ckpt = verified_checkpoint(run.out, expected, move_aside=run.rank == 0, report=run.say)
    if ckpt is None and resume is True:
        raise NothingToResume(f"resume=True (command line: --resume) but no checkpoint in {run.out} "
                              f"passed the checks (each is set aside above, with why); start a new "
                              f"run without it, or with overwrite=True (--overwrite)")
    if ckpt is None:
        run.say(f"no checkpoint in {run.out} passed the checks: starting from step 0")
    return ckpt


def _trainer(run: _Run, peft_model, tokenizer, train_rows, eval_rows, interrupt_at_step):
    """The course's trainer on these rows, with the preemption callback and the step timer.

    TRL tokenizes both datasets while the trainer is built, with a template that marks the
    replies (`training_chat_template`: a marked copy for Llama 3.1 and Mistral v0.3, which TRL
    does not patch); the tokenizer gets its own template back right after, so every checkpoint
    and the adapter folder save the original.
    """
    preempt, timer = PreemptionCallback(interrupt_at_step=interrupt_at_step), StepTimer()
    preset = run.profile.preset.name
    with training_chat_template(tokenizer):
        trainer = CourseSFTTrainer(**trl_args.trainer_kwargs(
            peft_model, run.args, tokenizer, _dataset(train_rows, preset),
            _dataset(eval_rows, preset), [timer, preempt]))
    for p in peft_model.parameters():  # TRL made them bf16; set the profile's dtype
        if p.requires_grad:
            p.data = p.data.to(getattr(torch, run.adapter_dtype))
    return trainer, preempt, timer


def _dataset(rows, preset: str) -> Dataset:
    """The rows' messages as the preset's template takes them (`format_messages`: Mistral has no
    system role, so its system message is folded into the first user turn)."""
    return Dataset.from_list([{"messages": format_messages(row["messages"], preset)} for row in rows])


def _fit(trainer, preempt, resume_from, device: str):
    """Train (resuming when asked); evaluate the final step. (finished, wall s, PeakMemory, peak bytes)."""
    memory = PeakMemory(device).start()
    t0 = time.perf_counter()
    try:
        trainer.train(**transformers_args.train_kwargs(resume_from))
    finally:
        preempt.uninstall()
    state = trainer.state
    # stopped_at_step, not received: under DDP a rank may stop because another got the signal
    finished = preempt.stopped_at_step is None or state.global_step >= state.max_steps
    evals = [h for h in state.log_history if "eval_loss" in h]
    if finished and (not evals or evals[-1].get("step") != state.global_step):
        trainer.evaluate()
    return finished, time.perf_counter() - t0, memory, memory.peak_bytes()


def _summarise(run: _Run, model, peft_model, state, timer, *, finished, wall, memory, peak,
               resume_from, adapter_dir, n_train, n_eval) -> RunSummary:
    """The run's `RunSummary`, from the trainer's state and the measurements."""
    evals = [h for h in state.log_history if "eval_loss" in h]
    losses = [h["loss"] for h in state.log_history if "loss" in h]
    trainable, total = peft_model.get_nb_trainable_parameters()
    device, out = run.profile.hardware.device, run.out
    est, note = memory_estimate(model.config, method="qlora" if run.quantization == "nf4" else "lora",
                                seq_len=run.sizes.max_seq_len, batch_size=run.sizes.batch_size,
                                r=run.r, targets=TARGETS[run.targets],
                                compute_dtype=run.profile.compute_dtype,
                                adapter_dtype=run.adapter_dtype, device=device)
    ckpt = last_complete_checkpoint(out, report=lambda m: None)
    tb = sorted((out / "runs").glob("*")) if (out / "runs").is_dir() else []
    return RunSummary(
        status="finished" if finished else "interrupted", preset=run.profile.name,
        model=str(getattr(model, "name_or_path", "") or run.profile.preset.repo_id), device=device,
        compute_dtype=run.profile.compute_dtype, adapter_dtype=run.adapter_dtype,
        quantization=run.quantization, targets=run.targets, lora_r=run.r,
        lora_alpha=run.lora.lora_alpha,
        world_size=run.world, global_step=state.global_step, max_steps=state.max_steps,
        steps_this_run=timer.steps, resumed_from=str(resume_from) if resume_from else None,
        train_examples=n_train, eval_examples=n_eval, batch_size=run.sizes.batch_size,
        grad_accum=run.sizes.grad_accum, max_seq_len=run.sizes.max_seq_len,
        trainable_params=int(trainable), total_params=int(total), tokens_this_run=timer.tokens,
        s_per_step=timer.s_per_step(), tokens_per_s=timer.tokens_per_s(), wall_s=wall,
        peak_memory_bytes=peak, peak_memory_kind=memory.kind, estimate_bytes=est, estimate_note=note,
        eval_loss_before=evals[0]["eval_loss"] if evals and evals[0].get("step") == 0 else None,
        eval_loss_after=evals[-1]["eval_loss"] if evals else None,
        train_loss=losses[-1] if losses else None, output_dir=str(out),
        adapter_dir=str(adapter_dir) if adapter_dir else None,
        adapter_bytes=dir_bytes(adapter_dir) if adapter_dir and run.rank == 0 else None,
        last_checkpoint=str(ckpt) if ckpt else None,
        tensorboard_dir=str(tb[-1]) if tb else None, versions=versions())


def _write_results(run: _Run, state, summary: RunSummary, finished: bool) -> None:
    """log_history.json and run_summary.json, from the main process; a note when interrupted."""
    if run.rank != 0:
        return
    (run.out / "log_history.json").write_text(json.dumps(state.log_history, indent=1) + "\n")
    summary.to_json(run.out / "run_summary.json")
    if not finished:
        run.say(f"Stopped at step {state.global_step} of {state.max_steps}; checkpoint "
                f"{summary.last_checkpoint}. Continue with resume=True (command line: --resume).")


# ----------------------------------------------------------------------------------------------
# Adapters on the base


def attach_lora(model, config: LoraConfig):
    """Lesson 05. Wrap a base model with fresh LoRA adapters (A random, B zero: starts as the base).

    A model that already carries adapters is returned as it is, if they are the ones `config` asks for.
    """
    if not isinstance(model, PeftModel):
        return get_peft_model(model, config)
    have = model.peft_config[model.active_adapter]
    want = (config.r, config.lora_alpha, _targets_key(config.target_modules))
    got = (have.r, have.lora_alpha, _adapted_targets(model))
    if got != want:
        raise ValueError(f"the model already carries LoRA adapters with (r, alpha, targets) {got}, "
                         f"but this run asks for {want}: pass the same r/alpha/targets, or the base model")
    return model


def _targets_key(t):
    return t if isinstance(t, str) else tuple(sorted(t))


def _adapted_targets(model):
    """"all-linear" when every linear layer but lm_head carries LoRA, else the adapted names."""
    adapted, plain = set(), set()
    for name, m in model.named_modules():
        if isinstance(m, LoraLayer):
            adapted.add(name.rsplit(".", 1)[-1])
        elif (isinstance(m, torch.nn.Linear) and ".lora_" not in name
              and not name.endswith(("lm_head", "base_layer"))):
            plain.add(name.rsplit(".", 1)[-1])
    return "all-linear" if not plain else tuple(sorted(adapted))
