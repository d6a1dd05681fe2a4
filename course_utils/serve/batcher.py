"""Lesson 07: the micro-batcher, the one thread of the server that touches the model.

Adapter selection is shared model state: requests answered from several threads at once got
each other's adapters. So every request is queued for one worker thread, which waits up to
`window_ms` after the first request for more, then answers them all in one mixed-adapter
`generate`. After every decode step it looks at each row (`on_step`):

- the row's `Answer` takes the new token: text for a stream goes out at once (`job.notify`), and
  a finished row (end of sequence, stop string, max_tokens) is answered right away, not when the
  whole batch ends;
- a row whose client hung up (`job.cancelled`), whose deadline passed (504) or that a shutdown
  gave up on (503) stops generating: a client that leaves costs the others nothing more.

The queue is bounded (`max_queue`): when it is full `submit` refuses with 429 and a Retry-After
estimated from recent batch times, instead of letting a burst grow memory and latency without
limit. A queued request whose client has gone gives its place up at once. A request that cannot
be encoded or does not fit the context fails alone (400); a failed batch fails its requests
with a 500; the worker keeps running either way.

What this leaves out: priorities and fairness between clients, and continuous batching (a new
request joins a running batch between decode steps in vLLM; here it waits for the next batch;
`course_utils.serve.continuous` is the stretch version that does it).
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections import deque
from concurrent.futures import Future

from course_utils.serve.answer import Answer
from course_utils.serve.engine import ContextLengthError, MultiAdapterModel, torch_threads
from course_utils.serve.requests import Job, RequestError

CLIENT_GONE = RequestError(499, "the client closed the connection", code="client_closed")


class MicroBatcher:
    """Lesson 07. The one thread that owns the model: collects requests for `window_ms`, answers
    them in one mixed-adapter `generate`, and resolves each request's future."""

    def __init__(self, engine: MultiAdapterModel, window_ms: float = 10.0, max_batch: int = 16,
                 threads: int | None = 1, max_queue: int = 64):
        if not isinstance(max_queue, int) or max_queue < 1:
            raise ValueError(f"max_queue={max_queue!r}: give a whole number >= 1 (requests that may wait)")
        self.engine, self.window, self.max_batch, self.threads = engine, window_ms / 1e3, max_batch, threads
        self.max_queue = max_queue
        self._waiting: deque[Job] = deque()        # the queue: submit appends, the worker pops
        self._ready = threading.Condition()
        self.batches: list[int] = []       # the size of every batch run, for the lesson's plots
        self.steps = 0                     # decode steps run, all batches together
        self.cancelled = 0                 # rows stopped because their client had gone
        self.running = 0                   # rows generating now
        self._seconds: deque = deque(maxlen=20)
        self._closing = False              # no new requests (a shutdown has begun)
        self._abort: RequestError | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="model-worker", daemon=True)

    def start(self) -> "MicroBatcher":
        self._thread.start()
        return self

    # --- called by the server --------------------------------------------------------------
    def submit(self, job: Job) -> Future:
        """Queue `job`; RequestError 503 while shutting down, 429 when the queue is full."""
        if self._closing or self._stop.is_set():
            raise RequestError(503, "the server is shutting down; send the request again later",
                               code="server_shutting_down", type_="server_error")
        with self._ready:
            if len(self._waiting) >= self.max_queue:   # first let the requests of gone clients go
                gone = [j for j in self._waiting if j.cancelled.is_set()]
                self._waiting = deque(j for j in self._waiting if not j.cancelled.is_set())
                for j in gone:
                    j.fail(CLIENT_GONE)
            if len(self._waiting) >= self.max_queue:
                raise RequestError(429, f"the server is busy: {self.max_queue} requests are already "
                                        f"waiting. Retry after {self.retry_after()} s",
                                   code="rate_limit_exceeded", type_="requests")
            self._waiting.append(job)
            self._ready.notify()
        return job.future

    @property
    def waiting(self) -> int:
        """Requests in the queue."""
        return len(self._waiting)

    def retry_after(self) -> int:
        """Seconds until the queue has probably room again: the batches ahead times a recent batch's time."""
        per_batch = statistics.median(self._seconds) if self._seconds else 1.0
        batches_ahead = math.ceil((self.waiting + 1) / self.max_batch)
        return int(min(60, max(1, math.ceil(per_batch * batches_ahead))))

    @property
    def idle(self) -> bool:
        return not self._waiting and self.running == 0

    def close(self) -> None:
        """Refuse new requests (503); queued and running ones go on."""
        self._closing = True

    def abort(self, err: RequestError) -> None:
        """Fail every queued and running request with `err`, at the next decode step."""
        self._closing, self._abort = True, err

    def stop(self, timeout: float = 30.0) -> None:
        self._closing = True
        self._stop.set()
        if self._thread.ident is not None:   # started
            self._thread.join(timeout)
        with self._ready:                  # anything still queued is told, not dropped silently
            while self._waiting:
                self._waiting.popleft().fail(RequestError(503, "the server shut down", type_="server_error"))

    # --- the worker ------------------------------------------------------------------------
    def _take(self, timeout: float) -> Job | None:
        """The oldest queued request, waiting up to `timeout` seconds for one (None: none came)."""
        with self._ready:
            if not self._waiting and timeout > 0:
                self._ready.wait(timeout)
            return self._waiting.popleft() if self._waiting else None

    def _run(self) -> None:
        with torch_threads(self.threads):
            while not self._stop.is_set():
                first = self._take(0.05)
                if first is None:
                    continue
                groups: dict[tuple, list[Job]] = {}
                for job in self._collect([first]):
                    groups.setdefault(job.key, []).append(job)
                for jobs in groups.values():
                    self._answer(jobs)

    def _collect(self, batch: list[Job]) -> list[Job]:
        """Keep collecting while requests keep coming (each within `window` of the last), up to
        max_batch or 5 windows: a lone request waits one window, no more."""
        cap = time.perf_counter() + 5 * self.window
        while len(batch) < self.max_batch:
            job = self._take(min(self.window, cap - time.perf_counter()))
            if job is None:
                break
            batch.append(job)
        return batch

    def _given_up(self, job: Job) -> RequestError | None:
        """Why the worker must stop working on `job` now (None: go on)."""
        if self._abort is not None:
            return self._abort
        if job.cancelled.is_set():
            return CLIENT_GONE
        if time.monotonic() > job.deadline:
            return RequestError(504, f"the answer did not finish within this server's limit of "
                                     f"{job.timeout_s:g} s per request; ask for fewer max_tokens or retry "
                                     f"when it is less busy", code="timeout", type_="server_error")
        return None

    def _prepare(self, jobs: list[Job]) -> tuple[list[Job], list[list[int]]]:
        """The jobs still wanted, with their prompts' token ids; the others are answered here."""
        ready, ids = [], []
        for job in jobs:               # tokenizing here keeps the tokenizer on one thread too
            why = self._given_up(job)
            if why is not None:
                self.cancelled += why is CLIENT_GONE
                job.fail(why)
                continue
            try:
                prompt_ids = self.engine.encode(job.prompt, chat=job.kind == "chat")
                self.engine.check_fits(len(prompt_ids), job.max_tokens)
            except ContextLengthError as err:
                job.fail(RequestError(400, str(err), job.prompt_param, "context_length_exceeded"))
                continue
            except Exception as err:   # a template error and the like: this request only
                job.fail(RequestError(400, f"cannot encode the prompt: {err}", job.prompt_param,
                                      "invalid_prompt"))
                continue
            ready.append(job)
            ids.append(prompt_ids)
        return ready, ids

    def _answer(self, jobs: list[Job]) -> None:
        ready, ids = self._prepare(jobs)
        if not ready:
            return
        tok = self.engine.tokenizer
        answers = [Answer(tok, self.engine.eos_ids, j.max_tokens, j.stop, j.stream) for j in ready]
        done = [False] * len(ready)

        def on_step(tokens: list[int]) -> list[bool]:
            self.steps += 1
            for i, (job, answer, token) in enumerate(zip(ready, answers, tokens)):
                if done[i]:
                    continue
                piece = answer.add(token)
                if piece:
                    job.notify("text", piece)
                why = None if answer.done else self._given_up(job)
                if answer.done:
                    job.finish(answer.completion(job.model, len(ids[i])))
                elif why is not None:
                    self.cancelled += why is CLIENT_GONE
                    job.fail(why)
                done[i] = answer.done or why is not None
            return done

        for job, prompt_ids in zip(ready, ids):
            job.notify("start", len(prompt_ids))
        self.running, started = len(ready), time.perf_counter()
        self.batches.append(len(ready))
        try:
            self.engine.generate_ids(ids, [j.model for j in ready], [j.max_tokens for j in ready],
                                     temperature=0.0 if ready[0].greedy else ready[0].temperature,
                                     top_p=ready[0].top_p, min_new_tokens=[j.min_tokens for j in ready],
                                     on_step=on_step)
            error = RequestError(500, "generation ended before this answer did", type_="server_error")
        except Exception as err:       # the batch failed: its unanswered requests get a 500, the server lives
            error = RequestError(500, f"generation failed: {type(err).__name__}: {err}", type_="server_error")
        finally:
            self.running = 0
            self._seconds.append(time.perf_counter() - started)
        for job, finished in zip(ready, done):
            if not finished:
                job.fail(error)
