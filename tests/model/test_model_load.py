"""The one loader: tiny model in nf4 and unquantized, local folders, presets, and its errors
(course_utils.model.load). Tests that load the model are marked slow; the name resolution and
error tests run without loading anything."""

import shutil
import socket

import pytest
import torch

from course_utils.model import load as models
from course_utils.model.load import (HubUnavailableError, ModelNotFoundError, base_identity, chat, format_messages,
                                     linear_layer_summary, load_model, resolve, weight_bytes_by_part)
from course_utils.paths import TINY_MODEL_DIR
from course_utils.plan.tensor_bytes import quant_state_bytes, tensor_bytes


@pytest.fixture(scope="module")
def tiny_nf4():
    return load_model("tiny", quantization="nf4")


@pytest.fixture(scope="module")
def tiny_full():
    return load_model("tiny", quantization="none")


@pytest.mark.slow
def test_nf4_load_makes_every_decoder_linear_layer_4bit(tiny_nf4):
    import bitsandbytes as bnb

    model, _ = tiny_nf4
    n_layers = model.config.num_hidden_layers
    assert linear_layer_summary(model) == {"Linear4bit": 7 * n_layers, "Linear": 1}  # lm_head stays
    q = model.model.layers[0].self_attn.q_proj
    assert isinstance(q, bnb.nn.Linear4bit)
    assert q.weight.dtype == torch.uint8                       # two 4-bit codes per byte
    assert q.weight.numel() * 2 == q.in_features * q.out_features
    qs = q.weight.quant_state
    assert qs.quant_type == "nf4" and qs.nested                # NF4 + double quantization
    assert q.compute_dtype == torch.float32                     # CPU profile computes in fp32
    assert not model.training


@pytest.mark.slow
def test_none_load_is_plain_fp32_and_bigger(tiny_nf4, tiny_full):
    model, _ = tiny_full
    assert linear_layer_summary(model) == {"Linear": 7 * model.config.num_hidden_layers + 1}
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert model.get_memory_footprint() > 1.5 * tiny_nf4[0].get_memory_footprint()


@pytest.mark.slow
def test_local_path_goes_through_the_same_loader(tiny_full):
    model, tok = load_model(str(TINY_MODEL_DIR), quantization="none")
    ref = dict(tiny_full[0].named_parameters())
    assert all(torch.equal(p, ref[n]) for n, p in model.named_parameters())
    assert tok.chat_template == tiny_full[1].chat_template


@pytest.mark.slow
def test_tiny_model_answers_in_turn_and_stops(tiny_nf4):
    model, tok = tiny_nf4
    answer = chat(model, tok, "What is the capital of France?", max_new_tokens=40)
    assert "Paris" in answer
    assert "<|im_start|>" not in answer and "user" not in answer.split()  # it stopped at its turn


@pytest.mark.slow
def test_tokenizer_has_chat_template_with_generation_markers(tiny_nf4):
    _, tok = tiny_nf4
    msgs = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    out = tok.apply_chat_template(msgs, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    mask = out["assistant_masks"]
    trained = tok.decode([t for t, m in zip(out["input_ids"], mask) if m])
    assert trained == "Hello!<|im_end|>"


def test_unknown_name_lists_the_presets():
    with pytest.raises(ModelNotFoundError) as e:
        load_model("not-a-model")
    msg = str(e.value)
    assert "'not-a-model'" in msg
    assert all(p in msg for p in ("'tiny'", "'qwen2.5-7b'", "'mistral-7b'", "'llama-3.1-8b'"))


def test_bad_quantization_names_the_choices():
    with pytest.raises(ValueError, match=r"quantization='int3'.*nf4, none"):
        load_model("tiny", quantization="int3")


def test_folder_errors(tmp_path):
    with pytest.raises(ModelNotFoundError, match="holds no config.json"):
        resolve(tmp_path)
    with pytest.raises(ModelNotFoundError, match="No such folder"):
        resolve(tmp_path / "missing" / "model")


def test_offline_hub_id_fails_at_once_without_touching_the_network(monkeypatch):
    def no_network(*a, **k):
        raise AssertionError("the loader tried to reach the network while HF_HUB_OFFLINE=1")

    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(HubUnavailableError) as e:
        load_model("Qwen/Qwen2.5-7B-Instruct")
    msg = str(e.value)
    assert "HF_HUB_OFFLINE" in msg and "hf download Qwen/Qwen2.5-7B-Instruct" in msg
    assert "load_model('tiny')" in msg


def test_preset_resolves_to_its_repo_and_fails_clearly_offline():
    assert resolve("mistral-7b").location == "mistralai/Mistral-7B-Instruct-v0.3"
    with pytest.raises(HubUnavailableError, match="Mistral-7B-Instruct-v0.3"):
        load_model("mistral-7b")


def test_unreachable_hub_fails_fast_when_not_offline(monkeypatch):
    # Nothing listens on port 9 of the loopback address: the connection is refused at once.
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(HubUnavailableError, match=r"127\.0\.0\.1:9\) is not reachable"):
        models._check_hub("someone/not-cached-model")


def test_system_message_is_folded_for_templates_without_a_system_role():
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert format_messages(msgs, "mistral-7b") == [{"role": "user", "content": "Be brief.\n\nHi"}]
    assert format_messages(msgs, "qwen2.5-7b") == msgs
    assert format_messages("Hi") == [{"role": "user", "content": "Hi"}]


@pytest.mark.slow
def test_only_decoder_linear_layers_shrink_to_about_4_bits(tiny_nf4, tiny_full):
    b4, bf = weight_bytes_by_part(tiny_nf4[0]), weight_bytes_by_part(tiny_full[0])
    for part in ("embeddings", "output layer (lm_head)"):
        assert b4[part] == bf[part]                      # left in full precision
    bits = 32 * b4["decoder linear layers"] / bf["decoder linear layers"]
    assert 4.0 < bits < 4.3                              # 4-bit codes + absmax constants


@pytest.mark.slow
def test_a_4bit_layer_counts_its_codes_and_its_whole_quantization_state(tiny_nf4):
    """The bytes come from the course's one counter (course_utils.plan.tensor_bytes): the packed
    codes, the bias, and the quantization state with its offset and nested double-quant state."""
    import bitsandbytes as bnb

    model = tiny_nf4[0]
    layers = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    qs = layers[0].weight.quant_state
    assert qs.nested and qs.offset is not None and qs.state2 is not None
    assert quant_state_bytes(qs) > tensor_bytes(qs.absmax) + tensor_bytes(qs.code)
    want = sum(tensor_bytes(p) for m in layers for p in m.parameters(recurse=False))
    want += sum(quant_state_bytes(m.weight.quant_state) for m in layers)
    assert weight_bytes_by_part(model)["decoder linear layers"] == want


def test_base_identity_changes_when_the_weights_change(tmp_path):
    """Lessons 06-07 reuse adapters only while this string stays the same."""
    folder = shutil.copytree(TINY_MODEL_DIR, tmp_path / "m")
    before = base_identity(folder)
    assert base_identity(folder) == before
    with open(folder / "model.safetensors", "ab") as f:
        f.write(b"\0")
    assert base_identity(folder) != before
    assert base_identity("qwen2.5-7b") == "Qwen/Qwen2.5-7B-Instruct"


# ---------------------------------------------------------------------------------------------
# The bitsandbytes CPU pitfall (apply_bnb_cpu_fix): on CPUs with AVX512-BF16, a no-grad eval-mode
# forward (generate) used to repack every Linear4bit weight into a CPU-only layout, after which
# LoRA gradients were silently wrong. The gradients of the LoRA parameters on a batch must be
# identical before and after a `generate`.


@pytest.fixture(scope="module")
def lora_model():
    """The tiny base in NF4 with random LoRA weights on every linear layer."""
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


@pytest.mark.slow
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
