"""Lesson 07: the OpenAI request bodies the server accepts, checked into jobs for the worker.

`parse_body` reads the raw bytes (JSON, not too deep, no NaN) and `parse_request` checks a
/v1/completions or /v1/chat/completions body against the engine and returns a `Job`, or raises
`RequestError`, whose `body()` is OpenAI's error JSON: {"error": {"message", "type", "param",
"code"}}. A refused parameter is named in `param` (e.g. "max_tokens" or "messages[0].role"), and
`code` says why in OpenAI's words, so an `openai` client reads it as it reads the OpenAI API's
own errors:

    model_not_found (404)        the `model` names no adapter and not the base
    missing_required_parameter   `model`, `messages` or `prompt` is missing
    invalid_type / invalid_value a parameter has the wrong type, or a value outside its list
    integer_below_min_value ...  a number outside its range (`..._above_max_value` above it)
    unsupported_parameter        a parameter this server does not implement (tools, logprobs, ...)
    unsupported_value            a value it does not implement (n > 1)
    invalid_json                 the body is not JSON (or nested deeper than MAX_JSON_DEPTH)
    context_length_exceeded      the prompt and max_tokens do not fit (found by the worker,
                                 `course_utils.serve.batcher`, which also sends invalid_prompt)

Errors about the body as a whole (not JSON, not an object) have no `param`. Whatever the body
holds, the answer is a job or a 4xx: tests/serve/test_requests_fuzz.py throws generated JSON at
`parse_request` to check it.

A temperature below SAMPLING_EPS (1e-5) is greedy decoding, as in vLLM: dividing the logits by
1e-300 gives infinities, and a server must not answer a valid value with a 500. `min_tokens`
is vLLM's extra parameter (the end-of-sequence token is held back until the answer is that
long): benchmarks and tests use it to make answers of a known length.

What this leaves out: HTTP itself (`course_utils.serve.http`), the answers
(`course_utils.serve.responses`), tool calls, logprobs, n > 1.
"""

from __future__ import annotations

import json
import math
import reprlib
import threading
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Callable

from course_utils.serve.engine import AdapterNotFoundError, Completion, MultiAdapterModel

DEFAULT_MAX_TOKENS = 16          # OpenAI's default for /v1/completions
SAMPLING_EPS = 1e-5              # vLLM's _SAMPLING_EPS: a lower temperature means greedy
MAX_JSON_DEPTH = 64              # a chat body is 4 levels deep; 100,000 levels is an attack
# parameters this server does not implement -> the values that mean "off" and are accepted
UNSUPPORTED = {"logprobs": (None, False), "tools": (None, []), "functions": (None, []),
               "frequency_penalty": (None, 0), "presence_penalty": (None, 0)}
_SHORT = reprlib.Repr()           # a bad value, shortened for the error message
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlevel = 40, 40, 2
_show = _SHORT.repr


class RequestError(Exception):
    """Lesson 07. A refused request: HTTP status, OpenAI error type/code, the parameter at fault."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 code: str | None = None, type_: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = status, message, param, code, type_

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


@dataclass(eq=False)
class Job:
    """Lesson 07. One parsed request, waiting for the worker.

    The worker resolves `future` (a Completion, or a RequestError) and, while it generates,
    calls `listener("start", n_prompt_tokens)` once and `listener("text", piece)` for each piece
    of text a stream may send. The server sets `cancelled` when the client has gone; `deadline`
    (time.monotonic) is when the worker gives up on it."""

    kind: str                      # "chat" | "completion"
    model: str
    prompt: object                 # messages (chat) or text (completion)
    max_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    stop: list[str] = field(default_factory=list)
    min_tokens: int = 0
    stream: bool = False
    include_usage: bool = False
    future: Future = field(default_factory=Future)
    cancelled: threading.Event = field(default_factory=threading.Event)
    listener: Callable[[str, object], None] | None = None
    deadline: float = math.inf
    timeout_s: float = math.inf

    @property
    def greedy(self) -> bool:
        return self.temperature < SAMPLING_EPS

    @property
    def key(self) -> tuple:        # requests that can share one `generate` call
        return (0.0, 1.0) if self.greedy else (self.temperature, self.top_p)

    @property
    def prompt_param(self) -> str:
        """The parameter that holds the prompt: what a too-long prompt is blamed on."""
        return "messages" if self.kind == "chat" else "prompt"

    def notify(self, kind: str, payload) -> None:
        if self.listener is not None:
            self.listener(kind, payload)

    def finish(self, out: Completion) -> None:
        try:
            self.future.set_result(out)
        except InvalidStateError:  # already answered (a shutdown that failed it first)
            pass

    def fail(self, err: RequestError) -> None:
        try:
            self.future.set_exception(err)
        except InvalidStateError:
            pass


# --- the body --------------------------------------------------------------------------------
def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _depth(value, limit: int) -> int:
    """How deep `value` nests (lists and objects), counted without recursion, up to `limit` + 1."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        v, d = todo.pop()
        if isinstance(v, (list, dict)):
            deepest = max(deepest, d)
            if d > limit:
                return d
            todo += [(x, d + 1) for x in (v.values() if isinstance(v, dict) else v)]
    return deepest


def parse_body(raw: bytes):
    """Lesson 07. The JSON value of a request body, or RequestError(400, code="invalid_json")."""
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        value = None
        problem = f"it nests deeper than {MAX_JSON_DEPTH} levels"
    except ValueError as err:     # JSONDecodeError, bad UTF-8, NaN, an integer of 5,000 digits
        value, problem = None, str(err)
    else:
        problem = (f"it nests deeper than {MAX_JSON_DEPTH} levels"
                   if _depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH else None)
    if problem:
        raise RequestError(400, f"the body is not valid JSON for this server: {problem}", code="invalid_json")
    return value


# --- the fields ------------------------------------------------------------------------------
def _number(value, name: str, default, lo: float, hi: float, integer: bool = False):
    """`value` checked against [lo, hi] (None: `default`); RequestError naming `name` otherwise."""
    if value is None:
        return default
    kind = "integer" if integer else "decimal"
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok:
        code = "invalid_type"
    elif not math.isfinite(value):
        code = "invalid_value"
    elif value < lo:
        code = f"{kind}_below_min_value"
    elif value > hi:
        code = f"{kind}_above_max_value"
    else:
        return value
    what = "an integer" if integer else "a number"
    raise RequestError(400, f"{name} must be {what} from {lo:g} to {hi:g}; got {_show(value)}", name, code)


def _text_content(content, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text"
                                         and isinstance(p.get("text"), str) for p in content):
        return "".join(p["text"] for p in content)
    raise RequestError(400, f"{where}.content must be a string (or a list of text parts)",
                       f"{where}.content", "invalid_type")


def _chat_prompt(body: dict) -> list[dict]:
    messages = body.get("messages")
    if messages is None:
        raise RequestError(400, "'messages' is required: a list of {role, content}", "messages",
                           "missing_required_parameter")
    if not isinstance(messages, list) or not messages:
        raise RequestError(400, "'messages' must be a non-empty list of {role, content}", "messages",
                           "invalid_value")
    prompt = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise RequestError(400, f"messages[{i}] needs a role of system, user or assistant",
                               f"messages[{i}].role", "invalid_value")
        prompt.append({"role": m["role"], "content": _text_content(m.get("content"), f"messages[{i}]")})
    return prompt


def _text_prompt(body: dict) -> str:
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]
    if not isinstance(prompt, str):
        code = "missing_required_parameter" if prompt is None else "invalid_type"
        raise RequestError(400, "'prompt' must be a string (one prompt per request here)", "prompt", code)
    if not prompt:
        raise RequestError(400, "'prompt' is empty: give the text to continue", "prompt", "invalid_value")
    return prompt


def _check_supported(body: dict) -> None:
    for name, off in UNSUPPORTED.items():
        if body.get(name) not in off:
            raise RequestError(400, f"{name} is not supported by this server; leave it out", name,
                               "unsupported_parameter")
    if body.get("n", 1) != 1:
        raise RequestError(400, f"n must be 1 on this server; got {_show(body.get('n'))}", "n",
                           "unsupported_value")


def _streaming(body: dict) -> tuple[bool, bool]:
    """(stream, include_usage) from `stream` and `stream_options`."""
    stream, options = body.get("stream"), body.get("stream_options")
    if not (stream is None or isinstance(stream, bool)):
        raise RequestError(400, f"stream must be true or false; got {_show(stream)}", "stream", "invalid_type")
    if options is None:
        return bool(stream), False
    if not stream:
        raise RequestError(400, "stream_options is only allowed with stream: true", "stream_options",
                           "invalid_value")
    usage = options.get("include_usage") if isinstance(options, dict) else "not an object"
    if not (usage is None or isinstance(usage, bool)):
        raise RequestError(400, "stream_options must be an object like {\"include_usage\": true}",
                           "stream_options", "invalid_type")
    return True, bool(usage)


def _stops(body: dict) -> list[str]:
    stop = body.get("stop") or []
    stop = [stop] if isinstance(stop, str) else stop
    if not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) and s for s in stop):
        raise RequestError(400, "stop must be a string or a list of up to 4 non-empty strings", "stop",
                           "invalid_value")
    return stop


def parse_request(kind: str, body, engine: MultiAdapterModel) -> Job:
    """Lesson 07. Check an /v1/completions or /v1/chat/completions body; RequestError (4xx) if bad."""
    if not isinstance(body, dict):
        raise RequestError(400, "the request body must be a JSON object", code="invalid_type")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError(400, f"'model' is required: one of {engine.names}", "model",
                           "missing_required_parameter" if model is None else "invalid_type")
    try:
        engine.route(model)
    except AdapterNotFoundError as err:
        raise RequestError(404, str(err), "model", "model_not_found") from None
    _check_supported(body)
    stream, include_usage = _streaming(body)
    if kind == "chat":
        prompt, max_tokens = _chat_prompt(body), body.get("max_completion_tokens", body.get("max_tokens"))
    else:
        prompt, max_tokens = _text_prompt(body), body.get("max_tokens")
    max_tokens = _number(max_tokens, "max_tokens", DEFAULT_MAX_TOKENS, 1, engine.context_length, True)
    min_tokens = _number(body.get("min_tokens"), "min_tokens", 0, 0, max_tokens, True)
    return Job(kind, model, prompt, int(max_tokens), min_tokens=int(min_tokens),
               temperature=float(_number(body.get("temperature"), "temperature", 0.0, 0.0, 2.0)),
               top_p=float(_number(body.get("top_p"), "top_p", 1.0, 1e-6, 1.0)), stop=_stops(body),
               stream=stream, include_usage=include_usage)
