"""Regression test for the bitsandbytes CPU pitfall (see course_utils.model.load.apply_bnb_cpu_fix).

On CPUs with AVX512-BF16, a no-grad eval-mode forward (generate) used to repack every Linear4bit
weight into a CPU-only layout, after which LoRA gradients were silently wrong. The gradients of
the LoRA parameters on a batch must be identical before and after a `generate`.
"""

import pytest
import torch

from course_utils.model.load import load_model


@pytest.fixture(scope="module")
def lora_model():
    from peft import LoraConfig, get_peft_model

    model, tok = load_model("tiny", quantization="nf4")
    torch.manual_seed(0)
    # init_lora_weights=False: A and B both random, so every LoRA parameter gets a gradient
    # (with the default B = 0, A's gradient is exactly zero and would hide a difference).
    cfg = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear",
                     init_lora_weights=False, task_type="CAUSAL_LM")
    return get_peft_model(model, cfg), tok


def _lora_grads(model, batch):
    model.train()
    model.zero_grad(set_to_none=True)
    loss = model(**batch, labels=batch["input_ids"]).loss
    loss.backward()
    return loss.item(), {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def test_lora_gradients_unchanged_by_generate(lora_model):
    import bitsandbytes as bnb

    model, tok = lora_model
    batch = tok(["The capital of Spain is Madrid.", "Please check the broken lamp today."],
                return_tensors="pt", padding=True)
    loss_before, before = _lora_grads(model, batch)
    assert before and all(g.abs().sum() > 0 for g in before.values())

    model.eval()
    prompt = tok.apply_chat_template([{"role": "user", "content": "Hello!"}], add_generation_prompt=True,
                                     return_tensors="pt", return_dict=True)
    with torch.no_grad():
        model.generate(**prompt, max_new_tokens=8, do_sample=False)

    layers = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert layers and all(not m.support_avx512bf16_for_cpu for m in layers)
    assert not any(getattr(m.weight.quant_state, "packing_format_for_cpu", False) for m in layers)

    loss_after, after = _lora_grads(model, batch)
    assert loss_after == loss_before
    diff = {n: (after[n] - g).abs().max().item() for n, g in before.items() if not torch.equal(after[n], g)}
    assert not diff, f"LoRA gradients changed after generate (max abs diff per tensor): {diff}"
