"""Lesson 05's GPU notes: does the profile's 7B run fit each course GPU, by lesson 02's estimate?

For every GPU preset (Qwen2.5-7B, Mistral-7B, Llama-3.1-8B) and every card the course names
(T4 15 GB, A100 40/80 GB, H100 80 GB): the profile the course would choose on that card, its
run sizes and dtypes, the memory `train` prints before it starts (lesson 02's estimate), and
whether that fits with the profile's 10% headroom. Nothing is loaded: the numbers come from
the published configs in data/model_configs/. tests/model/test_skeletons.py checks the same
presets as meta-device skeletons (every LoRA target exists, the LoRA parameter count matches).

What this leaves out: a measured peak (run `python -m course_utils.gpu_check` on the GPU).
"""

from __future__ import annotations

from course_utils.model.mini import MINI_PRESETS, config_file
from course_utils.model.profiles import choose_profile, run_sizes
from course_utils.plan.memory.inputs import DEFAULT_HEADROOM, GB
from course_utils.tools.gpu_check import COURSE_GPUS
from course_utils.training.config import TARGETS, adapter_dtype_for
from course_utils.training.summary import memory_estimate

GPUS = {"T4 15 GB": COURSE_GPUS["t4"], "A100 40 GB": COURSE_GPUS["a100-40"],
        "A100 80 GB": COURSE_GPUS["a100-80"], "H100 80 GB": COURSE_GPUS["h100"]}


def gpu_fit_rows() -> list[dict]:
    """Lesson 05. One row per preset x GPU: dtype, batch x tokens, estimate GB, fits, margin GB."""
    rows = []
    for preset in MINI_PRESETS:
        for gpu, hw in GPUS.items():
            profile = choose_profile(hw, env={"COURSE_PROFILE": preset})
            sizes = run_sizes(profile)
            est, _ = memory_estimate(str(config_file(preset)), method="qlora", seq_len=sizes.max_seq_len,
                                     batch_size=sizes.batch_size, r=16, targets=TARGETS["all-linear"],
                                     compute_dtype=profile.compute_dtype,
                                     adapter_dtype=adapter_dtype_for(profile), device="cuda")
            usable = hw.vram_gb * (1 - DEFAULT_HEADROOM)
            rows.append(dict(preset=preset, gpu=gpu, dtype=profile.compute_dtype, est_gb=est / GB,
                             fits=est / GB <= usable, margin_gb=hw.vram_gb - est / GB,
                             batch=f"{sizes.batch_size}x{sizes.max_seq_len}"))
    return rows


def gpu_fit_table(rows: list[dict] | None = None) -> str:
    """Lesson 05. `gpu_fit_rows` as a markdown table (show it with IPython's Markdown)."""
    rows = gpu_fit_rows() if rows is None else rows
    head = ["| preset | GPU | compute | batch x tokens | estimate GB | fits (10% kept free) | margin GB |",
            "|---|---|---|---|---:|---|---:|"]
    return "\n".join(head + [
        f"| {r['preset']} | {r['gpu']} | {r['dtype']} | {r['batch']} | {r['est_gb']:.1f} | "
        f"{'yes' if r['fits'] else 'NO'} | {r['margin_gb']:.1f} |" for r in rows]) + "\n"
