"""A scripted OpenAI-compatible chat server on loopback: `/v1/chat/completions`, streamed (SSE
chunks, a few characters each) or not. A test gives `reply(prompt, stream) -> str`, where
`prompt` is the request's messages joined, and `passages(prompt)` reads the numbered passages the
assistant sent, so a script can cite them by content."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

Reply = Callable[[str, bool], str]
_PASSAGE = re.compile(r"^\[(\d+)\] [^\n]*\n(.*?)(?=\n\n\[\d+\] |\n\nQuestion: |\Z)", re.S | re.M)


def passages(prompt: str) -> dict[int, str]:
    """The passages of an answer prompt, by their number."""
    return {int(m.group(1)): m.group(2) for m in _PASSAGE.finditer(prompt)}


def is_condense(prompt: str) -> bool:
    return "Rewrite the follow-up" in prompt


class FakeLLM:
    def __init__(self, reply: Reply, piece_chars: int = 4) -> None:
        self.reply = reply
        self.piece_chars = piece_chars
        self.prompts: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                prompt = "\n\n".join(str(m.get("content", "")) for m in body.get("messages", []))
                outer.prompts.append(prompt)
                stream = bool(body.get("stream"))
                text = outer.reply(prompt, stream)
                if stream:
                    self._stream(text)
                else:
                    self._json({"id": "fake", "object": "chat.completion", "created": 0,
                                "model": "fake", "choices": [{
                                    "index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": text}}],
                                "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                          "total_tokens": 2}})

            def _json(self, data: dict) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _stream(self, text: str) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                n = outer.piece_chars
                for i in range(0, len(text), n):
                    chunk = {"id": "fake", "object": "chat.completion.chunk", "created": 0,
                             "model": "fake", "choices": [{"index": 0, "finish_reason": None,
                                                           "delta": {"content": text[i:i + n]}}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                done = {"id": "fake", "object": "chat.completion.chunk", "created": 0,
                        "model": "fake", "choices": [{"index": 0, "finish_reason": "stop",
                                                      "delta": {}}]}
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"

    def __enter__(self) -> "FakeLLM":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
