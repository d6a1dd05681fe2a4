"""Lesson 04: rows render through the model's chat template, and the loss mask trains on the
assistant's replies (plus their end token) and nothing else."""

import pytest

from course_utils.dataset import chat_format as formatting
from course_utils.dataset.general_chat import generate_general
from course_utils.dataset.generate import generate_task_rows
from course_utils.dataset.load import load_split
from course_utils.paths import TINY_MODEL_DIR

pytestmark = pytest.mark.skipif(not (TINY_MODEL_DIR / "tokenizer_config.json").is_file(),
                                reason="the tiny model's tokenizer is not built (data/tiny_model)")


@pytest.fixture(scope="module")
def tok():
    return formatting.load_chat_tokenizer()


def sample_rows():
    rows = generate_task_rows(0, {"triage": 6, "moderation": 6, "policy_qa": 6})
    general = generate_general(0, 400)
    two_turn = [r for r in general if len(r["messages"]) == 4][:3]
    return rows + general[:6] + two_turn


def test_plain_python_rendering_equals_the_chat_template(tok):
    for r in sample_rows():
        for gen in (False, True):
            msgs = r["messages"] if not gen else formatting.prompt_messages(r)
            assert formatting.render_chatml(msgs, gen) == formatting.render(msgs, tok, gen)


def test_mask_trains_exactly_on_the_replies_and_their_end_token(tok):
    for r in sample_rows():
        enc = formatting.tokenize_with_mask(r, tok)
        assert formatting.trained_text(enc, tok) == formatting.expected_trained_text(r, tok)
        assert formatting.expected_trained_text(r, tok).endswith("<|im_end|>")
        n_trained = sum(lab != formatting.IGNORE_INDEX for lab in enc["labels"])
        assert 0 < n_trained < len(enc["input_ids"])
        # The prompt is untouched: the first trained token comes after the last user turn starts.
        first = next(i for i, lab in enumerate(enc["labels"]) if lab != formatting.IGNORE_INDEX)
        assert tok.decode(enc["input_ids"][:first]).endswith("<|im_start|>assistant\n")
        # The ids are what the chat template itself tokenizes to.
        assert enc["input_ids"] == tok.apply_chat_template(r["messages"], tokenize=True,
                                                           return_dict=True)["input_ids"]


def test_mask_agrees_with_the_templates_generation_markers(tok):
    for r in sample_rows():
        ours = formatting.tokenize_with_mask(r, tok)["assistant_mask"]
        theirs = tok.apply_chat_template(r["messages"], tokenize=True, return_dict=True,
                                         return_assistant_tokens_mask=True)["assistant_masks"]
        assert ours == list(theirs)


def test_committed_rows_render_in_a_few_dozen_to_a_couple_hundred_tokens(tok):
    train = load_split("train")
    lengths = sorted(len(formatting.tokenize_with_mask(r, tok)["input_ids"]) for r in train[:300])
    assert lengths[0] >= 30 and lengths[-1] <= 256


def test_prompt_completion_and_html_views(tok):
    r = load_split("train")[0]
    pc = formatting.to_prompt_completion(r)
    assert pc["prompt"] + pc["completion"] == r["messages"] and pc["completion"][0]["role"] == "assistant"
    enc = formatting.tokenize_with_mask(r, tok)
    assert "background:#b7f0b1" in formatting.mask_html(enc, tok)
    assert "[[" in formatting.mask_text(enc, tok)
    with pytest.raises(ValueError, match="end with an assistant"):
        formatting.prompt_messages(r["messages"][:-1])


# Mistral v0.3's way of writing a reply: a space after [/INST], the content trimmed, then </s>.
SPACED = ("{{- bos_token }}{%- for m in messages %}{%- if m['role'] == 'user' %}"
          "{{- '[INST] ' + m['content'] + '[/INST]' }}"
          "{%- else %}{{- ' ' + m['content']|trim + eos_token }}{%- endif %}{%- endfor %}")


def test_the_mask_finds_a_reply_after_the_space_the_template_inserts():
    tok = formatting.load_chat_tokenizer()
    tok.chat_template = SPACED
    msgs = [{"role": "user", "content": "Is the printer on fire?"},
            {"role": "assistant", "content": "No. \n"},
            {"role": "user", "content": "Sure?"}, {"role": "assistant", "content": "Yes, sure."}]
    text, spans = formatting.assistant_char_spans(msgs, tok)
    # the inserted space belongs to the reply: the model must write it after [/INST]
    assert [text[s:e] for s, e in spans] == [" No.<|im_end|>", " Yes, sure.<|im_end|>"]
    enc = formatting.tokenize_with_mask(msgs, tok)
    assert formatting.trained_text(enc, tok) == " No.<|im_end|> Yes, sure.<|im_end|>"
    tok.chat_template = SPACED.replace("' ' + m['content']|trim", "' ' + m['content'][1:]")
    with pytest.raises(ValueError, match="message 1: .* prompt \\+ reply"):
        formatting.assistant_char_spans(msgs, tok)
