"""Lesson 07 load test: the command-line server under many clients, every answer checked.

Starts `python -m course_utils.serve` on a free 127.0.0.1 port (tiny base in 4-bit, three
adapters, an API key), computes each request's offline greedy answer with the same adapters in
this process, then runs `course_utils.serve.loadtest.run_load`: `--clients` clients for
`--seconds` seconds, mixed adapters, half of them streamed, 5% malformed. Prints requests/s,
p50/p95 latency and time to first token, wrong answers (must be 0), 5xx (must be 0) and the
server's resident memory before and after; stops the server with SIGTERM (it must exit 0).

    python scripts/load_test.py [--clients 32] [--seconds 60] [--adapter NAME=PATH ...]

Without --adapter it uses three adapters with random weights (`random_adapters`), which cost
what trained ones cost. Exit status 0 when every check passed.

What this leaves out: other machines (the clients share this one's cores with the server, so
absolute rates are the machine's, not the server's alone), and GPUs.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

KEY = "load-test-key"
URL = re.compile(r"(http://127\.0\.0\.1:\d+/v1)")


def start_server(adapters: dict, max_queue: int) -> tuple[subprocess.Popen, str, list[str]]:
    cmd = [sys.executable, "-m", "course_utils.serve", "--base", "tiny", "--port", "0", "--max-queue",
           str(max_queue), "--max-connections", "128", *(f"--adapter={n}={p}" for n, p in adapters.items())]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "COURSE_API_KEY": KEY})
    lines, found = [], threading.Event()

    def read():
        for line in proc.stdout:
            lines.append(line)
            if URL.search(line):
                found.set()

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(600) or proc.poll() is not None:
        proc.kill()
        raise SystemExit(f"the server did not start:\n{''.join(lines)[-2000:]}")
    return proc, next(URL.search(x).group(1) for x in lines if URL.search(x)), lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--adapter", action="append", default=[], metavar="NAME=PATH")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--max-tokens", type=int, default=12)
    p.add_argument("--cases", type=int, default=24, help="distinct requests (validation chats x adapters)")
    a = p.parse_args(argv)

    from course_utils.dataset.load import load_split
    from course_utils.serve.adapters import random_adapters
    from course_utils.serve.engine import MultiAdapterModel, torch_threads
    from course_utils.serve.loadtest import LoadPlan, format_report, run_load

    with tempfile.TemporaryDirectory() as tmp:
        adapters = dict(item.split("=", 1) for item in a.adapter) or random_adapters(tmp)
        engine = MultiAdapterModel.load("tiny", adapters)
        names = [*engine.adapter_paths, engine.base_name]
        chats = [r["messages"][:-1] for r in load_split("validation")[:a.cases]]
        with torch_threads(1):
            cases = [(names[i % len(names)], c, engine.generate([c], [names[i % len(names)]],
                                                                max_new_tokens=a.max_tokens)[0].text)
                     for i, c in enumerate(chats)]
        del engine
        proc, url, lines = start_server(adapters, max_queue=2 * a.clients)
        try:
            plan = LoadPlan(clients=a.clients, duration_s=a.seconds, max_tokens=a.max_tokens)
            t = time.perf_counter()
            report = run_load(url, cases, plan, api_key=KEY, server_pid=proc.pid)
            print(format_report(report))
            print(f"(wall {time.perf_counter() - t:.0f} s, including the warm-up)")
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(120)
        print(f"server exit status after SIGTERM: {code}; {lines[-1].strip()}")
    ok = (report["wrong"] == 0 and report["server_errors"] == 0 and report["transport_errors"] == 0
          and report["failed"] == 0 and report["malformed_refused_4xx"] == report["malformed"] and code == 0)
    print(f"checks (0 wrong, 0 5xx, 0 failed, malformed all 4xx, exit 0): {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
