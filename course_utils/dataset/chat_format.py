"""Lesson 04: rendering rows through the model's chat template, and the assistant-only loss mask.

A row's ``messages`` become one string through the tokenizer's chat template (ChatML-style for
the tiny model: ``<|im_start|>{role}\\n{content}<|im_end|>\\n``). Training on that string
would also teach the model to write the *user's* messages; the loss mask keeps only the
assistant's reply and its end token (``<|im_end|>``), so the model learns to answer and stop.

The mask here is computed from character spans (where each reply sits in the rendered text)
and the tokenizer's offsets, so it works with any chat template whose rendering of the first
k messages is a prefix of the rendering of k+1 (ChatML, Llama-3, Qwen2.5, Mistral). The tiny
model's template also marks replies with ``{% generation %}``; the tests check that both
agree.

`render_chatml` is plain Python (no transformers) so that pure modules can count tokens of
the rendered text; everything else imports transformers lazily, inside the functions.

What this leaves out: packing several rows into one training sequence, and chat templates that
do not render a conversation as prompt + reply (the mask raises for them rather than guess).
"""

from __future__ import annotations

import html
from pathlib import Path

from course_utils.paths import TINY_MODEL_DIR

IGNORE_INDEX = -100  # the label value PyTorch's cross-entropy skips


def render_chatml(messages: list[dict], add_generation_prompt: bool = False) -> str:
    """Lesson 04. The tiny model's chat template in plain Python (equal to `apply_chat_template`)."""
    out = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages]
    if add_generation_prompt:
        out.append("<|im_start|>assistant\n")
    return "".join(out)


def load_chat_tokenizer(path=None):
    """Lesson 04. The course tokenizer with its chat template (`AutoTokenizer`, local files only)."""
    path = Path(path) if path is not None else TINY_MODEL_DIR
    if not (path / "tokenizer_config.json").is_file():
        raise FileNotFoundError(
            f"no tokenizer at {path} (tokenizer_config.json missing); build the tiny model with "
            "`python -m course_utils.model.tiny.build` or pass the folder of another tokenizer")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def _messages(row_or_messages) -> list[dict]:
    if isinstance(row_or_messages, dict):
        msgs = row_or_messages.get("messages")
        if not isinstance(msgs, list):
            raise ValueError(f"row {row_or_messages.get('id')!r} has no 'messages' list")
        return msgs
    if isinstance(row_or_messages, list):
        return row_or_messages
    raise TypeError(f"expected a row dict or a list of messages, got {type(row_or_messages).__name__}")


def render(row_or_messages, tokenizer, add_generation_prompt: bool = False) -> str:
    """Lesson 04. The conversation as the model sees it (through `apply_chat_template`)."""
    return tokenizer.apply_chat_template(_messages(row_or_messages), tokenize=False,
                                         add_generation_prompt=add_generation_prompt)


def prompt_messages(row_or_messages) -> list[dict]:
    """Lesson 04. The messages before the last assistant reply (what a model is asked)."""
    msgs = _messages(row_or_messages)
    if not msgs or msgs[-1].get("role") != "assistant":
        raise ValueError("the conversation must end with an assistant message")
    return msgs[:-1]


def to_prompt_completion(row: dict) -> dict:
    """Lesson 04. TRL's conversational prompt-completion form: {"prompt": [...], "completion": [...]}."""
    msgs = _messages(row)
    return {"prompt": prompt_messages(msgs), "completion": [msgs[-1]]}


def assistant_char_spans(messages: list[dict], tokenizer) -> tuple[str, list[tuple[int, int]]]:
    """Lesson 04. The rendered text and, per assistant reply, its (start, end) characters.

    A span covers the reply's content and the end-of-turn token that follows it, and any
    whitespace the template puts between the prompt and the reply (Mistral v0.3 renders
    ``[/INST] `` + content|trim + ``</s>``): the model must learn to write that space too, and a
    tokenizer usually joins it to the reply's first word (``▁The``).
    """
    text = render(messages, tokenizer)
    end_token = tokenizer.eos_token or ""
    spans = []
    for i, m in enumerate(messages):
        if m.get("role") != "assistant":
            continue
        prefix = render(messages[:i], tokenizer, add_generation_prompt=True) if i else \
            render([], tokenizer, add_generation_prompt=True)
        start = len(prefix)
        end = _reply_end(text, start, m["content"]) if text.startswith(prefix) else None
        if end is None:
            raise ValueError(
                f"message {i}: the chat template does not render the conversation as prompt + "
                "reply, so the reply cannot be located; this template needs its own masking")
        if end_token and text.startswith(end_token, end):
            end += len(end_token)
        spans.append((start, end))
    return text, spans


def _reply_end(text: str, start: int, content: str) -> int | None:
    """Where the reply ends when it starts at `start`, as given or as the template writes it
    (after inserted whitespace, trimmed); None when it is not there."""
    if text.startswith(content, start):
        return start + len(content)
    after_space = len(text) - len(text[start:].lstrip())
    trimmed = content.strip()
    if trimmed and text.startswith(trimmed, after_space):
        return after_space + len(trimmed)
    return None


def tokenize_with_mask(row_or_messages, tokenizer, *, max_length: int | None = None) -> dict:
    """Lesson 04. input_ids, attention_mask and labels that train on the assistant's tokens only.

    labels[i] = input_ids[i] on the replies (content + end token) and IGNORE_INDEX (-100)
    elsewhere. `max_length` truncates from the right (the curation already caps lengths).
    """
    msgs = _messages(row_or_messages)
    text, spans = assistant_char_spans(msgs, tokenizer)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    mask = []
    for a, b in offsets:
        inside = any(s <= a and b <= e for s, e in spans) and b > a
        mask.append(1 if inside else 0)
    if max_length is not None:
        ids, mask = ids[:max_length], mask[:max_length]
    return {"input_ids": list(ids), "attention_mask": [1] * len(ids),
            "labels": [t if k else IGNORE_INDEX for t, k in zip(ids, mask)],
            "assistant_mask": mask}


def trained_text(encoded: dict, tokenizer) -> str:
    """Lesson 04. Decode the tokens the loss trains on (should be the replies + end tokens)."""
    ids = [t for t, lab in zip(encoded["input_ids"], encoded["labels"]) if lab != IGNORE_INDEX]
    return tokenizer.decode(ids, skip_special_tokens=False)


def expected_trained_text(row_or_messages, tokenizer) -> str:
    """Lesson 04. What `trained_text` must equal: every reply followed by the end token."""
    end = tokenizer.eos_token or ""
    return "".join(m["content"] + end for m in _messages(row_or_messages) if m["role"] == "assistant")


def mask_html(encoded: dict, tokenizer) -> str:
    """Lesson 04. HTML showing each token; trained tokens on green, the rest grey."""
    parts = []
    for t, lab in zip(encoded["input_ids"], encoded["labels"]):
        piece = html.escape(tokenizer.decode([t], skip_special_tokens=False)).replace("\n", "↵<br>")
        style = ("background:#b7f0b1;color:#000" if lab != IGNORE_INDEX
                 else "background:#eee;color:#888")
        parts.append(f'<span style="{style};border:1px solid #fff;font-family:monospace">{piece}</span>')
    return ('<div style="line-height:1.9">' + "".join(parts) + "</div>"
            '<p style="font-size:90%">green: trained (labels = token ids); grey: masked (-100)</p>')


def mask_text(encoded: dict, tokenizer) -> str:
    """Lesson 04. Plain-text view: trained tokens wrapped in [[ ]]."""
    out = []
    for t, lab in zip(encoded["input_ids"], encoded["labels"]):
        piece = tokenizer.decode([t], skip_special_tokens=False)
        out.append(f"[[{piece}]]" if lab != IGNORE_INDEX else piece)
    return "".join(out)
