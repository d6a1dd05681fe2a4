"""Lesson 07's load test, short: 8 clients for 10 s against the server in this process (tiny
model, three adapters), mixed adapters, half streamed, 5% malformed. Every good answer must be
its adapter's offline greedy answer, no answer a 5xx, every malformed request a 4xx with OpenAI's
body. scripts/load_test.py runs the long version (32 clients, 60 s) against the command line."""

import pytest

from course_utils.dataset.load import load_split
from course_utils.serve.http import start_server
from course_utils.serve.loadtest import LoadPlan, format_report, run_load


@pytest.mark.slow   # the tiny model, and 10 s of load
def test_eight_clients_for_ten_seconds_get_only_right_answers(tiny_engine):
    names = ["triage", "moderation", "policy_qa", "tiny"]
    chats = [r["messages"][:-1] for r in load_split("validation")[:12]]
    cases = [(names[i % 4], c, tiny_engine.generate([c], [names[i % 4]], max_new_tokens=8)[0].text)
             for i, c in enumerate(chats)]
    with start_server(tiny_engine, api_key="load-key") as handle:
        report = run_load(handle.url, cases, LoadPlan(clients=8, duration_s=10, max_tokens=8), api_key="load-key")
    print("\n" + format_report(report))
    assert report["requests"] >= 10 and report["streamed"] >= 1, report
    assert (report["wrong"], report["server_errors"], report["transport_errors"], report["failed"]) == (0, 0, 0, 0), report
    assert report["malformed_refused_4xx"] == report["malformed"], report
    assert report["ttft_p50_s"] <= report["latency_p95_s"]


def test_only_loopback_is_a_target():
    with pytest.raises(ValueError, match="loopback only"):
        run_load("http://192.0.2.1:8000/v1", [("tiny", [], "")])
