"""The answerers a client may choose by name: the `model` of the OpenAI-compatible endpoint.

One id per answerer: `extractive` (the default generator: verbatim sentences, no LLM) always,
and, when `ASSISTANT_GENERATOR` configures an LLM, that generator too (`openai:<llm_model>` or
`local:<gguf file stem>`), listed first as the server's default. The extractive answerer then is
the LLM generator's own fallback, so choosing it loads nothing new."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.answers import Generator

if TYPE_CHECKING:
    from assistant.service.assistant import Assistant

EXTRACTIVE = "extractive"


def model_id(assistant: "Assistant") -> str:
    """The id of the configured generator."""
    gen, s = assistant.generator, assistant.settings
    if gen.name == EXTRACTIVE:
        return EXTRACTIVE
    if gen.name == "local":
        return f"local:{s.local_model_path.stem}"
    if gen.name == "openai":
        return f"openai:{s.llm_model}"
    return gen.name


def answerers(assistant: "Assistant") -> dict[str, Generator]:
    """Model id -> generator, the configured (default) one first."""
    gen = assistant.generator
    if gen.name == EXTRACTIVE:
        return {EXTRACTIVE: gen}
    fallback = getattr(gen, "fallback", None)
    if fallback is None:
        from assistant.answers.extractive import ExtractiveGenerator

        fallback = ExtractiveGenerator(assistant.settings, assistant.embedder)
    return {model_id(assistant): gen, EXTRACTIVE: fallback}


def streams_final_text(generator: Generator) -> bool:
    """Whether the generator's deltas add up to its final answer. The extractive one streams the
    finished answer sentence by sentence; an LLM's deltas are the model's draft, which
    verification may still cut, so a client that cannot take text back gets only the verified
    answer."""
    return generator.name == EXTRACTIVE
