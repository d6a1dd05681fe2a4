"""Counting the bytes real tensors hold, duck-typed so that this module never imports torch.

One definition for the whole course: lesson 02 compares these counts with its estimate,
lesson 00/05 show where a 4-bit model's bytes go, lesson 07 measures one base plus many
adapters. A 4-bit weight's quantization state (bitsandbytes' ``QuantState``) holds the absmax
constants, the 16-value code book, an ``offset`` and, with double quantization, a nested
``state2`` for the quantized absmax: all of it counts.

What this leaves out: allocator slack and CUDA context (see `estimate_training_memory`).
"""

from __future__ import annotations

from typing import Any


def tensor_bytes(t: Any) -> int:
    """Lesson 02. Bytes of one tensor's elements (``numel * element_size``)."""
    return int(t.numel()) * int(t.element_size())


def quant_state_bytes(qs: Any) -> int:
    """Lesson 02. Bytes of a bitsandbytes quantization state: absmax, code, offset and the nested
    double-quantization state; 0 for ``None``."""
    if qs is None:
        return 0
    total = 0
    for name in ("absmax", "code", "offset"):
        t = getattr(qs, name, None)
        if t is not None and hasattr(t, "numel"):
            total += tensor_bytes(t)
    return total + quant_state_bytes(getattr(qs, "state2", None))
