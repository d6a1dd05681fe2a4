"""Lesson 07's exercise checks: vLLM's --max-lora-rank, how many adapters fit beside a base,
and an adapter vLLM would load."""

from __future__ import annotations

from pathlib import Path

from course_utils.exercises.check import check
from course_utils.plan.memory import max_adapters_that_fit
from course_utils.serve.vllm import check_adapter, smallest_max_lora_rank

def check_exercise_07_basic(max_lora_rank) -> bool | None:
    """Lesson 07, basic: the --max-lora-rank for one vLLM server holding adapters of rank 8, 16 and 24."""
    want = smallest_max_lora_rank(24)
    return check(max_lora_rank, max_lora_rank == want,
                    f"--max-lora-rank {want}: the largest rank, rounded up to a value vLLM accepts.",
                    "smallest_max_lora_rank(<the largest of the three ranks>)")


def check_exercise_07_variation(n_adapters) -> bool | None:
    """Lesson 07, variation: rank-16 all-linear adapters beside a bf16 Mistral-7B on a 40 GB GPU
    (context 4096, batch 8, 10% headroom), by the lesson 02 estimator."""
    want = max_adapters_that_fit("mistral-7b", 40, quantization="none", batch_size=8,
                                 context_len=4096, lora_r=16)
    ok = isinstance(n_adapters, int) and not isinstance(n_adapters, bool) and n_adapters == want
    return check(n_adapters, ok, f"{want} adapters: memory is not what limits a multi-adapter server.",
                    "gpu_adapter_capacity('mistral-7b', gpus_gb=[40], ranks=[16]) or "
                    "memory.max_adapters_that_fit(...) with the settings above")


def check_exercise_07_stretch(adapter_path, broken_path=None) -> bool | None:
    """Lesson 07, stretch: an adapter for the tiny base that vLLM would load (made anew, not the broken one)."""
    hint = ("make a LoraConfig without modules_to_save, with bias='none' and a rank vLLM accepts, "
            "save it with save_pretrained, and pass its folder; check_adapter(folder, 'tiny') lists "
            "what is still wrong")
    if adapter_path is None:
        return check(None, False, "", hint)
    if broken_path is not None and Path(adapter_path).resolve() == Path(broken_path).resolve():
        return check(adapter_path, False, "", "save a NEW adapter in another folder; " + hint)
    rep = check_adapter(adapter_path, "tiny")
    if not rep.ok:
        print(rep)
    return check(adapter_path, rep.ok and not rep.issues,
                    f"{rep.name} passes: r={rep.r}, targets {rep.target_modules}.", hint)
