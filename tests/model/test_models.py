"""The one loader: tiny model in nf4 and unquantized, local folders, presets, and its errors."""

import socket

import pytest
import torch

from course_utils.model import load as models
from course_utils.model.load import (HubUnavailableError, ModelNotFoundError, chat, format_messages,
                                 linear_layer_summary, load_model, resolve)
from course_utils.paths import TINY_MODEL_DIR


@pytest.fixture(scope="module")
def tiny_nf4():
    return load_model("tiny", quantization="nf4")


@pytest.fixture(scope="module")
def tiny_full():
    return load_model("tiny", quantization="none")


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


def test_none_load_is_plain_fp32_and_bigger(tiny_nf4, tiny_full):
    model, _ = tiny_full
    assert linear_layer_summary(model) == {"Linear": 7 * model.config.num_hidden_layers + 1}
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert model.get_memory_footprint() > 1.5 * tiny_nf4[0].get_memory_footprint()


def test_local_path_goes_through_the_same_loader(tiny_full):
    model, tok = load_model(str(TINY_MODEL_DIR), quantization="none")
    ref = dict(tiny_full[0].named_parameters())
    assert all(torch.equal(p, ref[n]) for n, p in model.named_parameters())
    assert tok.chat_template == tiny_full[1].chat_template


def test_tiny_model_answers_in_turn_and_stops(tiny_nf4):
    model, tok = tiny_nf4
    answer = chat(model, tok, "What is the capital of France?", max_new_tokens=40)
    assert "Paris" in answer
    assert "<|im_start|>" not in answer and "user" not in answer.split()  # it stopped at its turn


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


def test_only_decoder_linear_layers_shrink_to_about_4_bits(tiny_nf4, tiny_full):
    from course_utils.model.load import weight_bytes_by_part

    b4, bf = weight_bytes_by_part(tiny_nf4[0]), weight_bytes_by_part(tiny_full[0])
    for part in ("embeddings", "output layer (lm_head)"):
        assert b4[part] == bf[part]                      # left in full precision
    bits = 32 * b4["decoder linear layers"] / bf["decoder linear layers"]
    assert 4.0 < bits < 4.3                              # 4-bit codes + absmax constants


def test_base_identity_changes_when_the_weights_change(tmp_path):
    """Lessons 06-07 reuse adapters only while this string stays the same."""
    import shutil

    from course_utils.model.load import base_identity
    from course_utils.paths import TINY_MODEL_DIR

    folder = shutil.copytree(TINY_MODEL_DIR, tmp_path / "m")
    before = base_identity(folder)
    assert base_identity(folder) == before
    with open(folder / "model.safetensors", "ab") as f:
        f.write(b"\0")
    assert base_identity(folder) != before
    assert base_identity("qwen2.5-7b") == "Qwen/Qwen2.5-7B-Instruct"
