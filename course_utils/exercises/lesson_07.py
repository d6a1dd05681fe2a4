"""Lesson 07's exercise checks: what vLLM reserves for adapters of mixed ranks, how many adapters
fit beside a base, and an adapter vLLM would load.

    basic      the MB vLLM reserves on the GPU for three LoRA slots when the adapters have ranks
               4, 8 and 24 (Qwen2.5-7B, every linear layer, bf16)
    variation  how many rank-16 adapters fit beside a bf16 Mistral-7B on a 40 GB GPU
    stretch    a new adapter for the tiny base that passes the compatibility report

The basic needs three facts of the lesson put together: vLLM accepts only some values of
--max-lora-rank, it sizes EVERY slot for that rank whatever the adapter's own, and a slot holds
the A and B matrices of every linear layer in the compute dtype. A wrong number is matched
against the values the usual slips give (the adapter's own rank, 24 instead of an accepted
value, parameters instead of bytes, one slot instead of three) so the hint names the slip.

What this leaves out: the reference solutions (``solutions/lesson_07.py`` at the repository
root) and vLLM itself (the rules are read from its source; see ``course_utils.serve.vllm``).
"""

from __future__ import annotations

from pathlib import Path

from course_utils.exercises.check import check, close, diagnose, pending, verdict
from course_utils.plan.memory import lora_param_count, max_adapters_that_fit
from course_utils.serve.vllm import check_adapter, smallest_max_lora_rank

# The basic's server: three adapters of these ranks on Qwen2.5-7B-Instruct, all linear layers,
# served with --max-loras 3 in bf16 (2 bytes a number).
BASIC_07 = dict(model="qwen2.5-7b", ranks=(4, 8, 24), slots=3, bytes_per_number=2)


def _slot_mb(rank: int, slots: int = BASIC_07["slots"], nbytes: int = BASIC_07["bytes_per_number"]) -> float:
    return slots * lora_param_count(BASIC_07["model"], rank) * nbytes / 1e6


def check_exercise_07_basic(slots_mb) -> bool | None:
    """Lesson 07, basic: the MB vLLM reserves for BASIC_07's three LoRA slots."""
    hint = ("vLLM reserves one buffer per --max-loras slot, and sizes every slot for the "
            "--max-lora-rank the server starts with, which must be one of the values section 6 "
            "lists. A slot holds A and B for every linear layer of every block (count them the "
            "lesson 02 way), in bf16. Answer in MB (10^6 bytes).")
    if pending(slots_mb, hint=hint):
        return None
    rank = smallest_max_lora_rank(max(BASIC_07["ranks"]))
    want = _slot_mb(rank)
    own = sum(_slot_mb(r, slots=1) for r in BASIC_07["ranks"])
    hint = diagnose(slots_mb, [
        (own, "that is what the three adapters hold at their own ranks; vLLM sizes every slot "
              "for --max-lora-rank, so the rank-4 slot costs what the largest does."),
        (_slot_mb(max(BASIC_07["ranks"])), f"{max(BASIC_07['ranks'])} is not a value vLLM accepts "
                                          "for --max-lora-rank: it rounds up to the next one it "
                                          "accepts (section 6)."),
        (want / BASIC_07["bytes_per_number"], "that is the number of parameters in MB; each is "
                                              "a 2-byte bf16 number."),
        (want * 2, "that is fp32 (4 bytes); the slots hold bf16 numbers (2 bytes)."),
        (want / BASIC_07["slots"], "that is one slot; --max-loras 3 reserves three."),
        (want * 1e6, "answer in MB (10^6 bytes), not bytes."),
    ], hint)
    return verdict(close(slots_mb, want, 0.01),
                   f"{want:,.0f} MB: three slots at --max-lora-rank {rank}, however small the "
                   f"adapters ({own:,.0f} MB at their own ranks). Mixing ranks on one server "
                   "pays for the largest.", hint)


def check_exercise_07_variation(n_adapters) -> bool | None:
    """Lesson 07, variation: rank-16 all-linear adapters beside a bf16 Mistral-7B on a 40 GB GPU
    (context 4096, batch 8, 10% headroom), by the lesson 02 estimator."""
    want = max_adapters_that_fit("mistral-7b", 40, quantization="none", batch_size=8,
                                 context_len=4096, lora_r=16)
    ok = isinstance(n_adapters, int) and not isinstance(n_adapters, bool) and n_adapters == want
    return check(n_adapters, ok,
                 f"{want} adapters: memory is not what limits a multi-adapter server.",
                 "the serving estimate of lesson 02 adds, to the base weights, the KV cache "
                 "(batch 8 x 4,096 tokens) and each adapter; count adapters until the total no "
                 "longer fits 40 GB less the 10% headroom (section 4 does it for another GPU).")


def check_exercise_07_stretch(adapter_path, broken_path=None) -> bool | None:
    """Lesson 07, stretch: an adapter for the tiny base that vLLM would load (made anew, not the
    broken one)."""
    hint = ("read what the compatibility report says about the broken adapter: vLLM refuses "
            "modules_to_save, an adapter bias, and ranks above what it accepts. Build a new "
            "LoRA config without them, put it on the tiny base, save the adapter in a new "
            "folder and pass that folder.")
    if pending(adapter_path, hint=hint):
        return None
    try:
        if broken_path is not None and Path(adapter_path).resolve() == Path(broken_path).resolve():
            return verdict(False, "", "save a NEW adapter in another folder; " + hint)
        rep = check_adapter(adapter_path, "tiny")
    except Exception:  # noqa: BLE001 - a learner's answer of any type is just wrong
        return verdict(False, "", "pass the folder the adapter was saved in. " + hint)
    return verdict(rep.ok and not rep.issues,
                   f"{rep.name} passes: r={rep.r}, targets {rep.target_modules}.",
                   f"{hint} The report on this folder:\n{rep}")
