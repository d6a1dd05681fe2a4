"""Bytes per stored value: NF4 weights with their constants, and optimizer states (lesson 02).

    NF4 weights        4 bits per weight, packed two per byte, plus one absmax per 64 weights,
                       which double quantization stores as 8 bits with a second fp32 absmax
                       per 256 blocks (Dettmers et al. 2023, "QLoRA", §3: 0.5 -> 0.127
                       bit/param), an fp32 offset, the 256-entry fp32 map of the second level
                       and the 16-entry fp32 NF4 table: what `Params4bit.quant_state` holds
    AdamW              two moments per trainable value in the parameter's dtype, plus torch's
                       fp32 `step` scalar per tensor
    8-bit AdamW        1 byte per moment plus an fp32 absmax per 256 values, 32-bit states for
                       tensors under 4,096 values, two shared fp32 maps (Dettmers et al. 2022,
                       "8-bit Optimizers via Block-wise Quantization"; bitsandbytes' defaults)
    paged variants     the same bytes, in pageable memory
    SGD                no state (no momentum)

What this leaves out: other quantization formats (GPTQ, AWQ, FP8), and optimizers beyond
AdamW, 8-bit AdamW and plain SGD.
"""

from __future__ import annotations

import math
from typing import Sequence

# --- constants, each with its source --------------------------------------------------------
NF4_BLOCKSIZE = 64          # weights per absmax (Dettmers et al. 2023 §3; bitsandbytes default)
NF4_CODE_VALUES = 16        # fp32 lookup table of the 16 NF4 levels, one per quantized matrix
DQ_BLOCKSIZE = 256          # absmax values per second-level fp32 absmax (Dettmers et al. 2023 §3)
DQ_CODE_VALUES = 256        # fp32 8-bit dynamic map for the quantized absmax, one per matrix
ADAM8_BLOCKSIZE = 256       # values per fp32 absmax in 8-bit AdamW (bitsandbytes block-wise)
ADAM8_MIN_SIZE = 4096       # bitsandbytes keeps 32-bit state for tensors smaller than this
ADAM8_QMAP_VALUES = 2 * 256  # two shared fp32 quantization maps (signed / unsigned)


def nf4_bytes(numel: int, double_quant: bool = True) -> tuple[int, int]:
    """(packed weight bytes, quantization-constant bytes) for one matrix in bitsandbytes NF4.

    Packed: two 4-bit codes per byte. Constants: one absmax per 64 weights (fp32, or uint8 with
    double quantization plus an fp32 absmax per 256 blocks, an fp32 offset and a 256-entry fp32
    map), and the 16-entry fp32 NF4 table. Matches what `Params4bit.quant_state` holds.
    """
    packed = (numel + 1) // 2
    blocks = math.ceil(numel / NF4_BLOCKSIZE)
    consts = NF4_CODE_VALUES * 4
    if double_quant:
        consts += blocks * 1 + math.ceil(blocks / DQ_BLOCKSIZE) * 4 + 4 + DQ_CODE_VALUES * 4
    else:
        consts += blocks * 4
    return packed, consts


def optimizer_state_bytes(optimizer: str, tensor_sizes: Sequence[int], param_bytes: int) -> int:
    """Bytes of optimizer state for trainable tensors of `tensor_sizes` elements."""
    if optimizer == "sgd":
        return 0  # plain SGD without momentum keeps no state
    if optimizer in ("adamw", "paged_adamw_32bit"):
        # two moments in the parameter's dtype + torch's fp32 `step` scalar per tensor
        return sum(2 * n * param_bytes for n in tensor_sizes) + (
            4 * len(tensor_sizes) if optimizer == "adamw" else 0)
    # 8-bit AdamW (bitsandbytes): 1 byte per moment + fp32 absmax per 256 values; small tensors 32-bit
    total = ADAM8_QMAP_VALUES * 4
    for n in tensor_sizes:
        if n >= ADAM8_MIN_SIZE:
            total += 2 * n + 2 * math.ceil(n / ADAM8_BLOCKSIZE) * 4
        else:
            total += 2 * n * 4
    return total


def quantized_block_bytes(cfg, double_quant: bool = True) -> tuple[int, int, int]:
    """(packed NF4 bytes, quantization-constant bytes, bias values) of every linear layer of
    the decoder blocks of `cfg` (a `ModelConfig`), as QLoRA and NF4 serving store them; the
    biases stay in the compute dtype."""
    packed = consts = biases = 0
    for s in cfg.linear_layers():
        p, c = nf4_bytes(s.d_in * s.d_out, double_quant)
        packed, consts = packed + p, consts + c
        biases += s.d_out if s.bias else 0
    n = cfg.num_hidden_layers
    return packed * n, consts * n, biases * n
