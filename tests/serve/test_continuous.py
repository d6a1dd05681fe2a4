"""Lesson 07's stretch: iteration-level batching on the tiny model. Requests that arrive while
others generate join the running batch between decode steps and still get exactly their
adapter's offline greedy answer; a short request that joins a long one finishes first; a
stream's pieces join to its answer; a row whose client left stops; and `compare_batchers`
measures both batchers under the same Poisson arrivals."""

import time

import pytest

from course_utils.dataset.load import load_split
from course_utils.serve.bench import compare_batchers
from course_utils.serve.continuous import ContinuousBatcher
from course_utils.serve.requests import Job, RequestError

pytestmark = pytest.mark.slow   # the tiny model in 4-bit with three adapters

NAMES = ["triage", "moderation", "policy_qa", "tiny"]


@pytest.fixture(scope="module")
def chats():
    return [r["messages"][:-1] for r in load_split("validation")[:8]]


@pytest.fixture
def batcher(tiny_engine):
    b = ContinuousBatcher(tiny_engine, window_ms=10, max_batch=8, max_queue=32).start()
    yield b
    b.stop()


def test_requests_that_join_a_running_batch_get_the_offline_answer(tiny_engine, batcher, chats):
    offline = [tiny_engine.generate([c], [NAMES[i % 4]], max_new_tokens=16)[0] for i, c in enumerate(chats)]
    jobs = []
    for i, chat in enumerate(chats):
        jobs.append(Job("chat", NAMES[i % 4], chat, 16))
        batcher.submit(jobs[-1])
        time.sleep(0.03)                             # each arrives while the others generate
    got = [j.future.result(120) for j in jobs]
    assert [g.text for g in got] == [o.text for o in offline]
    assert [g.completion_tokens for g in got] == [o.completion_tokens for o in offline]
    assert max(batcher.batches) > 1                 # rows really joined a running batch


def test_a_short_request_joining_a_long_one_finishes_first(batcher, chats):
    long = Job("chat", "tiny", chats[0], 200, min_tokens=200)
    batcher.submit(long)
    time.sleep(0.3)
    pieces = []
    short = Job("chat", "triage", chats[1], 6, min_tokens=6, stream=True,
                listener=lambda kind, payload: pieces.append(payload) if kind == "text" else None)
    batcher.submit(short)
    out = short.future.result(60)
    assert not long.future.done() and out.completion_tokens == 6
    assert "".join(pieces) == out.text
    long.cancelled.set()                             # the client of the long one leaves
    with pytest.raises(RequestError) as info:
        long.future.result(30)
    assert info.value.code == "client_closed" and batcher.cancelled == 1


def test_compare_batchers_under_poisson_arrivals(tiny_engine, chats):
    limits = [48 if i % 4 == 3 else 8 for i in range(len(chats))]
    models = [NAMES[i % 4] for i in range(len(chats))]
    result = compare_batchers(tiny_engine, chats, models, rate_per_s=8, max_tokens=limits, exact_lengths=True)
    assert set(result) == {"micro", "continuous"}
    assert result["micro"]["texts"] == result["continuous"]["texts"]     # the same greedy answers
    for r in result.values():
        assert 0 < r["p50_s"] <= r["p95_s"] and r["requests_per_s"] > 0
