"""Lesson 07's micro-batcher on FakeEngine (no model, no HTTP): a bounded queue that refuses with
429, rows answered as soon as they finish, rows stopped between decode steps when their client
has gone or their deadline has passed, a shutdown that fails what is left with 503, and a worker
that survives a failing batch."""

import time

import pytest

from course_utils.serve.batcher import MicroBatcher
from course_utils.serve.requests import Job, RequestError

from fake_engine import FakeEngine


def job(text="hello", max_tokens=50, **kw) -> Job:
    return Job("chat", "tiny", [{"role": "user", "content": text}], max_tokens, **kw)


@pytest.fixture
def batcher():
    b = MicroBatcher(FakeEngine(step_s=0.01), window_ms=20, max_batch=4, max_queue=3).start()
    yield b
    b.stop()


def test_a_full_queue_refuses_with_429_and_a_retry_estimate():
    b = MicroBatcher(FakeEngine(), max_queue=2)          # not started: nothing leaves the queue
    b.submit(job())
    b.submit(job())
    with pytest.raises(RequestError) as info:
        b.submit(job())
    assert (info.value.status, info.value.code) == (429, "rate_limit_exceeded")
    assert 1 <= b.retry_after() <= 60
    b.close()
    with pytest.raises(RequestError) as info:
        b.submit(job())
    assert (info.value.status, info.value.code) == (503, "server_shutting_down")
    b.stop(timeout=1)


def test_a_short_answer_does_not_wait_for_its_batch(batcher):
    long, short = job("forever", max_tokens=150), job("hi")
    t = time.perf_counter()
    batcher.submit(long)
    batcher.submit(short)
    assert short.future.result(10).text == "hi"
    short_s = time.perf_counter() - t
    assert long.future.result(10).finish_reason == "length"
    assert short_s < (time.perf_counter() - t) / 3
    assert batcher.batches == [2]


def test_a_cancelled_row_stops_between_steps(batcher):
    gone, stays = job("forever", max_tokens=1000), job("forever", max_tokens=60)
    batcher.submit(gone)
    batcher.submit(stays)
    time.sleep(0.2)
    gone.cancelled.set()
    assert stays.future.result(10).completion_tokens == 60
    with pytest.raises(RequestError) as info:
        gone.future.result(1)
    assert info.value.code == "client_closed" and batcher.cancelled == 1
    assert batcher.engine.steps <= 62                    # the batch ended with the row that stayed


def test_deadlines_and_stream_notifications(batcher):
    late = job("forever", max_tokens=1000, deadline=time.monotonic() + 0.3, timeout_s=0.3)
    seen = []
    streamed = job("abc", stream=True, listener=lambda kind, payload: seen.append((kind, payload)))
    batcher.submit(late)
    batcher.submit(streamed)
    with pytest.raises(RequestError) as info:
        late.future.result(10)
    assert (info.value.status, info.value.code) == (504, "timeout") and "0.3 s" in info.value.message
    assert streamed.future.result(1).text == "abc"
    assert seen == [("start", 3), ("text", "a"), ("text", "b"), ("text", "c")]


def test_abort_fails_running_and_queued_requests_with_503(batcher):
    running = [job("forever", max_tokens=1000) for _ in range(3)]
    queued = [job("forever", max_tokens=1000) for _ in range(3)]
    for j in running:
        batcher.submit(j)
    time.sleep(0.2)
    for j in queued:
        batcher.submit(j)
    batcher.abort(RequestError(503, "bye", code="server_shutting_down", type_="server_error"))
    for j in running + queued:
        with pytest.raises(RequestError) as info:
            j.future.result(10)
        assert info.value.status == 503
    assert batcher.idle


def test_a_failing_batch_is_a_500_and_the_worker_lives(batcher, monkeypatch):
    def broken(*a, **kw):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(batcher.engine, "generate_ids", broken)
    bad = job()
    batcher.submit(bad)
    with pytest.raises(RequestError) as info:
        bad.future.result(10)
    assert info.value.status == 500 and "out of memory" in info.value.message
    monkeypatch.undo()
    good = job("ok")
    batcher.submit(good)
    assert good.future.result(10).text == "ok"
