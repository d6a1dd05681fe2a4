"""Lesson 07: the OpenAI wire format of the server: request bodies in, answers and errors out.

`parse_request` checks a /v1/completions or /v1/chat/completions body against the engine and
returns a `Job` for the worker, or raises `RequestError`, whose `body()` is OpenAI's error JSON:
{"error": {"message", "type", "param", "code"}}. A refused parameter is named in `param` (e.g.
"max_tokens" or "messages[0].role"), and `code` says why in OpenAI's words, so an `openai`
client reads it as it reads the OpenAI API's own errors:

    model_not_found (404)        the `model` names no adapter and not the base
    missing_required_parameter   `model`, `messages` or `prompt` is missing
    invalid_type / invalid_value a parameter has the wrong type, or a value outside its list
    integer_below_min_value ...  a number outside its range (`..._above_max_value` above it)
    unsupported_parameter        a parameter this server does not implement (stream, tools, ...)
    unsupported_value            a value it does not implement (n > 1)
    context_length_exceeded      the prompt and max_tokens do not fit (found by the worker,
                                 `course_utils.serve.batcher`, which also sends invalid_prompt)

Errors about the body as a whole (not JSON, not an object) have no `param`.

What this leaves out: HTTP itself (`course_utils.serve.http`), streaming chunks, tool calls.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field

from course_utils.serve.engine import AdapterNotFoundError, Completion, MultiAdapterModel

DEFAULT_MAX_TOKENS = 16          # OpenAI's default for /v1/completions
# parameters this server does not implement -> the values that mean "off" and are accepted
UNSUPPORTED = {"stream": (None, False), "logprobs": (None, False), "tools": (None, []),
               "functions": (None, []), "frequency_penalty": (None, 0), "presence_penalty": (None, 0)}


class RequestError(Exception):
    """Lesson 07. A refused request: HTTP status, OpenAI error type/code, the parameter at fault."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 code: str | None = None, type_: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = status, message, param, code, type_

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


@dataclass
class Job:
    """Lesson 07. One parsed request, waiting for the worker."""

    kind: str                      # "chat" | "completion"
    model: str
    prompt: object                 # messages (chat) or text (completion)
    max_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    stop: list[str] = field(default_factory=list)
    future: Future = field(default_factory=Future)

    @property
    def key(self) -> tuple:        # requests that can share one `generate` call
        return (self.temperature, self.top_p) if self.temperature > 0 else (0.0, 1.0)

    @property
    def prompt_param(self) -> str:
        """The parameter that holds the prompt: what a too-long prompt is blamed on."""
        return "messages" if self.kind == "chat" else "prompt"


def _number(value, name: str, default, lo: float, hi: float, integer: bool = False):
    """`value` checked against [lo, hi] (None: `default`); RequestError naming `name` otherwise."""
    if value is None:
        return default
    kind = "integer" if integer else "decimal"
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok:
        code = "invalid_type"
    elif value < lo:
        code = f"{kind}_below_min_value"
    elif value > hi:
        code = f"{kind}_above_max_value"
    else:
        return value
    what = "an integer" if integer else "a number"
    raise RequestError(400, f"{name} must be {what} from {lo:g} to {hi:g}; got {value!r}", name, code)


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
    return prompt


def _check_supported(body: dict) -> None:
    for name, off in UNSUPPORTED.items():
        if body.get(name) not in off:
            raise RequestError(400, f"{name} is not supported by this server; leave it out", name,
                               "unsupported_parameter")
    if body.get("n", 1) != 1:
        raise RequestError(400, f"n must be 1 on this server; got {body.get('n')!r}", "n", "unsupported_value")


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
    if kind == "chat":
        prompt, max_tokens = _chat_prompt(body), body.get("max_completion_tokens", body.get("max_tokens"))
    else:
        prompt, max_tokens = _text_prompt(body), body.get("max_tokens")
    max_tokens = _number(max_tokens, "max_tokens", DEFAULT_MAX_TOKENS, 1, engine.context_length, True)
    stop = body.get("stop") or []
    stop = [stop] if isinstance(stop, str) else stop
    if not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) and s for s in stop):
        raise RequestError(400, "stop must be a string or a list of up to 4 non-empty strings", "stop",
                           "invalid_value")
    return Job(kind, model, prompt, int(max_tokens),
               temperature=float(_number(body.get("temperature"), "temperature", 0.0, 0.0, 2.0)),
               top_p=float(_number(body.get("top_p"), "top_p", 1.0, 1e-6, 1.0)), stop=stop)


def apply_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """Lesson 07. Cut `text` at the first stop string; (text, whether one was found)."""
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def response_body(job: Job, out: Completion) -> dict:
    """Lesson 07. OpenAI's chat.completion or text_completion object for one answer."""
    created, usage = int(time.time()), {"prompt_tokens": out.prompt_tokens,
                                        "completion_tokens": out.completion_tokens,
                                        "total_tokens": out.prompt_tokens + out.completion_tokens}
    if job.kind == "chat":
        choice = {"index": 0, "message": {"role": "assistant", "content": out.text},
                  "finish_reason": out.finish_reason, "logprobs": None}
        return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": created,
                "model": job.model, "choices": [choice], "usage": usage}
    choice = {"index": 0, "text": out.text, "finish_reason": out.finish_reason, "logprobs": None}
    return {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": created,
            "model": job.model, "choices": [choice], "usage": usage}
