"""Lesson 07: the server's answers in OpenAI's wire format: whole answers, and streams.

    response_body   a chat.completion or text_completion object, with usage
    StreamFormat    the chunks of a stream (`stream: true`): server-sent events, one JSON chunk
                    per `data:` line, ending with `data: [DONE]`

A chat stream opens with a chunk whose delta holds the role, then one chunk per piece of text
({"delta": {"content": "..."}}), then a chunk with an empty delta and the finish_reason. With
`stream_options: {"include_usage": true}` every chunk carries "usage": null and one more chunk
(no choices) carries the token counts before [DONE]. A /v1/completions stream sends
text_completion chunks ({"text": "..."}) the same way. An error after the stream has started
cannot change the HTTP status any more, so it is sent as an event, `data: {"error": {...}}`,
which the `openai` client raises as an APIError; [DONE] still ends the stream.

What this leaves out: logprobs, tool-call deltas and n > 1 (several choices interleaved).
"""

from __future__ import annotations

import json
import time
import uuid

from course_utils.serve.engine import Completion
from course_utils.serve.requests import Job, RequestError

DONE = b"data: [DONE]\n\n"


def _usage(out: Completion) -> dict:
    return {"prompt_tokens": out.prompt_tokens, "completion_tokens": out.completion_tokens,
            "total_tokens": out.prompt_tokens + out.completion_tokens}


def response_body(job: Job, out: Completion) -> dict:
    """Lesson 07. OpenAI's chat.completion or text_completion object for one answer."""
    created = int(time.time())
    if job.kind == "chat":
        choice = {"index": 0, "message": {"role": "assistant", "content": out.text},
                  "finish_reason": out.finish_reason, "logprobs": None}
        return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": created,
                "model": job.model, "choices": [choice], "usage": _usage(out)}
    choice = {"index": 0, "text": out.text, "finish_reason": out.finish_reason, "logprobs": None}
    return {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": created,
            "model": job.model, "choices": [choice], "usage": _usage(out)}


def sse(payload: dict) -> bytes:
    """Lesson 07. One server-sent event holding `payload` as JSON."""
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


class StreamFormat:
    """Lesson 07. The events of one streamed answer, in OpenAI's chunk format."""

    def __init__(self, job: Job):
        self.job, self.created = job, int(time.time())
        chat = job.kind == "chat"
        self.id = f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex}"
        self.object = "chat.completion.chunk" if chat else "text_completion"

    def _chunk(self, choices: list[dict], usage: dict | None = None) -> bytes:
        chunk = {"id": self.id, "object": self.object, "created": self.created,
                 "model": self.job.model, "choices": choices}
        if self.job.include_usage:
            chunk["usage"] = usage
        return sse(chunk)

    def _choice(self, text: str | None, finish: str | None = None, role: bool = False) -> dict:
        if self.job.kind != "chat":
            return {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}
        delta = {"role": "assistant", "content": ""} if role else {} if text is None else {"content": text}
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

    def opening(self) -> bytes:
        """The first event: the assistant's role (chat); nothing for a completion."""
        return self._chunk([self._choice(None, role=True)]) if self.job.kind == "chat" else b""

    def text(self, piece: str) -> bytes:
        return self._chunk([self._choice(piece)])

    def closing(self, out: Completion) -> bytes:
        """The finish_reason, the usage chunk when asked for, and [DONE]."""
        events = self._chunk([self._choice(None, out.finish_reason)])
        if self.job.include_usage:
            events += self._chunk([], _usage(out))
        return events + DONE

    @staticmethod
    def error(err: RequestError) -> bytes:
        """An error after the stream began: an error event, then [DONE]."""
        return sse(err.body()) + DONE
