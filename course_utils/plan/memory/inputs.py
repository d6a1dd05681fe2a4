"""Units, the estimator's choices, and the checks on its arguments (lesson 02).

Every function of `course_utils.plan.memory` checks its arguments here and raises
`MemoryInputError` naming the argument, the bad value and the valid choices. The sizes are in
bytes; lessons print GB (10^9 bytes, as LitGPT's tables do) and GPU cards are sold in GiB
(an "80 GB" card holds 80 x 2^30 bytes).

What this leaves out: errors about data files (those raise `course_utils.errors.DataFileError`)
and dtypes other than fp32, bf16 and fp16 for training (NF4 and int8 are storage formats,
chosen by `method` and `quantization`).
"""

from __future__ import annotations

import math
from typing import Sequence

GB = 1e9  # the estimates are shown in GB = 10^9 bytes, as LitGPT's tables are
GIB = 2**30  # GPU makers' "80 GB" is 80 GiB of memory; torchtune reports GiB

METHODS = ("full", "lora", "qlora")
OPTIMIZERS = ("adamw", "adamw_8bit", "paged_adamw_8bit", "paged_adamw_32bit", "sgd")
DTYPES = {"fp32": 4, "bf16": 2, "fp16": 2}
_DTYPE_ALIASES = {"float32": "fp32", "float": "fp32", "bfloat16": "bf16", "float16": "fp16",
                  "half": "fp16", "32": "fp32", "16": "fp16"}
QUANTIZATIONS = ("none", "int8", "nf4")  # for inference; "none" = the compute dtype
ALL_LINEAR = "all-linear"
DEFAULT_HEADROOM = 0.10     # the GPU picker keeps 10% of the card free


class MemoryInputError(ValueError):
    """An input the estimator cannot use; the message lists the valid choices."""


def check_positive(**kw) -> None:
    """Each keyword's value must be a finite number > 0; the error names the keyword."""
    for k, v in kw.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or (
                isinstance(v, float) and not math.isfinite(v)):
            raise MemoryInputError(f"{k} must be a positive number, got {v!r}")


def check_headroom(headroom) -> float:
    """A fraction of the card kept free, in [0, 1)."""
    if isinstance(headroom, bool) or not isinstance(headroom, (int, float)) or not 0 <= headroom < 1:
        raise MemoryInputError(f"headroom must be a fraction in [0, 1), got {headroom!r}")
    return float(headroom)


def dtype(name: str, what: str) -> str:
    """The canonical dtype name ("fp32", "bf16", "fp16") for `name` or one of its aliases."""
    key = _DTYPE_ALIASES.get(str(name).lower(), str(name).lower())
    if key not in DTYPES:
        raise MemoryInputError(f"{what} {name!r} is unknown: use one of {sorted(DTYPES)}")
    return key


def choice(value: str, valid: Sequence[str], what: str) -> str:
    """`value` when it is one of `valid`, else an error listing them."""
    if value not in valid:
        raise MemoryInputError(f"{what} {value!r} is unknown: use one of {list(valid)}")
    return value
