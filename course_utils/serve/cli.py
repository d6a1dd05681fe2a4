"""Lesson 07: the command line of the OpenAI-compatible server.

    python -m course_utils.serve --base tiny --adapter triage=runs/07_adapters/tiny/triage/adapter ...

`main` checks every --adapter NAME=PATH before loading anything (a bad one exits 2 with the
reason), loads the base with its adapters, prints the URL it serves at and serves until Ctrl-C or
SIGTERM (then exits 0). `course_utils/serve/__main__.py` calls it and no module imports this one,
so the server's classes (AdapterNotFoundError, ContextLengthError, ...) exist once per process:
a request for an unknown adapter gets its 404, an over-long prompt its 400 with code and param.

What this leaves out: TLS, API keys and a config file (put a proxy in front for the first two).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from course_utils.serve.adapters import adapter_dir, check_adapter_name
from course_utils.serve.engine import MultiAdapterModel
from course_utils.serve.http import serve_forever


def build_parser() -> argparse.ArgumentParser:
    """Lesson 07. The options of `python -m course_utils.serve`."""
    p = argparse.ArgumentParser(prog="python -m course_utils.serve",
                                description="An OpenAI-compatible server for one base model and its LoRA adapters.")
    p.add_argument("--base", default="tiny", help="a course preset, a model folder or a Hub id (default: tiny)")
    p.add_argument("--adapter", action="append", default=[], metavar="NAME=PATH",
                   help="an adapter to serve under NAME (repeat for more)")
    p.add_argument("--quantization", default="nf4", choices=("nf4", "none"))
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1: this machine only")
    p.add_argument("--port", type=int, default=8000, help="default 8000; 0 lets the system choose")
    p.add_argument("--window-ms", type=float, default=10.0, help="micro-batching window (default 10 ms)")
    p.add_argument("--max-batch", type=int, default=16)
    return p


def parse_adapters(parser: argparse.ArgumentParser, items: list[str]) -> dict[str, Path]:
    """Lesson 07. {name: adapter folder} from --adapter NAME=PATH items; `parser.error` (exit 2) on a bad one."""
    adapters = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            parser.error(f"--adapter {item!r}: write NAME=PATH, e.g. --adapter triage=runs/07_adapters/tiny/triage/adapter")
        try:
            check_adapter_name(name)
            adapters[name] = adapter_dir(path)
        except (ValueError, FileNotFoundError) as err:
            parser.error(f"--adapter {item!r}: {err}")
    return adapters


def main(argv=None) -> int:
    """Lesson 07. `python -m course_utils.serve --base NAME --adapter NAME=PATH ...`: the HTTP server."""
    parser = build_parser()
    args = parser.parse_args(argv)
    adapters = parse_adapters(parser, args.adapter)
    engine = MultiAdapterModel.load(args.base, adapters, quantization=args.quantization)
    serve_forever(engine, host=args.host, port=args.port, window_ms=args.window_ms, max_batch=args.max_batch)
    return 0
