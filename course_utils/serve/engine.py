"""Lesson 07: many LoRA adapters on one base model, answering one batch together.

`MultiAdapterModel` holds one base (4-bit NF4 by default) and N adapters loaded onto it; `route`
maps a request's model name to an adapter; `generate` runs ONE batch in which every row may use
a different adapter (PEFT's `adapter_names=[...]`, "__base__" for the bare base model). A prompt
that does not fit the context raises `ContextLengthError`, a model name that is not served
`AdapterNotFoundError`: the server turns them into HTTP 400 and 404.

`generate_ids(..., on_step=f)` calls `f` after every decode step with each row's new token, and
stops the rows `f` says are done: the server streams text, applies stop strings and drops the
rows of clients that hung up this way, between two decode steps.

Adapter selection is model state: `set_adapter` and the hooks behind `adapter_names` change
what every later forward pass computes. Two threads generating at once would mix adapters, so
the engine holds a lock and the server gives the model to one worker thread.

A chat message is text, whatever it contains: `encode` turns a message that spells a special
token (Qwen's "<|im_end|>") into the ordinary tokens of those characters, so a user cannot end
their own turn and write the assistant's.

What this leaves out: making adapters (`course_utils.serve.adapters`), measuring the engine
(`course_utils.serve.bench`), sampling with per-request seeds, prefix caching and paged KV
memory (vLLM's territory; `course_utils.serve.vllm` writes the command that gets them).
"""

from __future__ import annotations

import re
import threading
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import torch
from transformers import LogitsProcessor, LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

from course_utils.model.load import format_messages, load_model
from course_utils.model.templates import messages_preset
from course_utils.model.stack import peft_args, transformers_args
from course_utils.model.base_check import check_adapter_base
from course_utils.serve.adapters import BASE, adapter_dir, check_adapter_name


class AdapterNotFoundError(ValueError):
    """Lesson 07. A request named a model that this engine does not serve."""


class ContextLengthError(ValueError):
    """Lesson 07. A prompt plus the tokens asked for do not fit in the model's context."""


@dataclass
class Completion:
    """Lesson 07. One generated answer: text, token counts, why it ended ("stop" / "length")."""

    text: str
    adapter: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    token_ids: list[int] = field(default_factory=list, repr=False)


@contextmanager
def torch_threads(n: int | None):
    """Lesson 07. Run torch with `n` intra-op threads inside the block (None: leave as is).

    One thread per model-owning worker: with the default OpenMP threads, generation on a
    non-main thread of a 2-core machine ran 2.5x slower here (threads fighting for the cores)."""
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


class _StepHook(StoppingCriteria):
    """`generate` calls its stopping criteria once per decode step, after the new tokens are
    appended: the one place where a caller can see each token and stop single rows."""

    def __init__(self, on_step: Callable[[list[int]], Sequence[bool]]):
        self.on_step = on_step

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        done = self.on_step(input_ids[:, -1].tolist())
        return torch.tensor(list(done), dtype=torch.bool, device=input_ids.device)


class _MinTokens(LogitsProcessor):
    """No end-of-sequence token for a row until it has `mins[row]` new tokens (vLLM's per-request
    min_tokens; `generate`'s own min_new_tokens holds for the whole batch)."""

    def __init__(self, mins: Sequence[int], eos_ids: Sequence[int], prompt_width: int):
        self.mins, self.eos_ids, self.width = torch.tensor(list(mins)), list(eos_ids), prompt_width

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        short = (self.mins > input_ids.shape[1] - self.width).to(scores.device)
        scores[short.nonzero()[:, :1], torch.tensor(self.eos_ids, device=scores.device)] = -float("inf")
        return scores


class MultiAdapterModel:
    """Lesson 07. One base model and several LoRA adapters, answering mixed-adapter batches."""

    def __init__(self, model, tokenizer, base_name: str = "tiny"):
        self.model, self.tokenizer, self.base_name = model, tokenizer, str(base_name)
        self.adapter_paths: dict[str, Path] = {}
        self._lock = threading.RLock()   # one generation at a time: adapter choice is model state
        # a preset's message rules; for a folder, those of its config's model (Mistral: no system role)
        self.preset_name = messages_preset(self.base_name, getattr(model, "config", None))
        gen_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        gen_eos = gen_eos if isinstance(gen_eos, (list, tuple)) else [gen_eos]
        self.eos_ids = sorted({i for i in [*gen_eos, tokenizer.eos_token_id] if i is not None})
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_ids[0]

    @classmethod
    def load(cls, base: str = "tiny", adapters: Mapping[str, str | Path] | None = None,
             quantization: str = "nf4", profile=None) -> "MultiAdapterModel":
        """Load the base once (4-bit NF4 by default) and every adapter of {name: folder} onto it."""
        model, tokenizer = load_model(base, quantization=quantization, profile=profile)
        engine = cls(model, tokenizer, base_name=str(base))
        for name, path in (adapters or {}).items():
            engine.add_adapter(name, path)
        return engine

    @property
    def is_peft(self) -> bool:
        return hasattr(self.model, "peft_config")

    @property
    def names(self) -> list[str]:
        """Every model name a request may use: the base's name, then the adapters."""
        return [self.base_name, *self.adapter_paths]

    @property
    def context_length(self) -> int:
        cfg = self.model.config
        return int(getattr(cfg, "max_position_embeddings", None) or self.tokenizer.model_max_length)

    def add_adapter(self, name: str, path) -> None:
        """Load the adapter saved in `path` under `name` (no copy of the base is made)."""
        check_adapter_name(name)
        if name in self.adapter_paths or name == self.base_name:
            raise ValueError(f"adapter name {name!r} is already in use; pick another name")
        path = adapter_dir(path)
        check_adapter_base(path, self.base_name, unknown_ok=True)   # tiny adapter on smol: refused by name
        with self._lock:
            try:
                if not self.is_peft:
                    from peft import PeftModel   # imported on use: peft takes seconds to import

                    self.model = PeftModel.from_pretrained(self.model, str(path),
                                                           **peft_args.adapter_kwargs(name))
                else:
                    self.model.load_adapter(str(path), **peft_args.load_adapter_kwargs(name))
            except RuntimeError as err:  # size mismatch: trained for another base model
                if self.is_peft and name in self.model.peft_config:
                    self.model.delete_adapter(name)   # leave no half-loaded adapter behind
                raise ValueError(f"adapter {name!r} in {path} does not fit the base {self.base_name!r}: "
                                 f"{str(err).splitlines()[0]} — check base_model_name_or_path in its "
                                 f"adapter_config.json (course_utils.serve.vllm.check_adapter "
                                 f"explains)") from err
            self.model.eval()
        self.adapter_paths[name] = path

    def route(self, model_name: str) -> str:
        """The adapter a request's `model` field selects ("__base__" for the base model)."""
        if model_name in self.adapter_paths:
            return model_name
        if model_name in (self.base_name, BASE):
            return BASE
        raise AdapterNotFoundError(f"The model {model_name!r} is not served here. Use one of "
                                   f"{self.names} (GET /v1/models lists them).")

    def encode(self, prompt, chat: bool = True) -> list[int]:
        """Token ids of a prompt: a chat (a string or a list of messages, with the chat template
        and the assistant header) or, with chat=False, raw text as /v1/completions sends it.
        Special tokens spelled inside a chat message are encoded as plain text."""
        with self._lock:
            if not chat:
                return list(self.tokenizer(prompt)["input_ids"])
            messages = format_messages(prompt, self.preset_name)
            specials = [t.content for t in self.tokenizer.added_tokens_decoder.values()]
            if any(s in m["content"] for m in messages for s in specials):
                return self._encode_as_text(messages)
            return list(self.tokenizer.apply_chat_template(
                messages, **transformers_args.chat_prompt_kwargs("ids"))["input_ids"])

    def _encode_as_text(self, messages: list[dict]) -> list[int]:
        """The chat template's own tokens, with each message's content encoded with
        `split_special_tokens=True`: "<|im_end|>" typed by a user is 7 ordinary tokens here, not
        the end-of-turn token. The template is rendered with a random placeholder for each
        message's content, then each piece is tokenized on its own."""
        content = {f"[[content-{uuid.uuid4().hex}]]": m["content"] for m in messages}
        text = self.tokenizer.apply_chat_template(
            [{**m, "content": mark} for m, mark in zip(messages, content)],
            **transformers_args.chat_prompt_kwargs("text"))
        as_text = transformers_args.encode_kwargs(split_special_tokens=True)
        ids: list[int] = []
        for piece in re.split("(" + "|".join(map(re.escape, content)) + ")", text):
            if piece in content:
                ids += self.tokenizer(content[piece], **as_text)["input_ids"]
            elif piece:
                ids += self.tokenizer(piece, **transformers_args.encode_kwargs())["input_ids"]
        return ids

    def check_fits(self, n_prompt: int, max_new_tokens: int) -> None:
        """Raise ContextLengthError when the prompt and the answer exceed the context."""
        if n_prompt + max_new_tokens > self.context_length:
            raise ContextLengthError(
                f"This model's context is {self.context_length} tokens, and the request needs "
                f"{n_prompt + max_new_tokens} ({n_prompt} in the prompt + max_tokens={max_new_tokens}). "
                f"Shorten the prompt or lower max_tokens.")

    def generate(self, prompts: Sequence, adapters: Sequence[str], max_new_tokens: int = 48,
                 chat: bool = True, **kw) -> list[Completion]:
        """Answer every prompt with its own adapter (model name), in ONE batched `generate`."""
        return self.generate_ids([self.encode(p, chat) for p in prompts], adapters, max_new_tokens, **kw)

    def generate_ids(self, prompt_ids: Sequence[Sequence[int]], adapters: Sequence[str],
                     max_new_tokens: int | Sequence[int] = 48, temperature: float = 0.0,
                     top_p: float = 1.0, min_new_tokens: int | Sequence[int] | None = None,
                     on_step: Callable[[list[int]], Sequence[bool]] | None = None) -> list[Completion]:
        """The batched core: left-pad the prompts, one `generate`, cut each row at EOS or its limit.

        Greedy unless temperature > 0. All rows one adapter: `set_adapter` (or the adapter switched
        off for the base) and a plain batch; otherwise `adapter_names=[...]`, which routes each
        row through its own adapter inside every LoRA layer. `on_step(tokens)` gets every row's
        new token after each decode step and returns which rows are done (their later tokens
        are padding); generation ends when every row is done. `min_new_tokens`: one number for
        every row (benchmarks), or one per row (requests' min_tokens)."""
        if len(prompt_ids) != len(adapters) or not prompt_ids:
            raise ValueError(f"give one adapter per prompt: {len(prompt_ids)} prompts, {len(adapters)} adapters")
        names = [self.route(a) for a in adapters]
        limits = ([int(max_new_tokens)] * len(names) if isinstance(max_new_tokens, int)
                  else [int(m) for m in max_new_tokens])
        for ids, limit in zip(prompt_ids, limits):
            self.check_fits(len(ids), limit)
        input_ids, mask = self._left_pad(prompt_ids)
        same_min = min_new_tokens if isinstance(min_new_tokens, int) and min_new_tokens else None
        per_row_min = (LogitsProcessorList([_MinTokens(min_new_tokens, self.eos_ids, input_ids.shape[1])])
                       if not isinstance(min_new_tokens, int) and min_new_tokens is not None
                       and any(min_new_tokens) else None)
        kw = transformers_args.decoding_kwargs(
            max(limits), temperature=temperature, top_p=top_p, pad_token_id=self.pad_id,
            eos_token_id=self.eos_ids,
            min_new_tokens=same_min,               # benchmarks: every row the same length
            logits_processor=per_row_min,          # requests' min_tokens, row by row
            stopping_criteria=StoppingCriteriaList([_StepHook(on_step)]) if on_step is not None else None)
        device = self.model.device
        with self._lock, torch.no_grad():
            self.model.eval()
            with self._select(names, kw):
                out = self.model.generate(
                    **transformers_args.prompt_kwargs(input_ids.to(device), mask.to(device)), **kw)
            rows = out[:, input_ids.shape[1]:].tolist()
            return [self._completion(row, adapter, limit, len(ids))
                    for adapter, row, limit, ids in zip(adapters, rows, limits, prompt_ids)]

    def _left_pad(self, prompt_ids: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Input ids and attention mask, left-padded: every row's last token at the end."""
        width = max(len(ids) for ids in prompt_ids)
        input_ids = torch.full((len(prompt_ids), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(prompt_ids), width), dtype=torch.long)
        for i, ids in enumerate(prompt_ids):
            input_ids[i, width - len(ids):] = torch.tensor(list(ids), dtype=torch.long)
            mask[i, width - len(ids):] = 1
        return input_ids, mask

    def _select(self, names: list[str], kw: dict):
        """Make the model answer each row with its adapter; a context manager for the generate."""
        if not self.is_peft:
            return nullcontext()
        if len(set(names)) == 1 and names[0] == BASE:
            return self.model.disable_adapter()
        if len(set(names)) == 1:
            self.model.set_adapter(names[0])
            return nullcontext()
        # PEFT splits each LoRA layer's batch by adapter (peft 0.21, LoraLayer._mixed_batch_forward;
        # "__base__" rows get no LoRA term)
        kw.update(peft_args.mixed_batch_kwargs(names))
        return nullcontext()

    def _completion(self, row: list[int], adapter: str, limit: int, n_prompt: int) -> Completion:
        """One row's answer, cut at its first EOS ("stop") or at its own limit ("length")."""
        new, finish = [], "length"
        for tok in row[:limit]:
            if tok in self.eos_ids:
                finish = "stop"
                break
            new.append(tok)
        text = self.tokenizer.decode(new, **transformers_args.decode_kwargs())
        return Completion(text, adapter, n_prompt, len(new) + (finish == "stop"), finish, new)
