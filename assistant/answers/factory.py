"""Which generator answers: `ASSISTANT_GENERATOR` picks it."""

from __future__ import annotations

from assistant.answers.types import Generator
from assistant.core.config import Settings


def make_generator(settings: Settings) -> Generator:
    if settings.generator == "extractive":
        from assistant.answers.extractive import ExtractiveGenerator

        return ExtractiveGenerator(settings)
    from assistant.answers.llm import make_llm_generator

    return make_llm_generator(settings)
