"""Lesson 07: the micro-batcher, the one thread of the server that touches the model.

Adapter selection is shared model state: requests answered from several threads at once got
each other's adapters. So every request is queued for one worker thread, which waits up to
`window_ms` after the first request for more, then answers them all in one mixed-adapter
`generate` and sets each request's future. A request that cannot be encoded or does not fit the
context fails alone (`RequestError`, 400); a failed batch fails its requests with a 500; the
worker keeps running either way.

What this leaves out: priorities and fairness between clients, continuous batching (a request
joins a running batch in vLLM; here it waits for the next one), and a queue limit.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future

from course_utils.serve.engine import ContextLengthError, MultiAdapterModel, torch_threads
from course_utils.serve.requests import Job, RequestError, apply_stop


class MicroBatcher:
    """Lesson 07. The one thread that owns the model: collects requests for `window_ms`, answers
    them in one mixed-adapter `generate`, and sets each request's future."""

    def __init__(self, engine: MultiAdapterModel, window_ms: float = 10.0, max_batch: int = 16,
                 threads: int | None = 1):
        self.engine, self.window, self.max_batch, self.threads = engine, window_ms / 1e3, max_batch, threads
        self.queue: queue.Queue = queue.Queue()
        self.batches: list[int] = []       # the size of every batch run, for the lesson's plots
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="model-worker", daemon=True)

    def start(self) -> "MicroBatcher":
        self._thread.start()
        return self

    def submit(self, job: Job) -> Future:
        if self._stop.is_set():
            raise RequestError(503, "the server is shutting down", type_="server_error")
        self.queue.put(job)
        return job.future

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        while not self.queue.empty():      # anything still queued is told, not dropped silently
            job = self.queue.get_nowait()
            job.future.set_exception(RequestError(503, "the server shut down", type_="server_error"))

    def _run(self) -> None:
        with torch_threads(self.threads):
            while not self._stop.is_set():
                try:
                    batch = [self.queue.get(timeout=0.05)]
                except queue.Empty:
                    continue
                groups: dict[tuple, list[Job]] = {}
                for job in self._collect(batch):
                    groups.setdefault(job.key, []).append(job)
                for jobs in groups.values():
                    self._answer(jobs)

    def _collect(self, batch: list[Job]) -> list[Job]:
        """Keep collecting while requests keep coming (each within `window` of the last), up to
        max_batch or 5 windows: a lone request waits one window, no more."""
        cap = time.perf_counter() + 5 * self.window
        while len(batch) < self.max_batch:
            left = min(self.window, cap - time.perf_counter())
            try:
                batch.append(self.queue.get(timeout=left) if left > 0 else self.queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _answer(self, jobs: list[Job]) -> None:
        ready, ids = [], []
        for job in jobs:               # tokenizing here keeps the tokenizer on one thread too
            try:
                prompt_ids = self.engine.encode(job.prompt, chat=job.kind == "chat")
                self.engine.check_fits(len(prompt_ids), job.max_tokens)
                ids.append(prompt_ids)
                ready.append(job)
            except ContextLengthError as err:
                job.future.set_exception(RequestError(400, str(err), job.prompt_param, "context_length_exceeded"))
            except Exception as err:   # a template error and the like: this request only
                job.future.set_exception(RequestError(400, f"cannot encode the prompt: {err}",
                                                      job.prompt_param, "invalid_prompt"))
        if not ready:
            return
        try:
            self.batches.append(len(ready))
            outs = self.engine.generate_ids(ids, [j.model for j in ready], [j.max_tokens for j in ready],
                                            temperature=ready[0].temperature, top_p=ready[0].top_p)
        except Exception as err:       # the batch failed: every request in it gets a 500, the server lives
            for job in ready:
                job.future.set_exception(RequestError(500, f"generation failed: {err}", type_="server_error"))
            return
        for job, out in zip(ready, outs):
            text, stopped = apply_stop(out.text, job.stop)
            if stopped:
                out.finish_reason = "stop"
            out.text = text
            job.future.set_result(out)
