"""The objects `POST /v1/chat/completions` answers with: a `chat.completion`, or a stream of
`chat.completion.chunk` events ending with `data: [DONE]`.

The content is the answer with its `[n]` markers followed by its "Sources" list
(`service.transcript.render`), so that a plain chat client shows them. The structured citations
travel beside it, in the completion and in the stream's last chunk: `citations` (as `/v1/chat`
returns them) and `details` (the rest of `/v1/chat`'s answer: abstained, reason, question as
searched, generator, and unsupported / fallback / corrections when present)."""

from __future__ import annotations

import json
import re
import secrets
import time

from assistant.service.transcript import render

_TOKEN = re.compile(r"\w+|[^\w\s]")
DETAILS = ("abstained", "reason", "question", "generator", "unsupported", "fallback",
           "corrections")


def completion_id() -> str:
    return "chatcmpl-" + secrets.token_hex(12)


def count_tokens(text: str) -> int:
    """Words and punctuation marks: an estimate (no answerer here has a tokenizer)."""
    return len(_TOKEN.findall(text))


def usage(prompt: str, content: str) -> dict:
    p, c = count_tokens(prompt), count_tokens(content)
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def extras(response: dict) -> dict:
    """The structured answer beside the text: `citations` and `details`."""
    return {"citations": response["citations"],
            "details": {k: response[k] for k in DETAILS if k in response}}


def completion(cid: str, model: str, response: dict, prompt: str) -> dict:
    content = render(response)
    return {
        "id": cid, "object": "chat.completion", "created": int(time.time()), "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content,
                                             "refusal": None},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": usage(prompt, content),
        **extras(response),
    }


class Chunks:
    """The stream's events, each one `data: {...}` line (SSE without event names)."""

    def __init__(self, cid: str, model: str) -> None:
        self.cid, self.model, self.created = cid, model, int(time.time())

    def _chunk(self, delta: dict, finish: str | None = None, **more) -> str:
        body = {"id": self.cid, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "system_fingerprint": None,
                "choices": [{"index": 0, "delta": delta, "logprobs": None,
                             "finish_reason": finish}], **more}
        return data(body)

    def role(self) -> str:
        return self._chunk({"role": "assistant", "content": ""})

    def text(self, text: str) -> str:
        return self._chunk({"content": text})

    def final(self, response: dict) -> str:
        return self._chunk({}, "stop", **extras(response))

    def usage(self, prompt: str, content: str) -> str:
        return data({"id": self.cid, "object": "chat.completion.chunk", "created": self.created,
                     "model": self.model, "system_fingerprint": None, "choices": [],
                     "usage": usage(prompt, content)})


def data(body: dict) -> str:
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


DONE = "data: [DONE]\n\n"
