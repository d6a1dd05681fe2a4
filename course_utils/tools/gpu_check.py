"""The ten-minute GPU check: the profile's 7B through the course's QLoRA path, with a report to paste.

    python -m course_utils.gpu_check                        this GPU, the profile's model (Hub)
    python -m course_utils.gpu_check --preset mistral-7b    another preset (gated: HF_TOKEN)
    python -m course_utils.gpu_check --model FOLDER         a model folder instead of the Hub
    python -m course_utils.gpu_check --model FOLDER --fake-hardware t4
                                                            rehearse a T4's report on any machine

Steps, in order, each timed and marked PASS / FAIL / INFO: load the base in 4-bit NF4
(`load_model`), run ~10 QLoRA steps with lesson 05's `train` at the profile's batch size and
sequence length, read the peak memory beside lesson 02's estimate, reload the saved adapter onto a
fresh base and compare its weights, and generate an answer with it. The report starts with the
versions, the GPU and the profile, so a learner or an instructor can paste it into an issue.

Everything runs on a `Source`: the hardware facts (detected, or faked with --fake-hardware, which
changes the profile, sizes and estimate but not the device things run on) and the model to load.
Without a GPU the peak memory is the process's peak RSS, labelled so, and not compared.

Exit status: 0 every step passed; 1 a step failed; 2 bad arguments; 3 (`NOTHING_TO_CHECK`) no
CUDA GPU (or one too small for a 7B) and no --model: nothing was run.

What this leaves out: several GPUs, throughput targets (tokens/s is reported, not judged), the
download itself (a first run fetches ~15 GB before the clock of the load step stops), and the
evaluation and serving lessons (06-07).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from course_utils.model.presets import PRESETS
from course_utils.model.profiles import (ENV_VAR, MIN_VRAM_GB_FOR_7B, HardwareFacts, Profile,
                                         RunSizes, choose_profile, detect_hardware, run_sizes)

NOTHING_TO_CHECK = 3
DEFAULT_STEPS = 10
QUESTION = [{"role": "system", "content": "Answer in one sentence."},
            {"role": "user", "content": "What does a QLoRA adapter change in the base model?"}]
# The course's GPUs as `detect_hardware` would describe them (GB as sold).
COURSE_GPUS = {
    "t4": HardwareFacts("cuda", "Tesla T4", 15.0, bf16=False, capability=(7, 5), gpu_count=1),
    "a100-40": HardwareFacts("cuda", "NVIDIA A100-SXM4-40GB", 40.0, bf16=True, capability=(8, 0), gpu_count=1),
    "a100-80": HardwareFacts("cuda", "NVIDIA A100-SXM4-80GB", 80.0, bf16=True, capability=(8, 0), gpu_count=1),
    "h100": HardwareFacts("cuda", "NVIDIA H100 80GB HBM3", 80.0, bf16=True, capability=(9, 0), gpu_count=1),
}


@dataclass(frozen=True)
class Source:
    """Lesson 05. What the check runs on: the facts that pick the profile, and the model."""

    facts: HardwareFacts          # what the profile, sizes and estimate are chosen from
    device: HardwareFacts         # where things really run (differs when the facts are faked)
    preset: str                   # the profile's preset (template, sizes, estimate)
    model: str                    # what load_model reads: the preset, a Hub id or a folder
    faked: bool = False

    @property
    def stand_in(self) -> bool:
        return self.model.lower() not in (self.preset, PRESETS[self.preset].repo_id.lower())


@dataclass
class Step:
    """Lesson 05. One line of the report."""

    name: str
    status: str                   # "PASS" | "FAIL" | "INFO"
    seconds: float
    detail: str


@dataclass
class Report:
    """Lesson 05. The check's findings, printable as the text to paste into an issue."""

    source: Source
    profile: Profile
    versions: dict
    steps: list[Step] = field(default_factory=list)
    started: str = ""

    @property
    def failed(self) -> list[Step]:
        return [s for s in self.steps if s.status == "FAIL"]

    def __str__(self) -> str:
        src, hw = self.source, self.source.facts
        lines = ["course GPU check (python -m course_utils.gpu_check): paste this into an issue",
                 f"date: {self.started}",
                 "versions: " + ", ".join(f"{k} {v}" for k, v in self.versions.items()),
                 f"GPU: {hw.name}, {hw.vram_gb:g} GB, compute capability "
                 f"{'.'.join(map(str, hw.capability)) if hw.capability else '-'}, bf16 "
                 f"{'yes' if hw.bf16 else 'no'}"
                 + (f"  [FAKED facts; ran on {src.device.name}]" if src.faked else ""),
                 f"profile: {self.profile.name} ({self.profile.compute_dtype}): {self.profile.reason}",
                 f"model: {src.model}" + (f" (standing in for {PRESETS[src.preset].repo_id})"
                                          if src.stand_in else ""),
                 "steps:"]
        w = max((len(s.name) for s in self.steps), default=0)
        lines += [f"  {s.status:<4}  {s.name:<{w}}  {s.seconds:6.1f} s  {s.detail}" for s in self.steps]
        total = sum(s.seconds for s in self.steps)
        verdict = "FAIL" if self.failed else "PASS"
        lines.append(f"result: {verdict} ({len(self.steps)} steps, {len(self.failed)} failed) "
                     f"in {total / 60:.1f} min")
        return "\n".join(lines)


def gather(model: str | None = None, preset: str | None = None, fake: str | None = None,
           hardware: HardwareFacts | None = None) -> Source | str:
    """Lesson 05. The `Source` to check, or why there is nothing to check (a message)."""
    device = hardware or detect_hardware()
    facts = COURSE_GPUS[fake] if fake else device
    if preset is None:
        preset = choose_profile(facts, env={}).name
    if model is None and (preset == "tiny" or (preset == "smol" and facts.device != "cuda")):
        why = ("no CUDA GPU here" if facts.device != "cuda" else
               f"{facts.name} has {facts.vram_gb:g} GB; a 7B QLoRA run wants {MIN_VRAM_GB_FOR_7B:g} GB")
        return (f"Nothing to check: {why}, so the course runs the {preset} model, which the CPU tests "
                f"already cover. On a GPU machine run `python -m course_utils.gpu_check` (add "
                f"--preset NAME to force a preset); to rehearse the report here, pass a model folder: "
                f"`--model FOLDER --fake-hardware t4`.")
    if device.device != "cuda" and model is None:
        return (f"Nothing to check: no CUDA GPU here, and a {preset} model does not run on a CPU in "
                f"ten minutes. Run this on the GPU machine, or pass --model FOLDER to rehearse.")
    return Source(facts, device, preset, model or preset, faked=fake is not None)


def check_sizes(profile: Profile, steps: int) -> RunSizes:
    """Lesson 05. The profile's batch and sequence length, `steps` optimizer steps, no accumulation."""
    s = run_sizes(profile)
    return RunSizes(train_examples=steps * s.batch_size, eval_examples=s.batch_size, max_steps=steps,
                    batch_size=s.batch_size, grad_accum=1, max_seq_len=s.max_seq_len, save_steps=steps)


def run_check(source: Source, out_dir, steps: int = DEFAULT_STEPS) -> Report:
    """Lesson 05. Run every step on `source`; a failing step ends the check (later steps need it)."""
    from course_utils.training.summary import versions

    chosen = choose_profile(source.facts, env={})
    profile = chosen if chosen.name == source.preset else choose_profile(
        source.facts, env={ENV_VAR: source.preset})
    runner = choose_profile(source.device, env={ENV_VAR: source.preset})  # where things run
    report = Report(source, profile, versions(),
                    started=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    state: dict = {"out": Path(out_dir)}
    for name, fn in ((f"load {source.preset} in 4-bit", _load), (f"train {steps} QLoRA steps", _train),
                     ("peak memory vs lesson 02", _memory), ("save + reload adapter", _reload),
                     ("generate with the adapter", _generate)):
        t0 = time.perf_counter()
        try:
            status, detail = fn(source, profile, runner, state, steps)
        except Exception as err:  # the report must say which step broke, and how
            status, detail = "FAIL", f"{type(err).__name__}: {str(err).splitlines()[0][:300] if str(err) else ''}"
        report.steps.append(Step(name, status, time.perf_counter() - t0, detail))
        if status == "FAIL":
            break
    return report


# ----------------------------------------------------------------------------------------------
# The steps: fn(source, profile, runner, state, steps) -> (status, detail)


def _load(source, profile, runner, state, steps):
    from course_utils.model.load import linear_layer_summary, load_model

    model, tok = load_model(source.model, quantization="nf4", profile=runner)
    state.update(model=model, tokenizer=tok)
    layers = linear_layer_summary(model)
    ok = layers.get("Linear4bit", 0) > 0
    return ("PASS" if ok else "FAIL"), f"{type(model).__name__}, linear layers {layers}"


def _train(source, profile, runner, state, steps):
    from course_utils.training.run import train

    sizes = check_sizes(profile, steps)
    run = state["out"] / "run"
    summary = train(runner, run, model=state.pop("model"), tokenizer=state["tokenizer"], sizes=sizes,
                    overwrite=run.exists(), eval_before=False)
    state["summary"] = summary
    ok = summary.status == "finished" and summary.global_step == steps and summary.adapter_dir
    return ("PASS" if ok else "FAIL"), (
        f"{summary.global_step} steps of {sizes.batch_size} x <={sizes.max_seq_len} tokens, "
        f"{summary.s_per_step or 0:.2f} s/step, {summary.tokens_per_s or 0:,.0f} tokens/s, "
        f"train loss {summary.train_loss or float('nan'):.3f}, "
        f"eval loss {summary.eval_loss_after or float('nan'):.3f}")


def _memory(source, profile, runner, state, steps):
    from course_utils.training.config import TARGETS, adapter_dtype_for
    from course_utils.training.summary import memory_estimate

    s, gb = state["summary"], 1e9
    sizes = check_sizes(profile, steps)
    est_7b, _ = memory_estimate(PRESETS[source.preset].repo_id, method="qlora",
                                seq_len=sizes.max_seq_len, batch_size=sizes.batch_size, r=s.lora_r,
                                targets=TARGETS[s.targets], compute_dtype=profile.compute_dtype,
                                adapter_dtype=adapter_dtype_for(profile), device="cuda")
    on_7b = (f"lesson 02 for {source.preset} on {source.facts.name}: "
             f"{est_7b / gb:.1f} GB of {source.facts.vram_gb:g}" if est_7b else "")
    peak = f"peak {s.peak_memory_bytes / gb:.2f} GB ({s.peak_memory_kind})"
    if source.device.device != "cuda":
        return "INFO", (f"{peak}: process RSS on the CPU, not comparable with the GPU estimate; "
                        f"estimate for this run {(s.estimate_bytes or 0) / gb:.2f} GB; {on_7b}")
    within = s.estimate_bytes is not None and s.peak_memory_bytes <= 1.1 * s.estimate_bytes
    return ("PASS" if within else "FAIL"), (
        f"{peak}, torch.cuda.max_memory_allocated; lesson 02 estimate {(s.estimate_bytes or 0) / gb:.2f} GB "
        f"(tensors, sequences at full length; PASS when peak <= 1.1 x estimate); {on_7b}")


def _reload(source, profile, runner, state, steps):
    import torch
    from peft import PeftModel, get_peft_model_state_dict
    from safetensors.torch import load_file

    from course_utils.model.load import load_model

    adapter = Path(state["summary"].adapter_dir)
    saved = load_file(str(adapter / "adapter_model.safetensors"))
    gc.collect()  # the trained model is no longer referenced: free its memory before a second base
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    base, _ = load_model(source.model, quantization="nf4", profile=runner)
    model = PeftModel.from_pretrained(base, str(adapter))
    loaded = get_peft_model_state_dict(model)
    worst = max(float((saved[k].float() - loaded[k].float().cpu()).abs().max()) for k in saved)
    state["reloaded"] = model
    ok = set(saved) == set(loaded) and worst == 0.0
    return ("PASS" if ok else "FAIL"), (f"{len(saved)} tensors, {sum(f.stat().st_size for f in adapter.iterdir()) / 1e6:.1f} MB "
                                        f"in {adapter}; largest difference after reload {worst:g}")


def _generate(source, profile, runner, state, steps):
    from course_utils.model.load import chat

    text = chat(state["reloaded"], state["tokenizer"], QUESTION, max_new_tokens=24,
                preset_name=source.preset)
    return ("PASS" if isinstance(text, str) else "FAIL"), f"{len(text)} characters: {text[:80]!r}"


# ----------------------------------------------------------------------------------------------
# The command line


def main(argv: list[str] | None = None) -> int:
    """Lesson 05. Run the check and print the report; see the module docstring for the exit status."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.gpu_check",
                                     description="Ten-minute check of the 7B QLoRA path on this GPU.")
    parser.add_argument("--preset", choices=[p for p in PRESETS if p != "tiny"],
                        help="the profile's preset (default: the one the hardware gets)")
    parser.add_argument("--model", help="load this folder or Hub id instead of the preset's model")
    parser.add_argument("--fake-hardware", choices=sorted(COURSE_GPUS),
                        help="pick the profile, sizes and estimate as on this GPU (runs here)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="QLoRA steps (default 10)")
    parser.add_argument("--out", help="folder for the run and report.txt (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps {args.steps}: give a positive number of steps")
    source = gather(args.model, args.preset, args.fake_hardware)
    if isinstance(source, str):
        print(source)
        return NOTHING_TO_CHECK
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="gpu_check_"))
    print(f"running the GPU check ({args.steps} steps) in {out} ...", file=sys.stderr, flush=True)
    with contextlib.redirect_stdout(sys.stderr):  # the trainer's log lines: stdout keeps the report
        report = run_check(source, out, args.steps)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.txt").write_text(str(report) + "\n")
    print(report)
    return 1 if report.failed else 0
