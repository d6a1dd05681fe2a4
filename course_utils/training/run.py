"""Lesson 05: a real QLoRA run — 4-bit NF4 base, LoRA adapters, TRL's SFT trainer — that survives
preemption and scales to several processes. The same code runs the tiny model on a laptop CPU and
a 7B model on a T4, an A100 or an H100; only sizes and dtypes change with the profile.

    builders   `bnb_config` (reused from `course_utils.model.load`), `lora_config`, `sft_settings` /
               `sft_config`: every default carries its reason or source on its line
    `train`    load (or take) the base, attach LoRA, train on the curated triage data, save the
               adapter, and return a `RunSummary` (steps, tokens/s, trainable %, peak memory
               beside the lesson 02 estimate, wall time, eval loss before and after)
    CLI        python -m course_utils.train --preset tiny --output-dir runs/x [--max-steps N]
               [--save-steps N] [--seed N] [--resume]; unchanged under
               `torchrun --nproc_per_node N -m course_utils.train ...` (data parallel)

Preemption (SIGTERM/SIGINT → checkpoint → clean exit), checkpoint completeness and the resume
dtype trap live in `course_utils.training.preemption`; measurements in `course_utils.training.summary`.

What this leaves out: packing (correct padding-free attention needs FlashAttention kernels the
course does not install), FSDP sharding of the 4-bit base (`bnb_4bit_quant_storage` must then
match the compute dtype, which the course loader does not set), DeepSpeed, and merging the
adapter into the base (lesson 07 serves adapters unmerged).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import set_seed
from trl import SFTConfig, SFTTrainer

from course_utils.model.load import bnb_config, load_model  # noqa: F401  (bnb_config: the one recipe)
from course_utils.paths import REPO_ROOT, run_dir
from course_utils.training.preemption import (PreemptionCallback, last_complete_checkpoint,
                                     restore_trainable_dtypes, trainable_dtypes)
from course_utils.model.profiles import ENV_VAR, PRESETS, Profile, RunSizes, choose_profile, run_sizes
from course_utils.training.summary import (PeakMemory, RunSummary, StepTimer, dir_bytes, env_rank,
                                     memory_estimate, versions)

TARGETS = {
    "all-linear": "all-linear",    # every linear layer of the blocks (PEFT leaves lm_head out)
    "qv": ["q_proj", "v_proj"],    # the original LoRA paper's choice (Hu et al. 2021, §7.1)
}
RUN_CONFIG = "run_config.json"     # what a run was started with; a resume must match it
RESUME_MAY_CHANGE = {"max_steps", "save_steps", "world_size"}  # world size: with a warning


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
                dropout: float = 0.05) -> LoraConfig:
    """Lesson 05. The LoRA adapters: rank `r`, scale alpha/r, which linear layers get one.

    targets: "all-linear" (default) or "qv". r=16: the seeds' default (8 for simple tasks, 32-64
    for complex domains). alpha=2r: the seeds' "alpha = r or 2r"; the update is scaled by alpha/r.
    """
    if targets not in TARGETS:
        raise ValueError(f"targets={targets!r}: choose one of {', '.join(TARGETS)}")
    if not isinstance(r, int) or r < 1:
        raise ValueError(f"r={r!r}: the LoRA rank must be a positive int (8, 16, 32, 64 are usual)")
    return LoraConfig(
        r=r,
        lora_alpha=2 * r if alpha is None else alpha,  # scale alpha/r = 2 (seeds: alpha = r or 2r)
        lora_dropout=dropout,        # light regularisation; QLoRA used 0.05-0.1 (Dettmers et al. 2023, App. B)
        target_modules=TARGETS[targets],  # all linear layers: QLoRA §4 found it needed to match full FT
        bias="none",                 # biases stay frozen: nothing to save but A and B
        task_type="CAUSAL_LM",
    )


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
    steps: held-out loss 7.2 -> 1.19 at 2e-3)."""
    return 2e-3 if profile.is_tiny else 2e-4


def sft_settings(profile: Profile, output_dir, *, sizes: RunSizes | None = None,
                 max_steps: int | None = None, save_steps: int | None = None, seed: int = 0,
                 learning_rate: float | None = None) -> dict:
    """Lesson 05. The `SFTConfig` keyword arguments for `profile` (a plain dict, so tests can check
    a T4 / A100 / H100 run on a laptop, where SFTConfig itself refuses fp16 and bf16)."""
    sizes = sizes or run_sizes(profile)
    on_gpu = profile.hardware.device == "cuda"
    save = save_steps or sizes.save_steps
    try:
        import tensorboard  # noqa: F401
        report_to = ["tensorboard"]      # local event files; never a service that needs an account
    except ImportError:
        report_to = "none"
    return dict(
        output_dir=str(output_dir),                # checkpoint-N/ and TensorBoard runs/ go here
        use_cpu=not on_gpu,                        # CPU run: no accelerator lookup, plain fp32
        bf16=profile.compute_dtype == "bfloat16",  # A100/H100: bf16 autocast, no loss scaling
        fp16=profile.compute_dtype == "float16",   # T4: no bf16 hardware, fp16 with loss scaling
        activation_checkpointing=True,             # keep 1 tensor per layer, recompute the rest (lesson 02)
        activation_checkpointing_kwargs={"use_reentrant": False},  # torch's recommended mode
        num_train_epochs=1,                        # seeds: one pass is usually enough, more memorises
        max_steps=sizes.max_steps if max_steps is None else max_steps,  # -1 (GPU): the whole epoch
        per_device_train_batch_size=sizes.batch_size,  # profile: 8 on CPU, 4 x 512 tokens on a T4
        per_device_eval_batch_size=sizes.batch_size,   # same shapes as training: no new peak
        gradient_accumulation_steps=sizes.grad_accum,  # profile: effective batch 16 on a GPU
        max_length=sizes.max_seq_len,              # curation already drops longer rows
        assistant_only_loss=True,                  # learn the answers, not the prompts (lesson 04)
        packing=False,                             # padding-free packing needs FlashAttention
        learning_rate=learning_rate or learning_rate_for(profile),  # see learning_rate_for
        lr_scheduler_type="constant",              # QLoRA paper, App. B; a resume changes nothing
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
        report_to=report_to,                       # TensorBoard when installed, else nothing
        include_num_input_tokens_seen="non_padding",  # tokens/s counts real tokens only
        ddp_find_unused_parameters=False,          # every adapter gets a gradient; skips a graph scan
        dataloader_pin_memory=on_gpu,              # pinning only helps host-to-GPU copies
        disable_tqdm=False,                        # keep the progress bar even with quiet() logging
    )


def sft_config(profile: Profile, output_dir, **kwargs) -> SFTConfig:
    """Lesson 05. `SFTConfig(**sft_settings(profile, output_dir, **kwargs))`."""
    return SFTConfig(**sft_settings(profile, output_dir, **kwargs))


def task_rows(split: str, n: int | None = None, task: str = "triage") -> list[dict]:
    """Lesson 05. Up to `n` chat rows of `task` from a curated split of lesson 04 (data/tasks):
    "train", "validation" or "test" (in the file's order, so the same rows every time)."""
    from course_utils.dataset.load import load_split

    if split not in ("train", "validation", "test"):
        raise ValueError(f"split={split!r}: choose 'train', 'validation' or 'test'")
    rows = [r for r in load_split(split) if r.get("task") == task]
    if not rows:
        raise ValueError(f"the {split} split holds no rows of task {task!r}")
    return rows if n is None else rows[:n]


class CourseSFTTrainer(SFTTrainer):
    """Lesson 05. TRL's SFT trainer, resuming with the adapters' own dtype (see course_utils.training.preemption)."""

    def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
        target = self.model if model is None else model
        before = trainable_dtypes(target)
        super()._load_from_checkpoint(resume_from_checkpoint, model)  # PEFT upcasts to fp32 here
        restore_trainable_dtypes(target, before)


def default_output_dir(profile: Profile) -> Path:
    """Lesson 05. runs/05_<preset> at the repository root (git-ignored)."""
    return run_dir("05", profile.name)


def _resume_point(out: Path, resume, overwrite: bool, config: dict, rank: int) -> Path | None:
    saved = out / RUN_CONFIG
    ckpt = last_complete_checkpoint(out, move_aside=rank == 0,
                                    report=(lambda m: print(m, file=sys.stderr)) if rank == 0 else (lambda m: None))
    if overwrite:
        if rank == 0 and out.exists():
            shutil.rmtree(out)
        return None
    if resume in (True, "auto") and ckpt is not None and saved.is_file():
        old = json.loads(saved.read_text())
        diff = {k: (old.get(k), v) for k, v in config.items()
                if k not in RESUME_MAY_CHANGE and old.get(k) != v}
        if old.get("world_size") != config["world_size"] and rank == 0:
            print(f"note: {out} was trained with {old.get('world_size')} process(es), now "
                  f"{config['world_size']}: it resumes, but not bit for bit", file=sys.stderr)
        if diff:
            raise ValueError(f"{out} holds a run started with other settings {diff} (was, now); "
                             f"resume with the same settings, or pass another output_dir / overwrite=True")
        return ckpt
    if resume is True:
        raise FileNotFoundError(f"resume=True but {out} holds no complete checkpoint to resume from; "
                                f"start a new run with resume=False")
    if ckpt is not None:
        raise FileExistsError(f"{out} already holds {ckpt.name} from an earlier run. Continue it with "
                              f"resume=True (CLI: --resume), start again with overwrite=True, "
                              f"or pick another output_dir")
    return None


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
    from peft.tuners.lora import LoraLayer

    adapted, plain = set(), set()
    for name, m in model.named_modules():
        if isinstance(m, LoraLayer):
            adapted.add(name.rsplit(".", 1)[-1])
        elif (isinstance(m, torch.nn.Linear) and ".lora_" not in name
              and not name.endswith(("lm_head", "base_layer"))):
            plain.add(name.rsplit(".", 1)[-1])
    return "all-linear" if not plain else tuple(sorted(adapted))


def _load_base(name: str, quantization: str, profile: Profile):
    """load_model, on this process's GPU under multi-GPU data parallel (LOCAL_RANK)."""
    local = int(os.environ.get("LOCAL_RANK", 0))
    if profile.hardware.device != "cuda" or local == 0:
        return load_model(name, quantization, profile)
    import inspect

    if "device_map" not in inspect.signature(load_model).parameters:
        raise RuntimeError(
            f"process LOCAL_RANK={local} needs its model on cuda:{local}, but "
            f"course_utils.model.load.load_model places every model on cuda:0; multi-GPU data parallel "
            f"needs load_model(..., device_map=...). One GPU: launch with --nproc_per_node 1.")
    return load_model(name, quantization, profile, device_map={"": local})


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
    it). resume: True (continue from the last complete checkpoint, error if none), "auto"
    (continue when there is one), False (error if one exists; overwrite=True deletes it).
    interrupt_at_step: send this process a real SIGTERM at that step (a preemption rehearsal).
    Writes under output_dir: checkpoint-N/, adapter/ (when finished), log_history.json,
    run_summary.json and TensorBoard events under runs/.
    """
    from course_utils.quiet import quiet

    quiet()
    profile = profile_for(preset)
    sizes = sizes or run_sizes(profile)
    rank, world = env_rank()
    out = Path(output_dir) if output_dir is not None else default_output_dir(profile)
    adapter_dtype = adapter_dtype or adapter_dtype_for(profile)
    if model is not None:
        quantization = "nf4" if getattr(model, "is_loaded_in_4bit", False) else "none"
    if quantization not in ("nf4", "none"):
        raise ValueError(f"quantization={quantization!r}: choose 'nf4' (QLoRA) or 'none' (LoRA)")
    if resume not in (True, False, "auto"):
        raise ValueError(f"resume={resume!r}: choose True, False or 'auto'")
    lcfg = lora_config(targets, r, alpha)
    args = sft_config(profile, out, sizes=sizes, max_steps=max_steps, save_steps=save_steps,
                      seed=seed, learning_rate=learning_rate)
    config = dict(preset=profile.name, quantization=quantization, targets=targets, r=r,
                  alpha=lcfg.lora_alpha, seed=seed, learning_rate=args.learning_rate,
                  batch_size=sizes.batch_size, grad_accum=sizes.grad_accum, world_size=world,
                  max_seq_len=sizes.max_seq_len, adapter_dtype=adapter_dtype,
                  max_steps=args.max_steps, save_steps=args.save_steps)
    resume_from = _resume_point(out, resume, overwrite, config, rank)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / (RUN_CONFIG + ".tmp")  # atomic: other ranks may be reading the old one
        tmp.write_text(json.dumps(config, indent=2) + "\n")
        os.replace(tmp, out / RUN_CONFIG)

    from datasets import Dataset

    train_rows = task_rows("train", sizes.train_examples) if train_rows is None else train_rows
    eval_rows = task_rows("validation", sizes.eval_examples) if eval_rows is None else eval_rows
    train_ds = Dataset.from_list([{"messages": r_["messages"]} for r_ in train_rows])
    eval_ds = Dataset.from_list([{"messages": r_["messages"]} for r_ in eval_rows])

    set_seed(seed)  # before LoRA's random A matrices are drawn
    if model is None:
        model, tokenizer = _load_base(base or profile.name, quantization, profile)
    elif tokenizer is None:
        raise ValueError("train(model=...) needs the tokenizer that goes with it: tokenizer=...")
    peft_model = attach_lora(model, lcfg)

    preempt, timer = PreemptionCallback(interrupt_at_step=interrupt_at_step), StepTimer()
    trainer = CourseSFTTrainer(model=peft_model, args=args, train_dataset=train_ds,
                               eval_dataset=eval_ds, processing_class=tokenizer,
                               callbacks=[timer, preempt])
    for p in peft_model.parameters():  # TRL made them bf16; set the profile's dtype
        if p.requires_grad:
            p.data = p.data.to(getattr(torch, adapter_dtype))
    args.eval_on_start = eval_before and resume_from is None  # a resume has its step-0 eval

    device = profile.hardware.device
    memory = PeakMemory(device).start()
    t0 = time.perf_counter()
    try:
        trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    finally:
        preempt.uninstall()
    state = trainer.state
    # stopped_at_step, not received: under DDP a rank may stop because another got the signal
    finished = preempt.stopped_at_step is None or state.global_step >= state.max_steps
    evals = [h for h in state.log_history if "eval_loss" in h]
    if finished and (not evals or evals[-1].get("step") != state.global_step):
        trainer.evaluate()
        evals = [h for h in state.log_history if "eval_loss" in h]
    wall = time.perf_counter() - t0
    peak = memory.peak_bytes()

    adapter_dir = out / "adapter" if finished else None
    if adapter_dir is not None:
        trainer.save_model(str(adapter_dir))  # the main process writes; the others return
    trainable, total = peft_model.get_nb_trainable_parameters()
    losses = [h["loss"] for h in state.log_history if "loss" in h]
    est, note = memory_estimate(model.config, method="qlora" if quantization == "nf4" else "lora",
                                seq_len=sizes.max_seq_len, batch_size=sizes.batch_size, r=r,
                                targets=TARGETS[targets], compute_dtype=profile.compute_dtype,
                                adapter_dtype=adapter_dtype, device=device)
    ckpt = last_complete_checkpoint(out, report=lambda m: None)
    tb = sorted((out / "runs").glob("*")) if (out / "runs").is_dir() else []
    summary = RunSummary(
        status="finished" if finished else "interrupted", preset=profile.name,
        model=str(getattr(model, "name_or_path", "") or profile.preset.repo_id), device=device,
        compute_dtype=profile.compute_dtype, adapter_dtype=adapter_dtype, quantization=quantization,
        targets=targets, lora_r=r, lora_alpha=lcfg.lora_alpha, world_size=world,
        global_step=state.global_step, max_steps=state.max_steps, steps_this_run=timer.steps,
        resumed_from=str(resume_from) if resume_from else None,
        train_examples=len(train_rows), eval_examples=len(eval_rows), batch_size=sizes.batch_size,
        grad_accum=sizes.grad_accum, max_seq_len=sizes.max_seq_len, trainable_params=int(trainable),
        total_params=int(total), tokens_this_run=timer.tokens, s_per_step=timer.s_per_step(),
        tokens_per_s=timer.tokens_per_s(), wall_s=wall, peak_memory_bytes=peak,
        peak_memory_kind=memory.kind, estimate_bytes=est, estimate_note=note,
        eval_loss_before=evals[0]["eval_loss"] if evals and evals[0].get("step") == 0 else None,
        eval_loss_after=evals[-1]["eval_loss"] if evals else None,
        train_loss=losses[-1] if losses else None, output_dir=str(out),
        adapter_dir=str(adapter_dir) if adapter_dir else None,
        adapter_bytes=dir_bytes(adapter_dir) if adapter_dir and rank == 0 else None,
        last_checkpoint=str(ckpt) if ckpt else None,
        tensorboard_dir=str(tb[-1]) if tb else None, versions=versions())
    if rank == 0:
        (out / "log_history.json").write_text(json.dumps(state.log_history, indent=1) + "\n")
        summary.to_json(out / "run_summary.json")
        if not finished:
            print(f"Stopped at step {state.global_step} of {state.max_steps}; checkpoint "
                  f"{summary.last_checkpoint}. Continue with resume=True (CLI: --resume).",
                  file=sys.stderr)
    return summary


# ----------------------------------------------------------------------------------------------
# Command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m course_utils.train",
        description="Lesson 05: a QLoRA fine-tune on the curated triage data. Runs data-parallel "
                    "unchanged under `torchrun --nproc_per_node N -m course_utils.train ...`.")
    p.add_argument("--config", help="JSON file of any of the options below, e.g. "
                                     '{"preset": "tiny", "max_steps": 30}; flags given here win')
    p.add_argument("--preset", help=f"one of {', '.join(PRESETS)} (default: from the hardware)")
    p.add_argument("--model", help="a model folder or Hub id to fine-tune instead of the preset's")
    p.add_argument("--output-dir", help="where checkpoints, adapter and summary go (default runs/05_<preset>)")
    p.add_argument("--max-steps", type=int, help="optimizer steps (default: the profile's; -1 = one epoch)")
    p.add_argument("--save-steps", type=int, help="checkpoint every N steps (default: the profile's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from the last complete checkpoint")
    p.add_argument("--overwrite", action="store_true", help="delete an earlier run in --output-dir first")
    p.add_argument("--targets", choices=list(TARGETS), default="all-linear")
    p.add_argument("--r", type=int, default=16, help="LoRA rank")
    p.add_argument("--quantization", choices=["nf4", "none"], default="nf4")
    p.add_argument("--learning-rate", type=float)
    for name in ("train_examples", "eval_examples", "batch_size", "grad_accum", "max_seq_len"):
        p.add_argument("--" + name.replace("_", "-"), type=int, help="override the profile's run size")
    p.add_argument("--interrupt-at-step", type=int,
                   help="rehearse a preemption: this process sends itself SIGTERM at step N")
    return p


def parse_args(argv=None) -> argparse.Namespace:
    """Lesson 05. The command line, with `--config FILE` values as defaults under the flags."""
    p = _parser()
    args = p.parse_args(argv)
    if args.config:
        path = Path(args.config)
        try:
            cfg = json.loads(path.read_text())
        except FileNotFoundError:
            p.error(f"--config {path}: no such file")
        except ValueError as err:
            p.error(f"--config {path}: not valid JSON ({err})")
        cfg = {k.replace("-", "_"): v for k, v in cfg.items()}
        known = {a.dest for a in p._actions} - {"help", "config"}
        bad = sorted(set(cfg) - known)
        if bad:
            p.error(f"--config {path}: unknown option(s) {bad}; valid: {sorted(known)}")
        p.set_defaults(**cfg)
        args = p.parse_args(argv)
    return args


def main(argv=None) -> int:
    """Lesson 05. `python -m course_utils.train ...`; returns the exit code (0 also when preempted
    cleanly: the checkpoint is on disk and `--resume` continues it)."""
    import dataclasses

    args = parse_args(argv)
    rank, world = env_rank()
    profile = profile_for(args.preset)
    sizes = dataclasses.replace(run_sizes(profile), **{
        k: getattr(args, k) for k in ("train_examples", "eval_examples", "batch_size", "grad_accum",
                                      "max_seq_len") if getattr(args, k) is not None})
    print(f"[rank {rank}/{world}] pid {os.getpid()}: preset {profile.name} on "
          f"{profile.hardware.name} ({profile.reason})", flush=True)
    summary = train(profile, args.output_dir, base=args.model, sizes=sizes, max_steps=args.max_steps,
                    save_steps=args.save_steps, seed=args.seed, resume=args.resume,
                    overwrite=args.overwrite, targets=args.targets, r=args.r,
                    quantization=args.quantization, learning_rate=args.learning_rate,
                    interrupt_at_step=args.interrupt_at_step)
    print(f"[rank {rank}/{world}] {summary.status} at step {summary.global_step}", flush=True)
    if rank == 0:
        print(summary.table(), flush=True)
    return 0

