"""Prompt templates from `prompts/`, loaded as LangChain templates and checked at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

from assistant.core.config import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"
EXPECTED = {
    "system.md": set(),
    "answer.md": {"passages", "question"},
    "passage.md": {"n", "title", "where", "text"},
    "condense.md": {"history", "question"},
}


class PromptError(ValueError):
    """A prompt file is missing or does not use the variables the code fills in."""


@dataclass(frozen=True)
class Prompts:
    answer: ChatPromptTemplate  # system + user messages
    passage: PromptTemplate
    condense: PromptTemplate


def _load(folder: Path, name: str) -> PromptTemplate:
    path = folder / name
    if not path.is_file():
        raise PromptError(f"prompt file {path} is missing")
    try:
        template = PromptTemplate.from_template(path.read_text(encoding="utf-8"))
    except Exception as exc:  # unbalanced braces and the like
        raise PromptError(f"prompt {path} cannot be parsed: {exc}") from exc
    found, wanted = set(template.input_variables), EXPECTED[name]
    if found != wanted:
        problems = []
        if wanted - found:
            problems.append(f"missing {sorted(wanted - found)}")
        if found - wanted:
            problems.append(f"unknown {sorted(found - wanted)}")
        raise PromptError(f"prompt {path}: {', '.join(problems)} (expected {sorted(wanted)}; "
                          "write literal braces as {{ and }})")
    return template


def load_prompts(folder: Path = PROMPTS_DIR) -> Prompts:
    system, answer = _load(folder, "system.md"), _load(folder, "answer.md")
    return Prompts(
        answer=ChatPromptTemplate.from_messages([("system", system.template),
                                                 ("human", answer.template)]),
        passage=_load(folder, "passage.md"),
        condense=_load(folder, "condense.md"),
    )
