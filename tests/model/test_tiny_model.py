"""The embedded tiny model: what is committed, how it was built, and what it was not taught."""

import json

from course_utils.model.tiny import corpus as tiny_corpus
from course_utils.model.tiny import build as tiny_model
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


def test_corpus_is_deterministic_and_free_of_the_course_task_formats():
    a = list(tiny_corpus.documents(2000, seed=3))
    assert a == list(tiny_corpus.documents(2000, seed=3))
    assert a != list(tiny_corpus.documents(2000, seed=4))
    text = json.dumps(a).lower()
    task_markers = ("urgency", "category", "sentiment", "order_id", "order id", "ord-",
                    "moderation", "label", "harassment", "triage", "nimbus", "warranty", "@")
    for task_marker in task_markers:
        assert task_marker not in text, f"the tiny model's corpus contains {task_marker!r}"


def test_corpus_teaches_json_in_general():
    """Generic JSON records and JSON-answering chats are there (the output layer must know `{`)."""
    docs = list(tiny_corpus.documents(2000, seed=3))
    answers = [d[-1]["content"] for kind, d in docs if kind == "chat"]
    json_answers = [json.loads(a) for a in answers if a.startswith("{")]
    assert 0.05 < len(json_answers) / len(docs) < 0.3
    assert any(None in r.values() for r in json_answers)                 # null is seen
    texts = [d for kind, d in docs if kind == "text"]
    assert any(line.startswith("{") and json.loads(line) for t in texts for line in t.split("\n"))


def test_builder_runs_end_to_end_on_a_toy_budget(tmp_path):
    info = tiny_model.build(tmp_path, n_docs=400, steps=2, batch_size=2, seq_len=64)
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md", "build_info.json"} <= {
        p.name for p in tmp_path.iterdir()}
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tmp_path)
    text = "Ünïcødé, emoji 🙂 and JSON {\"a\": 1} survive a byte-level round trip."
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text
    assert info["steps"] == 2
