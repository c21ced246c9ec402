"""The environment that keeps the libraries offline and quiet: no model hub, no telemetry, no
tokenizer threads of their own. One home for it: the modules that load models call `apply()`
before importing them, and scripts that start a server or a worker pass `env()` to it. (The
Makefile exports the same variables for the commands it runs.)"""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",  # model hubs are unreachable: only packaged models load
    "TRANSFORMERS_OFFLINE": "1",
    "DO_NOT_TRACK": "1",  # unstructured and others: no usage pings
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
    "ANONYMIZED_TELEMETRY": "False",  # Chroma's telemetry
    "TOKENIZERS_PARALLELISM": "false",  # no tokenizer threads beside torch's
}


def apply() -> None:
    """Set each variable in this process unless the user set it."""
    for k, v in OFFLINE_ENV.items():
        os.environ.setdefault(k, v)


def env(**extra: str) -> dict[str, str]:
    """This process's environment with the offline variables forced, plus `extra`: for a child."""
    return {**os.environ, **OFFLINE_ENV, **extra}
