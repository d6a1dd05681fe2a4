"""Every name the course passes to bitsandbytes: the QLoRA quantization recipe (through
transformers' `BitsAndBytesConfig`) and the flag the loader turns off on each 4-bit layer.

    BNB_CONFIG / nf4_kwargs       NF4 weights, double quantization, the profile's compute dtype
    LINEAR4BIT / CPU_LAYOUT_FLAG  `Linear4bit.support_avx512bf16_for_cpu`, which
                                  `course_utils.model.load.apply_bnb_cpu_fix` sets to False

What this leaves out: 8-bit loading and bitsandbytes' optimizers (lesson 05 names the paged
AdamW through TRL's `optim` setting, in `course_utils.model.stack.trl_args`).
"""

from __future__ import annotations

from course_utils.model.stack.call import LibraryCall

CPU_LAYOUT_FLAG = "support_avx512bf16_for_cpu"

BNB_CONFIG = LibraryCall(
    "transformers.BitsAndBytesConfig",
    ("load_in_4bit", "bnb_4bit_quant_type", "bnb_4bit_use_double_quant", "bnb_4bit_compute_dtype"),
    where="course_utils.model.load.bnb_config")
LINEAR4BIT = LibraryCall("bitsandbytes.nn.Linear4bit", attributes=(CPU_LAYOUT_FLAG,),
                         where="course_utils.model.load.apply_bnb_cpu_fix")

CALLS = (BNB_CONFIG, LINEAR4BIT)


def nf4_kwargs(compute_dtype) -> dict:
    """Lesson 00. `BitsAndBytesConfig` keywords of the QLoRA recipe: NF4 weights (optimal for
    normally distributed weights), double quantization (the per-block constants in 8 bits,
    ~0.37 bit/parameter saved; Dettmers et al. 2023, §3), matmuls in `compute_dtype`."""
    return BNB_CONFIG.kwargs(dict(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=compute_dtype,
    ))
