"""Lesson 07 (stretch): iteration-level ("continuous") batching: a request joins the running
batch between two decode steps, instead of waiting for the whole batch to end.

The micro-batcher (`course_utils.serve.batcher`) hands a batch to `generate` and takes new
requests only when it returns: a request that arrives one step after a batch of 1,000-token
answers began waits for all of them. `ContinuousBatcher` runs the decode loop itself, one step
at a time, with the KV cache in its hands:

1. new requests are prefilled together (their prompts, left-padded, through the model once);
2. their cache is merged into the running batch's: both are left-padded to the same length
   (padding is masked out, and rotary positions were applied when each key was written, so a
   row's keys do not move), then stacked along the batch;
3. every row takes its next token (greedy, or sampled with its own temperature and top_p);
   finished rows leave the batch (`batch_select_indices` on the cache), and columns that only
   padding fills any more are cut from the left;
4. one forward step for the rows that remain, each through its own adapter (`adapter_names`).

Rows are answered, streamed, cancelled and timed out as in the micro-batcher (it inherits its
queue and `Answer` bookkeeping). `course_utils.serve.bench.compare_batchers` measures both under
the same Poisson arrivals.

What this leaves out: paged KV memory (vLLM's PagedAttention: here merging copies the cache),
chunked prefill, and prefix caching.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from course_utils.serve.answer import Answer
from course_utils.serve.batcher import CLIENT_GONE, MicroBatcher
from course_utils.serve.engine import torch_threads
from course_utils.serve.requests import Job, RequestError


@dataclass
class _Batch:
    """The rows being decoded: their jobs and answers, the cache, its mask, next positions, and
    the logits of each row's next token."""

    jobs: list[Job]
    answers: list[Answer]
    n_prompt: list[int]
    cache: object
    mask: torch.Tensor          # (rows, columns): 1 where the cache holds a real token
    position: torch.Tensor      # (rows,): the position of each row's next token
    logits: torch.Tensor        # (rows, vocab)


def _positions(mask: torch.Tensor) -> torch.Tensor:
    """Position ids of left-padded rows: 0 at each row's first real token (as `generate` does)."""
    return (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)


def _pad_left(t: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    extra = width - t.shape[dim]
    if extra <= 0:
        return t
    pad = [0, 0] * (t.dim() - 1 - dim) + [extra, 0]
    return F.pad(t, pad)


class ContinuousBatcher(MicroBatcher):
    """Lesson 07 (stretch). The worker that admits new requests into the running batch between
    decode steps (up to `max_batch` rows at once)."""

    def _run(self) -> None:
        with torch_threads(self.threads), torch.no_grad():
            batch: _Batch | None = None
            while not self._stop.is_set():
                room = self.max_batch - (len(batch.jobs) if batch else 0)
                first = self._take(0.05 if batch is None else 0.0) if room > 0 else None
                if first is not None:
                    fresh = self._collect([first])[:room] if batch is None else self._more_now([first], room)
                    batch = self._join(batch, fresh)
                if batch is not None:
                    batch = self._step(batch)
                self.running = len(batch.jobs) if batch else 0

    def _more_now(self, jobs: list[Job], room: int) -> list[Job]:
        """Whatever else is queued right now, up to `room` (a running batch does not wait)."""
        while len(jobs) < room:
            job = self._take(0.0)
            if job is None:
                break
            jobs.append(job)
        return jobs

    def _forward(self, input_ids, mask, position, cache, names):
        engine = self.engine
        kw = {"adapter_names": [engine.route(n) for n in names]} if engine.is_peft else {}
        device = engine.model.device
        with engine._lock:
            out = engine.model(input_ids=input_ids.to(device), attention_mask=mask.to(device),
                               position_ids=position.to(device), past_key_values=cache, use_cache=True, **kw)
        return out.past_key_values, out.logits[:, -1].float().cpu()

    def _join(self, batch: _Batch | None, jobs: list[Job]) -> _Batch | None:
        """Prefill the new jobs and merge them into the running batch."""
        ready, ids = self._prepare(jobs)
        if not ready:
            return batch
        self.batches.append(len(ready) + (len(batch.jobs) if batch else 0))
        input_ids, mask = self.engine._left_pad(ids)
        try:
            cache, logits = self._forward(input_ids, mask, _positions(mask), None, [j.model for j in ready])
        except Exception as err:       # these rows fail, the running ones go on
            for job in ready:
                job.fail(RequestError(500, f"prefill failed: {type(err).__name__}: {err}", type_="server_error"))
            return batch
        tok = self.engine.tokenizer
        fresh = _Batch(ready, [Answer(tok, self.engine.eos_ids, j.max_tokens, j.stop, j.stream) for j in ready],
                       [len(i) for i in ids], cache, mask, mask.sum(-1), logits)
        for job, n in zip(ready, fresh.n_prompt):
            job.notify("start", n)
        return fresh if batch is None else self._merge(batch, fresh)

    @staticmethod
    def _merge(a: _Batch, b: _Batch) -> _Batch:
        width = max(a.mask.shape[1], b.mask.shape[1])
        for la, lb in zip(a.cache.layers, b.cache.layers):
            la.keys = torch.cat([_pad_left(la.keys, width, 2), _pad_left(lb.keys, width, 2)])
            la.values = torch.cat([_pad_left(la.values, width, 2), _pad_left(lb.values, width, 2)])
        return _Batch(a.jobs + b.jobs, a.answers + b.answers, a.n_prompt + b.n_prompt, a.cache,
                      torch.cat([_pad_left(a.mask, width, 1), _pad_left(b.mask, width, 1)]),
                      torch.cat([a.position, b.position]), torch.cat([a.logits, b.logits]))

    def _pick(self, batch: _Batch) -> list[int]:
        """Each row's next token: greedy, or sampled with the row's temperature and top_p."""
        logits = batch.logits.clone()
        for i, (job, answer) in enumerate(zip(batch.jobs, batch.answers)):
            if len(answer.tokens) < job.min_tokens:
                logits[i, self.engine.eos_ids] = -float("inf")   # vLLM's min_tokens
        tokens = logits.argmax(-1)
        for i, job in enumerate(batch.jobs):
            if not job.greedy:
                probs = torch.softmax(logits[i] / job.temperature, -1)
                ordered, order = probs.sort(descending=True)
                keep = ordered.cumsum(-1) - ordered < job.top_p          # the nucleus, at least one token
                tokens[i] = order[torch.multinomial(ordered * keep, 1)]
        return tokens.tolist()

    def _step(self, batch: _Batch) -> _Batch | None:
        """One token for every row; finished rows leave; one forward step for the others."""
        self.steps += 1
        tokens, keep = self._pick(batch), []
        for i, (job, answer, token) in enumerate(zip(batch.jobs, batch.answers, tokens)):
            piece = answer.add(token)
            if piece:
                job.notify("text", piece)
            why = None if answer.done else self._given_up(job)
            if answer.done:
                job.finish(answer.completion(job.model, batch.n_prompt[i]))
            elif why is not None:
                self.cancelled += why is CLIENT_GONE
                job.fail(why)
            else:
                keep.append(i)
        if not keep:
            return None
        rows = torch.tensor(keep)
        batch.cache.batch_select_indices(rows)
        mask = torch.cat([batch.mask[rows], torch.ones(len(keep), 1, dtype=batch.mask.dtype)], dim=1)
        cut = int((mask.sum(0) == 0).long().cumprod(0).sum())     # leading columns of padding only
        if cut:
            for layer in batch.cache.layers:
                layer.keys, layer.values = layer.keys[:, :, cut:], layer.values[:, :, cut:]
            mask = mask[:, cut:]
        position = batch.position[rows]
        new = torch.tensor([tokens[i] for i in keep])[:, None]
        jobs = [batch.jobs[i] for i in keep]
        try:
            cache, logits = self._forward(new, mask, position[:, None], batch.cache, [j.model for j in jobs])
        except Exception as err:
            for job in jobs:
                job.fail(RequestError(500, f"generation failed: {type(err).__name__}: {err}", type_="server_error"))
            return None
        return _Batch(jobs, [batch.answers[i] for i in keep], [batch.n_prompt[i] for i in keep], cache, mask,
                      position + 1, logits)
