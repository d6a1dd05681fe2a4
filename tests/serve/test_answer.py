"""Lesson 07's `Answer`: the pieces a stream sends, joined, are exactly the final text, with
characters split over several tokens (the tiny model's byte-level tokenizer) and with stop
strings that arrive a character at a time; finish reasons and token counts as OpenAI gives them."""

import pytest
from transformers import AutoTokenizer

from course_utils.paths import TINY_MODEL_DIR
from course_utils.serve.answer import Answer, apply_stop

from fake_engine import EOS, FakeTokenizer


def feed(answer: Answer, tokens) -> list[str]:
    pieces = []
    for t in tokens:
        pieces.append(answer.add(t))
        if answer.done:
            break
    return pieces


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(TINY_MODEL_DIR)


def test_split_characters_are_held_until_whole(tokenizer):
    text = "héllo wörld 日本 ok"
    ids = tokenizer(text)["input_ids"]
    assert "\ufffd" in "".join(tokenizer.decode(ids[:k]) for k in range(len(ids)))   # some tokens split a char
    answer = Answer(tokenizer, [2], limit=100, stream=True)
    pieces = feed(answer, ids + [2])
    assert "".join(pieces) == answer.text == text and answer.finish_reason == "stop"
    assert not any("\ufffd" in p for p in pieces) and sum(bool(p) for p in pieces) > 3
    assert answer.completion_tokens == len(ids) + 1                 # the end-of-sequence token counts


@pytest.mark.parametrize("stop", [["###"], ["o w"], ["zz", "ld"], ["never"]])
def test_stop_strings_are_never_sent_and_pieces_join_to_the_text(stop):
    text = "hello wo#rld ## and ### more"
    answer = Answer(FakeTokenizer(), [EOS], limit=100, stops=stop, stream=True)
    pieces = feed(answer, [ord(c) for c in text] + [EOS])
    want, found = apply_stop(text, stop)
    assert "".join(pieces) == answer.text == want
    assert answer.finish_reason == "stop"
    assert answer.completion_tokens == (len(text) + 1 if not found else len(want) + len(
        next(s for s in stop if text.find(s) == len(want))))       # generation ends at the stop string


def test_the_length_limit_and_a_whole_answer():
    answer = Answer(FakeTokenizer(), [EOS], limit=3)
    assert feed(answer, [ord(c) for c in "abcdef"]) == ["", "", "abc"]  # not streamed: all at the end
    assert (answer.text, answer.finish_reason, answer.completion_tokens) == ("abc", "length", 3)
    out = answer.completion("triage", 7)
    assert (out.text, out.adapter, out.prompt_tokens, out.token_ids) == ("abc", "triage", 7, [97, 98, 99])
    assert answer.add(ord("z")) == "" and answer.text == "abc"      # nothing after the end
