"""Lesson 07: the command line of the OpenAI-compatible server.

    python -m course_utils.serve --base tiny --adapter triage=runs/07_adapters/tiny/triage/adapter ...
    COURSE_API_KEY=... python -m course_utils.serve ...   (every /v1/* request must send the key)

`main` checks every --adapter NAME=PATH before loading anything (a bad one, or one that holds
only a pickled adapter_model.bin, exits 2 with the reason), loads the base with its adapters,
prints the URL it serves at and serves until Ctrl-C or SIGTERM; then it stops accepting, lets
open requests finish for --grace-s seconds, answers the rest with 503 and exits 0.
`course_utils/serve/__main__.py` calls it and no module imports this one, so the server's
classes (AdapterNotFoundError, ContextLengthError, ...) exist once per process: a request for an
unknown adapter gets its 404, an over-long prompt its 400 with code and param.

The API key comes from --api-key or, better, the COURSE_API_KEY environment variable: a
command line is visible to every user of the machine (`ps`), the environment is not. The key is
never printed.

What this leaves out: TLS and a config file (put a proxy in front for TLS).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from course_utils.serve.adapters import adapter_dir, check_adapter_name
from course_utils.serve.engine import MultiAdapterModel
from course_utils.serve.http import ServerSettings, serve_forever
from course_utils.serve.wire import Limits

API_KEY_ENV = "COURSE_API_KEY"


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r}: give a number above 0")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    """Lesson 07. The options of `python -m course_utils.serve`."""
    p = argparse.ArgumentParser(prog="python -m course_utils.serve",
                                description="An OpenAI-compatible server for one base model and its LoRA adapters.")
    p.add_argument("--base", default="tiny", help="a course preset, a model folder or a Hub id (default: tiny)")
    p.add_argument("--adapter", action="append", default=[], metavar="NAME=PATH",
                   help="an adapter to serve under NAME (repeat for more); safetensors weights only")
    p.add_argument("--quantization", default="nf4", choices=("nf4", "none"))
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1: this machine only")
    p.add_argument("--port", type=int, default=8000, help="default 8000; 0 lets the system choose")
    p.add_argument("--api-key", default=None,
                   help=f"require 'Authorization: Bearer KEY' on /v1/*; better: set {API_KEY_ENV}")
    p.add_argument("--window-ms", type=float, default=10.0, help="micro-batching window (default 10 ms)")
    p.add_argument("--max-batch", type=_positive(int), default=16)
    p.add_argument("--max-queue", type=_positive(int), default=64,
                   help="requests that may wait for the model; beyond: 429 with Retry-After (default 64)")
    p.add_argument("--max-connections", type=_positive(int), default=64,
                   help="open connections; beyond: 503 (default 64)")
    p.add_argument("--request-timeout", type=_positive(float), default=120.0,
                   help="seconds from a request's arrival to its last token; then 504 (default 120)")
    p.add_argument("--header-timeout", type=_positive(float), default=10.0,
                   help="seconds for a request's head once it has begun; then 408 (default 10)")
    p.add_argument("--body-timeout", type=_positive(float), default=20.0,
                   help="seconds for a request's body; then 408 (default 20)")
    p.add_argument("--idle-timeout", type=_positive(float), default=30.0,
                   help="seconds an idle keep-alive connection stays open (default 30)")
    p.add_argument("--grace-s", type=float, default=30.0,
                   help="on SIGTERM: seconds open requests may go on before a 503 (default 30)")
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
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    if args.grace_s < 0:
        parser.error(f"--grace-s {args.grace_s:g}: give 0 or more seconds")
    limits = Limits(idle_timeout_s=args.idle_timeout, header_timeout_s=args.header_timeout,
                    body_timeout_s=args.body_timeout)
    settings = ServerSettings(max_connections=args.max_connections, request_timeout_s=args.request_timeout,
                              grace_s=args.grace_s)
    engine = MultiAdapterModel.load(args.base, adapters, quantization=args.quantization)
    serve_forever(engine, host=args.host, port=args.port, window_ms=args.window_ms, max_batch=args.max_batch,
                  api_key=api_key, max_queue=args.max_queue, limits=limits, settings=settings)
    return 0
