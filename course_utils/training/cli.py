"""Lesson 05: `python -m course_utils.train`, the command line of `train`.

    python -m course_utils.train --preset tiny --output-dir runs/x [--max-steps N] [--save-steps N]
        [--seed N] [--resume | --overwrite] [--config run.json] ...

It runs unchanged under `torchrun --nproc_per_node N -m course_utils.train ...` or `accelerate
launch --multi_gpu ...` (data parallel). Every argument is checked before the model or the data
load, in two rounds: the values themselves (ranges, choices, paths) before torch is even
imported, then the output folder against the run that was asked for (resume, start fresh, or
refuse). A learner's mistake is an argparse usage error (exit status 2) that names the flag, the
value and the fix; never a Python traceback.

What this leaves out: launching the processes of a data-parallel run (torchrun or accelerate do),
and options of `train` that only make sense from Python (an already loaded model, custom rows).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path

from course_utils.model.load import QUANTIZATIONS
from course_utils.model.presets import PRESETS
from course_utils.model.profiles import run_sizes
from course_utils.training.checkpoints import RunFolderError, output_path_problem, plan_resume
from course_utils.training.config import (TARGETS, adapter_dtype_for, default_output_dir, env_rank,
                                          profile_for, run_record, setting_problem)
from course_utils.training.safe_delete import RUN, DeletionRefused, refusal

SIZES = ("train_examples", "eval_examples", "batch_size", "grad_accum", "max_seq_len")
NUMBERS = ("max_steps", "save_steps", "seed", "r", "learning_rate", "interrupt_at_step", *SIZES)
CHOICES = {"preset": tuple(PRESETS), "targets": tuple(TARGETS), "quantization": QUANTIZATIONS}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m course_utils.train",
        description="Lesson 05: a QLoRA fine-tune on the curated triage data. Runs data-parallel "
                    "unchanged under `torchrun --nproc_per_node N -m course_utils.train ...`.")
    p.add_argument("--config", help="JSON file of any of the options below, e.g. "
                                     '{"preset": "tiny", "max_steps": 30}; flags given here win')
    p.add_argument("--preset", choices=CHOICES["preset"], help="default: from the hardware")
    p.add_argument("--model", help="a model folder or Hub id to fine-tune instead of the preset's")
    p.add_argument("--output-dir", help="where checkpoints, adapter and summary go (default runs/05_<preset>)")
    p.add_argument("--max-steps", type=int, help="optimizer steps (default: the profile's; -1 = one epoch)")
    p.add_argument("--save-steps", type=int, help="checkpoint every N steps (default: the profile's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true",
                   help="continue from the newest checkpoint that passes the checks")
    p.add_argument("--overwrite", action="store_true",
                   help="start again: delete the files an earlier run wrote in --output-dir (only "
                        "those; a folder that is not a run folder is refused)")
    p.add_argument("--targets", choices=CHOICES["targets"], default="all-linear")
    p.add_argument("--r", type=int, default=16, help="LoRA rank")
    p.add_argument("--quantization", choices=CHOICES["quantization"], default="nf4")
    p.add_argument("--learning-rate", type=float)
    for name in SIZES:
        p.add_argument(_flag(name), type=int, help="override the profile's run size")
    p.add_argument("--interrupt-at-step", type=int,
                   help="rehearse a preemption: this process sends itself SIGTERM at step N")
    return p


def parse_args(argv=None, parser: argparse.ArgumentParser | None = None) -> argparse.Namespace:
    """Lesson 05. The command line, with `--config FILE` values as defaults under the flags."""
    p = parser or _parser()
    args = p.parse_args(argv)
    if args.config:
        path = Path(args.config)
        try:
            cfg = json.loads(path.read_text())
        except (FileNotFoundError, IsADirectoryError):
            p.error(f"--config {path}: no such file")
        except ValueError as err:
            p.error(f"--config {path}: not valid JSON ({err})")
        if not isinstance(cfg, dict):
            p.error(f"--config {path}: must hold a JSON object of options, e.g. {{\"max_steps\": 30}}")
        cfg = {k.replace("-", "_"): v for k, v in cfg.items()}
        known = {a.dest for a in p._actions} - {"help", "config"}
        bad = sorted(set(cfg) - known)
        if bad:
            p.error(f"--config {path}: unknown option(s) {bad}; valid: {sorted(known)}")
        p.set_defaults(**cfg)
        args = p.parse_args(argv)
    return args


def check_values(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Lesson 05. Usage errors for values no run could use: ranges, choices, paths (no torch needed)."""
    for name in NUMBERS:
        value = getattr(args, name)
        problem = setting_problem(name, value)
        if problem:
            p.error(f"{_flag(name)} {value}: {problem}")
    for name, choices in CHOICES.items():   # --config values bypass argparse's own choices
        value = getattr(args, name)
        if value is not None and value not in choices:
            p.error(f"{_flag(name)} {value!r}: choose one of {', '.join(choices)}")
    if args.resume and args.overwrite:
        p.error("--resume and --overwrite contradict each other: --resume continues the run in "
                "--output-dir, --overwrite starts it again; give one")
    if args.output_dir is not None:
        out = Path(args.output_dir)
        problem = output_path_problem(out)
        if problem:
            p.error(f"--output-dir {out}: {problem}")
        why = refusal(out, RUN) if args.overwrite and env_rank()[0] == 0 else None
        if why:
            p.error(f"--overwrite: {why}")
    model = args.model
    if model and model.startswith(("/", "./", "../", "~")) and not Path(model).expanduser().is_dir():
        p.error(f"--model {model}: no such folder (give a model folder, or a Hub id like "
                f"Qwen/Qwen2.5-7B-Instruct)")


def main(argv=None) -> int:
    """Lesson 05. `python -m course_utils.train ...`; returns the exit code (0 also when preempted
    cleanly: the checkpoint is on disk and `--resume` continues it)."""
    p = _parser()
    args = parse_args(argv, p)
    check_values(p, args)
    rank, world = env_rank()
    try:
        profile = profile_for(args.preset)
    except ValueError as err:  # COURSE_PROFILE set to something that is not a preset
        p.error(str(err))
    sizes = dataclasses.replace(run_sizes(profile), **{
        k: getattr(args, k) for k in SIZES if getattr(args, k) is not None})
    out = Path(args.output_dir) if args.output_dir is not None else default_output_dir(profile)
    config = run_record(profile, sizes, quantization=args.quantization, targets=args.targets,
                        r=args.r, alpha=None, seed=args.seed, learning_rate=args.learning_rate,
                        adapter_dtype=adapter_dtype_for(profile), max_steps=args.max_steps,
                        save_steps=args.save_steps, world_size=world)
    try:
        plan_resume(out, args.resume, args.overwrite, config, deletes=rank == 0)
    except (RunFolderError, DeletionRefused) as err:
        p.error(str(err))
    print(f"[rank {rank}/{world}] pid {os.getpid()}: preset {profile.name} on "
          f"{profile.hardware.name} ({profile.reason})", flush=True)
    # torch, transformers and TRL load only now, so that every usage error above comes at once.
    from course_utils.training.run import train

    try:
        summary = train(profile, out, base=args.model, sizes=sizes, max_steps=args.max_steps,
                        save_steps=args.save_steps, seed=args.seed, resume=args.resume,
                        overwrite=args.overwrite, targets=args.targets, r=args.r,
                        quantization=args.quantization, learning_rate=args.learning_rate,
                        interrupt_at_step=args.interrupt_at_step)
    except (RunFolderError, DeletionRefused) as err:  # found once the adapters' shapes are known
        p.error(str(err))
    print(f"[rank {rank}/{world}] {summary.status} at step {summary.global_step}", flush=True)
    if rank == 0:
        print(summary.table(), flush=True)
    return 0
