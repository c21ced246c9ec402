"""The corpus eval set: JSON Lines, one question per line.

Schema of a line:
  id               str, unique ("q001")
  question         str, phrased as an analyst would ask it
  category         "factoid" | "number_date" | "list" | "definition" | "multi_document" | "unanswerable"
  answerable       bool (false exactly for "unanswerable")
  reference_answer str, a correct answer in words
  key_facts        list of facts; a fact is a list of accepted variants, e.g. [["$1.2 billion", "1.2bn"]]
  gold             list of {"source": path relative to corpus/, "quote": exact span of that document}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

CATEGORIES = {"factoid", "number_date", "list", "definition", "multi_document", "unanswerable", "comparison"}
DEFAULT_SET = Path(__file__).resolve().parent / "data" / "corpus_eval.jsonl"


@dataclass
class Gold:
    source: str
    quote: str


@dataclass
class EvalQuestion:
    id: str
    question: str
    category: str
    answerable: bool
    reference_answer: str
    key_facts: list[list[str]]
    gold: list[Gold] = field(default_factory=list)

    @property
    def gold_sources(self) -> set[str]:
        return {g.source for g in self.gold}


class DatasetError(ValueError):
    pass


def load(path: Path = DEFAULT_SET) -> list[EvalQuestion]:
    items: list[EvalQuestion] = []
    seen: set[str] = set()
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            q = EvalQuestion(
                id=d["id"], question=d["question"], category=d["category"],
                answerable=bool(d["answerable"]), reference_answer=d["reference_answer"],
                key_facts=[list(map(str, f)) for f in d["key_facts"]],
                gold=[Gold(g["source"], g["quote"]) for g in d.get("gold", [])],
            )
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise DatasetError(f"{path}:{lineno}: malformed eval item: {exc}") from exc
        if q.category not in CATEGORIES:
            raise DatasetError(f"{path}:{lineno}: unknown category {q.category!r}")
        if q.answerable == (q.category == "unanswerable"):
            raise DatasetError(f"{path}:{lineno}: 'answerable' contradicts the category")
        if q.answerable and (not q.key_facts or not q.gold):
            raise DatasetError(f"{path}:{lineno}: an answerable item needs key_facts and gold")
        if q.id in seen:
            raise DatasetError(f"{path}:{lineno}: duplicate id {q.id}")
        seen.add(q.id)
        items.append(q)
    return items


def normalize_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
