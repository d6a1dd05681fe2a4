"""A stand-in for `MultiAdapterModel` with no model: the server's HTTP, queue, streaming and
shutdown behaviour tested in a second, with decode steps of a chosen length. A plain module, not
a test file (shared by the HTTP, wire, batcher and fuzz tests).

Its "model" answers a prompt with the letters of the prompt's text, one per decode step, then
writes its end-of-sequence token: text from a chat `[{"content": "abc"}]` is "abc". A prompt that
contains "forever" never ends (until max_tokens). Token ids are character codes, so any text
decodes back to itself."""

from __future__ import annotations

import threading
import time

from course_utils.serve.adapters import BASE
from course_utils.serve.engine import AdapterNotFoundError, Completion, ContextLengthError
from course_utils.serve.wire import Limits

EOS = 0
# What the keyed FakeEngine server of the HTTP tests uses (the `fake` fixture, tests/serve/conftest.py).
KEY = "course-test-key-0123"
MSG = [{"role": "user", "content": "hello"}]
QUICK = Limits(idle_timeout_s=2, header_timeout_s=1, body_timeout_s=1, write_timeout_s=5)


class FakeTokenizer:
    def decode(self, ids, skip_special_tokens=True):
        return "".join(chr(i) for i in ids if i != EOS)


class FakeEngine:
    """names, route, encode, check_fits and generate_ids, as the batcher and parser use them."""

    def __init__(self, step_s: float = 0.0, context_length: int = 1024):
        self.base_name, self.adapter_paths = "tiny", {"triage": "/secret/triage", "policy_qa": "/secret/pq"}
        self.step_s, self.context_length = step_s, context_length
        self.tokenizer, self.eos_ids = FakeTokenizer(), [EOS]
        self.steps = 0
        self.lock = threading.Lock()       # as the real engine: one generation at a time

    @property
    def names(self):
        return [self.base_name, *self.adapter_paths]

    def route(self, name):
        if name in self.adapter_paths:
            return name
        if name in (self.base_name, BASE):
            return BASE
        raise AdapterNotFoundError(f"The model {name!r} is not served here. Use one of {self.names}.")

    def encode(self, prompt, chat=True):
        text = prompt if isinstance(prompt, str) else "".join(m["content"] for m in prompt)
        return [ord(c) for c in text] or [32]

    def check_fits(self, n_prompt, max_new_tokens):
        if n_prompt + max_new_tokens > self.context_length:
            raise ContextLengthError(f"This model's context is {self.context_length} tokens")

    def answer_ids(self, ids):
        text = "".join(chr(i) for i in ids)
        return None if "forever" in text else [*ids, EOS]

    def generate_ids(self, prompt_ids, adapters, max_new_tokens=48, temperature=0.0, top_p=1.0,
                     min_new_tokens=None, on_step=None):
        limits = [max_new_tokens] * len(prompt_ids) if isinstance(max_new_tokens, int) else list(max_new_tokens)
        answers = [self.answer_ids(ids) for ids in prompt_ids]
        with self.lock:
            for step in range(max(limits)):
                time.sleep(self.step_s)
                self.steps += 1
                tokens = [a[step] if a is not None and step < len(a) else ord("x") for a in answers]
                if on_step is not None and all(on_step(tokens)):
                    break
        return [Completion("", a, len(i), 0, "length") for a, i in zip(adapters, prompt_ids)]
