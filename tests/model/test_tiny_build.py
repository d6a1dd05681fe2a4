"""The embedded tiny model as committed, and its builder (course_utils.model.tiny.build)."""

import json

import pytest
from transformers import AutoTokenizer

from course_utils.model.tiny.build import build, render_chat
from course_utils.paths import TINY_MODEL_DIR


def test_committed_model_is_small_llama_with_gqa_and_a_card():
    cfg = json.loads((TINY_MODEL_DIR / "config.json").read_text())
    assert cfg["model_type"] == "llama"
    assert cfg["num_key_value_heads"] < cfg["num_attention_heads"]   # grouped-query attention
    info = json.loads((TINY_MODEL_DIR / "build_info.json").read_text())
    assert 1e6 < info["parameters"] < 10e6
    size = sum(f.stat().st_size for f in TINY_MODEL_DIR.iterdir() if f.is_file())
    assert size <= 25e6, f"data/tiny_model is {size / 1e6:.1f} MB; the limit is 25 MB"
    card = (TINY_MODEL_DIR / "README.md").read_text()
    for must in ("How it was made", "python -m course_utils.model.tiny.build", "training time", "parameters"):
        assert must in card
    assert (TINY_MODEL_DIR / "model.safetensors").is_file()
    assert not list(TINY_MODEL_DIR.glob("*.bin")) and not list(TINY_MODEL_DIR.glob("*.pt"))


def test_it_learned_something():
    info = json.loads((TINY_MODEL_DIR / "build_info.json").read_text())
    assert info["validation_loss"] < 0.5 * info["first_loss"]


def test_the_plain_python_template_matches_the_committed_jinja_template():
    """The corpus is rendered without jinja; it must be the text the tokenizer's template makes."""
    tok = AutoTokenizer.from_pretrained(TINY_MODEL_DIR)
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"}]
    assert render_chat(msgs) == tok.apply_chat_template(msgs, tokenize=False)


@pytest.mark.slow
def test_builder_runs_end_to_end_on_a_toy_budget(tmp_path):
    info = build(tmp_path, n_docs=400, steps=2, batch_size=2, seq_len=64)
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md", "build_info.json"} <= {
        p.name for p in tmp_path.iterdir()}
    tok = AutoTokenizer.from_pretrained(tmp_path)
    text = "Ünïcødé, emoji 🙂 and JSON {\"a\": 1} survive a byte-level round trip."
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text
    assert info["steps"] == 2
