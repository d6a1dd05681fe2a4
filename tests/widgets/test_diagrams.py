"""The course's diagrams: each builds, shows the numbers the code computes, and draws the same
PNG bytes every time."""

import io

import pytest

from course_utils.plan import GB, estimate_inference_memory, lora_param_count, resolve_config
from course_utils.plan.memory.arithmetic import DQ_BLOCKSIZE, NF4_BLOCKSIZE
from course_utils.widgets.diagrams import (chat_mask_diagram, lora_diagram, multi_adapter_diagram,
                                           nf4_bits_per_weight, nf4_levels, qlora_diagram)

TRAINED_RGBA = (0.48627450980392156, 0.7686274509803922, 0.4980392156862745, 1.0)  # "#7cc47f"


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def joined(fig) -> str:
    return "\n".join(texts(fig))


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


# --- LoRA -----------------------------------------------------------------------------------------

def test_lora_diagram_draws_the_models_shapes_and_counts():
    cfg = resolve_config("qwen2.5-7b")
    text = joined(lora_diagram("qwen2.5-7b", r=16, alpha=32, module="q_proj"))
    assert "W  (frozen)" in text and "A  (trained)" in text and "B\n(trained)" in text
    assert "= 32/16 = 2" in text
    per = lora_param_count(cfg, 16, ["q_proj"]) // cfg.num_hidden_layers
    assert per == 16 * (3584 + 3584) and f"= {per:,}" in text
    assert f"{lora_param_count(cfg, 16):,} trainable" in text


def test_lora_diagram_follows_its_arguments():
    text = joined(lora_diagram("qwen2.5-7b", r=8, alpha=8, module="k_proj"))
    assert "8 × 3,584" in text and "512 × 3,584" in text and "= 8/8 = 1" in text
    assert f"= {8 * (3584 + 512):,}" in text
    with pytest.raises(ValueError, match=r"module='kv_proj'.*q_proj"):
        lora_diagram(module="kv_proj")


# --- QLoRA ----------------------------------------------------------------------------------------

def test_nf4_bits_come_from_the_memory_arithmetic():
    assert nf4_bits_per_weight(double_quant=False) == (4.0, 32 / NF4_BLOCKSIZE)
    code, scale = nf4_bits_per_weight(double_quant=True)
    assert code == 4.0 and scale == pytest.approx(8 / NF4_BLOCKSIZE + 32 / (NF4_BLOCKSIZE * DQ_BLOCKSIZE))


def test_qlora_diagram_labels_blocks_bits_and_the_adapters():
    fig = qlora_diagram("qwen2.5-7b", r=16, compute_dtype="bf16")
    text = joined(fig)
    assert f"A block of {NF4_BLOCKSIZE} weights" in text
    assert f"1 absmax per {NF4_BLOCKSIZE}" in text and f"… ×{DQ_BLOCKSIZE}" in text
    assert "0.500 bits/weight" in text and "0.127 bits/weight" in text and "4.127 bits/weight" in text
    base = estimate_inference_memory("qwen2.5-7b", "nf4").param_bytes / GB
    assert f"{base:.1f} GB in NF4" in text
    assert f"{lora_param_count('qwen2.5-7b', 16) / 1e6:,.1f} M params" in text
    assert "LoRA A, B in bf16, trained" in text
    codes = [t for t in texts(fig) if len(t) == 1 and t in "0123456789ABCDEF"]
    assert len(codes) == NF4_BLOCKSIZE


def test_nf4_levels_are_sixteen_normal_quantiles_from_minus_one_to_one():
    levels = nf4_levels()
    assert len(levels) == 16 and levels[0] == -1.0 and levels[-1] == 1.0 and 0.0 in levels
    assert levels == sorted(levels)
    assert sum(v > 0 for v in levels) == 8 and sum(v < 0 for v in levels) == 7


@pytest.mark.slow
def test_nf4_levels_match_bitsandbytes():
    functional = pytest.importorskip("bitsandbytes.functional")
    expected = functional.get_4bit_type("nf4", device="cpu").tolist()
    assert nf4_levels() == pytest.approx(expected, abs=1e-6)


# --- many adapters ----------------------------------------------------------------------------------

def test_multi_adapter_diagram_routes_tagged_requests_through_one_base():
    requests = [("triage", "Where is ORD-1?"), ("base", "Hello"), ("moderation", "Buy now!!!")]
    text = joined(multi_adapter_diagram("qwen2.5-7b", ("triage", "moderation"), requests, r=16))
    per_mb = lora_param_count("qwen2.5-7b", 16) * 2 / 1e6
    assert f"triage: r = 16, {per_mb:.0f} MB" in text and f"moderation: r = 16, {per_mb:.0f} MB" in text
    assert "model=triage: Where is ORD-1?" in text and "row 2: no adapter (base)" in text
    assert "row 3: moderation" in text and "one mixed batch of 3 requests" in text
    merged = 2 * resolve_config("qwen2.5-7b").param_count() * 2 / GB
    assert f"2 merged 16-bit models = {merged:.1f} GB" in text
    with pytest.raises(ValueError, match=r"\['policy_qa'\]"):
        multi_adapter_diagram(adapters=("triage",), requests=[("policy_qa", "x")])


def test_default_requests_mix_every_task_and_the_base():
    text = joined(multi_adapter_diagram())
    for name in ("triage", "moderation", "policy_qa"):
        assert text.count(f"model={name}:") == 2
    assert text.count("model=base:") == 1


@pytest.mark.parametrize("draw", [lora_diagram, qlora_diagram, multi_adapter_diagram],
                         ids=lambda f: f.__name__)
def test_fast_diagrams_are_deterministic(draw):
    first, second = png(draw()), png(draw())
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and first == second


# --- the chat template and its mask (loads the tokenizer: transformers) ------------------------------

@pytest.fixture(scope="module")
def tokenizer():
    from course_utils.dataset import load_chat_tokenizer

    return load_chat_tokenizer()


@pytest.mark.slow
def test_chat_mask_diagram_draws_a_real_row_with_its_mask(tokenizer):
    from course_utils.dataset import load_split, tokenize_with_mask

    fig = chat_mask_diagram(tokenizer=tokenizer, task="moderation")
    text = texts(fig)
    assert {"system", "user", "assistant"} <= set(text)
    assert text.count("<|im_end|>") == 3 and "-100" in joined(fig)
    row_id = next(t for t in text if t.startswith("What the loss trains on")).split("(row ")[1][:-len(
        "), rendered with the chat template")]
    row = next(r for r in load_split("train") if r["id"] == row_id)
    assert row["task"] == "moderation"
    enc = tokenize_with_mask(row, tokenizer)
    green = [p for p in fig.axes[0].patches if p.get_facecolor() == TRAINED_RGBA]
    assert len(green) == sum(enc["assistant_mask"]) + 1          # + the legend's swatch
    assert f"({sum(enc['assistant_mask'])} tokens;" in joined(fig)


@pytest.mark.slow
def test_chat_mask_diagram_is_deterministic(tokenizer):
    assert png(chat_mask_diagram(tokenizer=tokenizer)) == png(chat_mask_diagram(tokenizer=tokenizer))
