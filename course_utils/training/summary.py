"""Lesson 05: what a training run measured about itself: speed, memory, trainable share, losses.

`PeakMemory` measures the peak of a block of code: on a GPU the CUDA caching allocator's
`max_memory_allocated` (what tensors held; `nvidia-smi` shows more, the allocator's reserve and
the CUDA context); on a CPU the process's peak resident set size (Linux: `VmHWM` in
/proc/self/status, reset through /proc/self/clear_refs; elsewhere the peak since the process
started). A CPU figure therefore includes the Python interpreter and the torch libraries
(~0.4 GB), which the lesson 02 estimator (a GPU model) does not count.

`StepTimer` times the optimizer steps alone (forward, backward, update), not evaluation or
checkpoint writes, so s/step and tokens/s describe training throughput.

`RunSummary` is what `course_utils.training.run.train` returns and writes to `run_summary.json`.

What this leaves out: GPU utilisation and FLOPs (MFU) — a 7B QLoRA step on a T4 is bound by
dequantization and memory traffic, and the course compares runs by tokens/s instead.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from transformers import TrainerCallback

GB = 1e9  # decimal GB, as the lesson 02 estimator and GPU spec sheets print them


class PeakMemory:
    """Lesson 05. Peak memory of what runs between `start()` and `peak_bytes()`."""

    def __init__(self, device: str = "cpu"):
        self.device = device
        self.kind = ""

    def start(self) -> "PeakMemory":
        if self.device == "cuda":
            import torch

            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.kind = "CUDA max allocated"
        elif _reset_peak_rss():
            self.kind = "peak RSS"
        else:
            self.kind = "peak RSS since the process started"
        return self

    def peak_bytes(self) -> int:
        if self.device == "cuda":
            import torch

            torch.cuda.synchronize()
            return int(torch.cuda.max_memory_allocated())
        hwm = _vm_hwm_bytes()
        if hwm is not None:
            return hwm
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(rss if sys.platform == "darwin" else rss * 1024)  # bytes on macOS, KiB on Linux


def _reset_peak_rss() -> bool:
    try:  # Linux >= 4.0: writing 5 resets the peak RSS (VmHWM) to the current RSS
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _vm_hwm_bytes() is not None
    except OSError:
        return False


def _vm_hwm_bytes() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class StepTimer(TrainerCallback):
    """Lesson 05. Wall time and input tokens of each optimizer step of this process's run."""

    def __init__(self):
        self.step_seconds: list[float] = []
        self.step_tokens: list[int] = []   # non-padding tokens, summed over all processes
        self._t0 = 0.0
        self._tokens0 = 0

    def on_step_begin(self, args, state, control, **kwargs):
        self._tokens0 = int(state.num_input_tokens_seen or 0)
        self._t0 = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.step_seconds.append(time.perf_counter() - self._t0)
        self.step_tokens.append(int(state.num_input_tokens_seen or 0) - self._tokens0)

    @property
    def steps(self) -> int:
        return len(self.step_seconds)

    @property
    def tokens(self) -> int:
        """Non-padding tokens trained on in this run, summed over all processes."""
        return sum(self.step_tokens)

    def _steady(self) -> slice:
        return slice(1 if self.steps > 1 else 0, None)  # the first step pays one-off warm-up

    def s_per_step(self) -> float | None:
        """Median seconds per step, leaving out the first."""
        xs = sorted(self.step_seconds[self._steady()])
        return xs[len(xs) // 2] if xs else None

    def tokens_per_s(self) -> float | None:
        """Tokens per second over the steps after the first."""
        sec, tok = sum(self.step_seconds[self._steady()]), sum(self.step_tokens[self._steady()])
        return tok / sec if sec > 0 and tok else None


def memory_estimate(model_config, *, method: str, seq_len: int, batch_size: int, r: int,
                    targets, compute_dtype: str, adapter_dtype: str, device: str):
    """Lesson 05. The lesson 02 estimator's prediction for this run: (bytes, note) or (None, why).

    Guarded so a run works without `course_utils.plan.memory`. On a CPU the estimator's fixed 1 GB
    CUDA overhead is left out (there is no CUDA context), and the note says what RSS adds.
    """
    try:
        from course_utils.plan.memory import estimate_training_memory
    except ImportError:
        return None, "lesson 02 estimator (course_utils.plan.memory) not available"
    dt = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}
    kwargs = dict(lora_r=r, target_modules=targets, gradient_checkpointing=True,
                  optimizer="adamw", compute_dtype=dt.get(compute_dtype, compute_dtype))
    try:
        extra = {"adapter_dtype": dt.get(adapter_dtype, adapter_dtype)}
        if device != "cuda":
            extra["overhead_bytes"] = 0
        try:
            est = estimate_training_memory(model_config, method, seq_len, batch_size, **kwargs, **extra)
        except TypeError:  # an estimator without the optional keywords
            est = estimate_training_memory(model_config, method, seq_len, batch_size, **kwargs)
    except Exception as err:  # the estimator refusing this model must not stop a training run
        return None, f"estimator could not price this run: {err}"
    note = "tensors only, every sequence at full length"
    if device != "cuda":
        note += "; measured RSS also holds the interpreter and torch libraries"
    return int(est.total_bytes), note


@dataclass
class RunSummary:
    """Lesson 05. What a run did and measured (also written to `run_summary.json`)."""

    status: str                      # "finished" | "interrupted"
    preset: str
    model: str
    device: str
    compute_dtype: str
    adapter_dtype: str
    quantization: str
    targets: str
    lora_r: int
    lora_alpha: int
    world_size: int
    global_step: int
    max_steps: int
    steps_this_run: int
    resumed_from: str | None
    train_examples: int
    eval_examples: int
    batch_size: int
    grad_accum: int
    max_seq_len: int
    trainable_params: int
    total_params: int
    tokens_this_run: int
    s_per_step: float | None
    tokens_per_s: float | None
    wall_s: float
    peak_memory_bytes: int
    peak_memory_kind: str
    estimate_bytes: int | None
    estimate_note: str
    eval_loss_before: float | None
    eval_loss_after: float | None
    train_loss: float | None
    output_dir: str
    adapter_dir: str | None
    adapter_bytes: int | None
    last_checkpoint: str | None
    tensorboard_dir: str | None
    versions: dict = field(default_factory=dict)

    @property
    def trainable_pct(self) -> float:
        return 100.0 * self.trainable_params / max(self.total_params, 1)

    @property
    def log_history(self) -> list[dict]:
        """The Trainer's log lines (loss, learning rate, eval loss per step)."""
        p = Path(self.output_dir) / "log_history.json"
        return json.loads(p.read_text()) if p.is_file() else []

    def to_json(self, path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def from_json(cls, path) -> "RunSummary":
        return cls(**json.loads(Path(path).read_text()))

    def table(self) -> str:
        """The summary as aligned lines, for a notebook or a terminal."""
        def gb(b):
            return "—" if b is None else f"{b / GB:.2f} GB"

        def num(x, fmt):
            return "—" if x is None else format(x, fmt)

        rows = [
            ("status", f"{self.status} at step {self.global_step} of {self.max_steps}"
                       + (f" (resumed from {Path(self.resumed_from).name})" if self.resumed_from else "")),
            ("model", f"{self.preset} ({self.model}), {self.quantization} base, {self.device}, "
                      f"compute {self.compute_dtype}, adapters {self.adapter_dtype}"),
            ("LoRA", f"r={self.lora_r}, alpha={self.lora_alpha}, targets {self.targets}"),
            ("trainable", f"{self.trainable_params:,} of {self.total_params:,} "
                          f"({self.trainable_pct:.2f}%)"),
            ("batch", f"{self.batch_size} x {self.grad_accum} accum x {self.world_size} process(es), "
                      f"max {self.max_seq_len} tokens"),
            ("speed", f"{num(self.s_per_step, '.3f')} s/step, {num(self.tokens_per_s, ',.0f')} tokens/s "
                      f"({self.steps_this_run} steps, {self.tokens_this_run:,} tokens this run)"),
            ("memory", f"{gb(self.peak_memory_bytes)} {self.peak_memory_kind}; lesson 02 estimate "
                       f"{gb(self.estimate_bytes)} ({self.estimate_note})"),
            ("eval loss", f"{num(self.eval_loss_before, '.3f')} before -> "
                          f"{num(self.eval_loss_after, '.3f')} after"),
            ("wall time", f"{self.wall_s:.1f} s"),
            ("adapter", f"{self.adapter_dir or '—'} ({num(self.adapter_bytes and self.adapter_bytes / 1e6, '.2f')} MB)"),
        ]
        w = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


def versions() -> dict:
    """Lesson 05. Versions of the training stack, recorded with every run."""
    import importlib.metadata as md

    out = {"python": sys.version.split()[0]}
    for pkg in ("torch", "transformers", "peft", "trl", "bitsandbytes", "accelerate"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


def dir_bytes(path) -> int:
    """Lesson 05. Total size of the files in a folder (an adapter's size on disk)."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def adapter_difference(a, b) -> float:
    """Lesson 05. Largest absolute difference between two saved adapters' weights (0.0: bitwise equal).

    Raises if the two hold different tensors or dtypes (a resume that changed the dtype is not equal).
    """
    from safetensors.torch import load_file

    ta = load_file(str(Path(a) / "adapter_model.safetensors"))
    tb = load_file(str(Path(b) / "adapter_model.safetensors"))
    if ta.keys() != tb.keys():
        raise ValueError(f"adapters {a} and {b} hold different tensors: "
                         f"{sorted(set(ta) ^ set(tb))[:5]}")
    worst = 0.0
    for k in ta:
        if ta[k].dtype != tb[k].dtype:
            raise ValueError(f"{k}: dtype {ta[k].dtype} in {a} but {tb[k].dtype} in {b}")
        worst = max(worst, float((ta[k].float() - tb[k].float()).abs().max()))
    return worst
