"""One turn of a conversation, as the conversation store keeps it and as follow-up rewriting and
the LLM prompts read it (a core type: retrieval and answers use it without the service layer)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Turn:
    question: str  # as asked
    standalone: str  # as searched (the follow-up rewritten)
    answer: str
    abstained: bool
    sources: list[str] = field(default_factory=list)
    at: float = field(default_factory=time.time)
