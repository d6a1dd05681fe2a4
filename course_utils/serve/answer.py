"""Lesson 07: one answer as its tokens arrive: when it ends, and which text may be sent yet.

The worker feeds each row's new token to its `Answer`; `add` returns the text that may go to a
streaming client now and sets `finish_reason` when the answer is over:

    "stop"    the model wrote an end-of-sequence token, or the text reached a stop string
              (the text is cut before it, as OpenAI does);
    "length"  the answer reached its max_tokens.

Two things hold text back while a stream runs, so that the pieces sent, joined, are exactly the
final text (the tests compare a stream with the same request answered whole):

- an incomplete character: a byte-level tokenizer splits "é" or "日" over several tokens, and
  decoding half of one gives "\ufffd". Trailing "\ufffd" is kept until the character is whole;
- a possible stop string: with stop=["###"], text ending in "#" may be the start of one, so the
  "#" waits until the next tokens show whether it is.

What this leaves out: incremental decoding by offsets (vLLM decodes only the last few tokens;
here the row's whole answer is decoded each step, which is cheap for the course's lengths).
"""

from __future__ import annotations

from typing import Sequence

from course_utils.model.stack import transformers_args
from course_utils.serve.engine import Completion


def apply_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """Lesson 07. Cut `text` at the first stop string; (text, whether one was found)."""
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def _held_back(text: str, stops: Sequence[str]) -> int:
    """How many characters at the end of `text` may be the start of a stop string."""
    longest = 0
    for stop in stops:
        for n in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:n]):
                longest = n
                break
    return longest


class Answer:
    """Lesson 07. One row's answer: its tokens, its text, and what a stream may send so far."""

    def __init__(self, tokenizer, eos_ids: Sequence[int], limit: int, stops: Sequence[str] = (),
                 stream: bool = False):
        self.tokenizer, self.eos_ids, self.limit = tokenizer, set(eos_ids), limit
        self.stops, self.stream = list(stops), stream
        self.tokens: list[int] = []
        self.sent = ""                 # text already handed out (a prefix of the final text)
        self.text = ""                 # the final text, once finished
        self.finish_reason: str | None = None
        self.saw_eos = False

    @property
    def done(self) -> bool:
        return self.finish_reason is not None

    @property
    def completion_tokens(self) -> int:
        return len(self.tokens) + self.saw_eos   # OpenAI counts the end-of-sequence token

    def _decode(self) -> str:
        return self.tokenizer.decode(self.tokens, **transformers_args.decode_kwargs())

    def add(self, token: int) -> str:
        """Take the row's next token; return the text that may be sent now ("" for none)."""
        if self.done:
            return ""
        if token in self.eos_ids:
            self.saw_eos = True
            return self._finish("stop")
        self.tokens.append(token)
        if not (self.stream or self.stops):          # nothing to watch: decode once, at the end
            return self._finish("length") if len(self.tokens) >= self.limit else ""
        text = self._decode()
        cut, stopped = apply_stop(text, self.stops)
        if stopped:
            return self._finish("stop", cut)
        if len(self.tokens) >= self.limit:
            return self._finish("length", text)
        if not self.stream:
            return ""
        safe = text.rstrip("\ufffd")
        safe = safe[:len(safe) - _held_back(safe, self.stops)]
        if not safe.startswith(self.sent):          # decoding changed earlier text: wait for the end
            return ""
        piece, self.sent = safe[len(self.sent):], safe
        return piece

    def _finish(self, reason: str, text: str | None = None) -> str:
        """End the answer; return the rest of the text that was not sent yet."""
        if text is None:
            text, stopped = apply_stop(self._decode(), self.stops)
            reason = "stop" if stopped else reason
        self.finish_reason, self.text = reason, text
        piece = text[len(self.sent):] if text.startswith(self.sent) else ""
        self.sent = text
        return piece

    def completion(self, adapter: str, n_prompt: int) -> Completion:
        """The finished answer as the engine's `Completion`."""
        return Completion(self.text, adapter, n_prompt, self.completion_tokens,
                          self.finish_reason or "length", list(self.tokens))
