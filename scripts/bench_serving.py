"""Lesson 07 benchmark: serving several LoRA adapters from one base, measured in one run.

Prints, for the tiny base in 4-bit with three adapters:
  1. adapter switch latency (`set_adapter`) and the time to load one adapter from disk;
  2. requests/s of one mixed-adapter batch, of one single-adapter batch, and of the same
     requests one at a time with an adapter switch before each;
  3. the OpenAI-compatible server (course_utils.serve.http) on a free loopback port: 8 requests
     sent one after another, then 8 at once (micro-batched into one mixed `generate`), with
     every answer checked against the adapter's offline greedy output. The target on a 2-core
     CPU is at least 2x the sequential rate;
  4. (stretch) the micro-batcher against iteration-level batching (a request joins the running
     batch between decode steps) under the same Poisson arrivals: a quarter of the requests 96
     tokens long, the rest 12; p50/p95 latency and requests/s side by side, answers checked.

    python scripts/bench_serving.py [--adapter NAME=PATH ...] [--max-tokens 16] [--rounds 3]
                                    [--poisson-rate 6] [--poisson-requests 48]

Without --adapter it uses three adapters with random weights (course_utils.serve.adapters.random_adapters),
which cost what trained ones cost. Ratios are what to compare: absolute times depend on the
machine and on whatever else runs on it. Each row is the median over `--rounds`.

What this leaves out: GPUs (vLLM's batched LoRA kernels), long prompts, and streaming (time to first
token: scripts/load_test.py and lesson 07 measure it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--adapter", action="append", default=[], metavar="NAME=PATH")
    p.add_argument("--max-tokens", type=int, default=16)
    p.add_argument("--requests", type=int, default=8, help="requests per run (and the concurrency)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--poisson-rate", type=float, default=6.0, help="arrivals per second (section 4)")
    p.add_argument("--poisson-requests", type=int, default=48)
    a = p.parse_args(argv)

    from course_utils.dataset.load import load_split
    from course_utils.serve.adapters import random_adapters
    from course_utils.serve.bench import compare_batchers, compare_throughput, switch_latency
    from course_utils.serve.engine import MultiAdapterModel, torch_threads
    from course_utils.serve.client import measure_requests
    from course_utils.serve.http import start_server

    with tempfile.TemporaryDirectory() as tmp:
        adapters = dict(item.split("=", 1) for item in a.adapter) or random_adapters(tmp)
        engine = MultiAdapterModel.load("tiny", adapters)
        names = [*engine.adapter_paths, engine.base_name]
        chats = [r["messages"][:-1] for r in load_split("validation")[:a.requests]]
        models = [names[i % len(names)] for i in range(len(chats))]

        lat = [switch_latency(engine) for _ in range(a.rounds)]
        thr = [compare_throughput(engine, chats, models, max_new_tokens=a.max_tokens)
               for _ in range(a.rounds)]
        with torch_threads(1):
            offline = [engine.generate([c], [m], max_new_tokens=a.max_tokens)[0].text
                       for c, m in zip(chats, models)]
        with start_server(engine, port=0) as handle:
            runs = [measure_requests(handle.url, list(zip(models, chats)), concurrency=a.requests,
                                            max_tokens=a.max_tokens) for _ in range(a.rounds)]
            batches = list(handle.batcher.batches)
        n = a.poisson_requests
        p_chats = [r["messages"][:-1] for r in load_split("validation")[:n]]
        p_models = [names[i % len(names)] for i in range(n)]
        p_limits = [96 if i % 4 == 3 else 12 for i in range(n)]
        with torch_threads(1):
            p_offline = [engine.generate_ids([engine.encode(c)], [m], max_new_tokens=k, min_new_tokens=[k])[0].text
                         for c, m, k in zip(p_chats, p_models, p_limits)]
        poisson = compare_batchers(engine, p_chats, p_models, rate_per_s=a.poisson_rate, max_tokens=p_limits,
                                   exact_lengths=True)

    med = lambda xs: statistics.median(xs)  # noqa: E731
    print(f"tiny base (4-bit) + {len(engine.adapter_paths)} adapters; {a.requests} requests x "
          f"{a.max_tokens} new tokens; medians of {a.rounds} rounds\n")
    print(f"adapter switch (set_adapter)    {med([x['set_adapter_ms'] for x in lat]):8.2f} ms")
    print(f"adapter load from disk          {med([x['load_adapter_ms'] for x in lat]):8.1f} ms\n")
    seq = med([t["sequential"]["requests_per_s"] for t in thr])
    print(f"{'engine, one process':34s}{'req/s':>8s}{'x sequential':>14s}")
    for mode, label in (("mixed", "mixed-adapter batch"), ("single", "single-adapter batch"),
                        ("sequential", "one at a time, switching")):
        rps = med([t[mode]["requests_per_s"] for t in thr])
        print(f"  {label:32s}{rps:8.2f}{rps / seq:14.2f}")
    s_rps, c_rps = med([r["sequential_rps"] for r in runs]), med([r["concurrent_rps"] for r in runs])
    correct = sum(ans == want for r in runs for ans, want in zip(r["concurrent"] + r["sequential"], offline * 2))
    print(f"\n{'HTTP server, openai client':34s}{'req/s':>8s}{'x sequential':>14s}")
    print(f"  {'sequential requests':32s}{s_rps:8.2f}{1:14.2f}")
    print(f"  {f'{a.requests} concurrent, micro-batched':32s}{c_rps:8.2f}{c_rps / s_rps:14.2f}")
    print(f"\nbatch sizes the worker ran: {batches}")
    print(f"answers equal to the offline greedy output: {correct} of {2 * len(offline) * a.rounds}")
    ok = c_rps / s_rps >= 2 and correct == 2 * len(offline) * a.rounds
    print(f"target (>= 2x sequential, all answers correct): {'met' if ok else 'NOT met'}")
    print(f"\n{n} requests, Poisson arrivals at {a.poisson_rate:g}/s, a quarter 96 tokens and the rest 12:")
    print(f"  {'batching':14s}{'p50 s':>8s}{'p95 s':>8s}{'req/s':>8s}{'wrong':>7s}")
    for name, r in poisson.items():
        wrong = sum(t != w for t, w in zip(r["texts"], p_offline))
        ok = ok and wrong == 0
        print(f"  {name:14s}{r['p50_s']:8.2f}{r['p95_s']:8.2f}{r['requests_per_s']:8.2f}{wrong:7d}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
