"""What a real model and optimizer hold, counted from their tensors (lesson 02).

Lesson 02 compares these counts with `estimate_training_memory` on the tiny model after one
optimizer step: parameters (with 4-bit quantization state), gradients and optimizer states
must equal the estimate's terms to the byte. Objects are duck-typed, so this module imports no
torch; a storage shared by two tensors (tied embeddings) is counted once. Tensor and
quantization-state bytes come from `course_utils.plan.tensor_bytes`, the course's one count.

What this leaves out: activations and allocator caches (measure those with
`torch.cuda.max_memory_allocated` on a GPU).
"""

from __future__ import annotations

from typing import Any

from course_utils.plan.tensor_bytes import quant_state_bytes, tensor_bytes


def measured_training_bytes(model: Any, optimizer: Any = None) -> dict[str, int]:
    """Lesson 02. What a real model (and optimizer) hold: parameter, quantization-constant,
    gradient and optimizer-state bytes, each storage counted once; CPU and GPU alike."""
    seen: set[int] = set()

    def once(t: Any) -> int:
        key = t.data_ptr() if hasattr(t, "data_ptr") else id(t)
        if key in seen or t.numel() == 0:
            return 0
        seen.add(key)
        return tensor_bytes(t)

    params = consts = grads = 0
    for p in model.parameters():
        params += once(p)  # biases of 4-bit layers are ordinary parameters, counted here
        consts += quant_state_bytes(getattr(p, "quant_state", None))
    for p in model.parameters():
        if getattr(p, "grad", None) is not None:
            grads += once(p.grad)
    states = 0
    if optimizer is not None:
        for st in optimizer.state.values():
            for v in st.values():
                if hasattr(v, "numel") and hasattr(v, "element_size"):
                    states += once(v)
    return {"params": params, "quant_constants": consts, "gradients": grads, "optimizer_states": states}
