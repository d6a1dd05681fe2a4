"""Lesson 05: the marked copies of Llama 3.1's and Mistral v0.3's templates that `train` gives TRL
render the same text and mark exactly each reply and its end token; lesson 07: which message
rules a base given as a folder follows."""

from __future__ import annotations

import json

import pytest
from trl.chat_template_utils import get_training_chat_template

from course_utils.model.load import format_messages
from course_utils.model.mini import MINI_PRESETS, chat_template, mini_tokenizer
from course_utils.model.templates import (marked_template, messages_preset, training_chat_template,
                                          training_template_for)
from course_utils.training.config import task_rows

TWO_TURNS = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
             {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Again?"},
             {"role": "assistant", "content": " Hello again. "}]

# What each template trains on per reply: TRL's Qwen2.5 marks include the newlines around it;
# Llama 3.1 and Mistral v0.3 trim the reply, Mistral writes a space before it.
REPLY = {"qwen2.5-7b": lambda c, eos: "\n" + c + eos + "\n",
         "llama-3.1-8b": lambda c, eos: c.strip() + eos,
         "mistral-7b": lambda c, eos: " " + c.strip() + eos}


def _conversations(preset):
    return [format_messages(r["messages"], preset) for r in task_rows("train", 3)] + [
        format_messages(TWO_TURNS, preset)]


@pytest.mark.parametrize("preset", MINI_PRESETS)
def test_trl_gets_a_marked_template_for_every_presets_own_template(preset):
    """TRL 1.16 raises "not training-compatible" for Llama 3.1 and Mistral v0.3 when
    assistant_only_loss=True; inside training_chat_template it has marks to read."""
    tok = mini_tokenizer(preset)
    assert tok.chat_template == chat_template(preset)
    ours = training_template_for(tok)
    assert (ours is None) == (preset == "qwen2.5-7b")   # TRL patches Qwen2.5 itself
    if ours is not None:
        with pytest.raises(ValueError):
            get_training_chat_template(tok)
    with training_chat_template(tok) as inside:
        assert tok.chat_template == (ours or chat_template(preset)) == inside
        get_training_chat_template(tok)                  # no longer raises
    assert tok.chat_template == chat_template(preset)   # the original is back


@pytest.mark.parametrize("preset", MINI_PRESETS)
def test_the_marked_template_renders_the_presets_text_and_marks_the_replies(preset):
    tok = mini_tokenizer(preset)
    marked = training_template_for(tok) or get_training_chat_template(tok)
    for msgs in _conversations(preset):
        assert (tok.apply_chat_template(msgs, tokenize=False)
                == tok.apply_chat_template(msgs, tokenize=False, chat_template=marked))
        enc = tok.apply_chat_template(msgs, chat_template=marked, tokenize=True, return_dict=True,
                                      return_assistant_tokens_mask=True)
        masked = [t for t, m in zip(enc["input_ids"], enc["assistant_masks"]) if m]
        assert tok.decode(masked) == "".join(REPLY[preset](m["content"], tok.eos_token)
                                             for m in msgs if m["role"] == "assistant")


def test_mistral_v03_drops_a_system_message_the_course_folds_in():
    tok = mini_tokenizer("mistral-7b")
    row = task_rows("train", 1)[0]["messages"]
    system = row[0]["content"]
    assert row[0]["role"] == "system" and system not in tok.apply_chat_template(row, tokenize=False)
    assert system in tok.apply_chat_template(format_messages(row, "mistral-7b"), tokenize=False)


def test_an_unknown_template_is_left_to_trl():
    assert marked_template("{{ messages[0]['content'] }}") is None
    tok = mini_tokenizer("mistral-7b")
    tok.chat_template = "{%- for m in messages %}{{ m['content'] }}{%- endfor %}"
    assert training_template_for(tok) is None
    with training_chat_template(tok) as inside:
        assert inside == tok.chat_template


def test_messages_preset_reads_a_folders_model_type(tmp_path):
    assert messages_preset("mistral-7b") == "mistral-7b"
    assert messages_preset("mistralai/Mistral-7B-Instruct-v0.3") == "mistral-7b"
    assert messages_preset("tiny") == "tiny"
    for model_type, preset in (("mistral", "mistral-7b"), ("llama", None), ("qwen2", None)):
        folder = tmp_path / model_type
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"model_type": model_type}))
        assert messages_preset(folder) == preset
        assert format_messages(TWO_TURNS, messages_preset(folder))[0]["role"] == (
            "user" if preset else "system")
    assert messages_preset(tmp_path / "none") is None
