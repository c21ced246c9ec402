"""How likely a record's cell is right: a model learned on the spent gold tables (issue 20).

The extractors' rules were written while reading the development and spent held-out documents; on
documents nobody here had read, a third to a half of the cells they return were wrong (cell
precision 0.54-0.75 on the first run of heldout12, heldout13 and heldout14), where the issue asks
for 0.95: "a wrong number with a confident citation is worse than nothing". This module scores
every grounded cell with a logistic regression over CELL_FEATURES (what kind of field, where its
quote sits, how the record around it was built, how often the document names the value) and
drops the cells below the learned threshold; a record that loses a cell it requires is dropped.

`python -m eval train-cells` fits it on the spent gold tables, every set left out in turn
(`eval/train_cells.py`), and writes `ingest/records/data/cells.json`; without that file every
grounded cell is kept, as before.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.answers.model import Logistic
from assistant.core.aliases import known

CELLS_PATH = Path(__file__).parent / "data" / "cells.json"

_GROUPS = {
    "name": ("parties", "company", "sponsor"),
    "product": ("asset", "product"),
    "indication": ("indication",),
    "place": ("site", "country"),
    "money": ("upfront", "milestones", "total", "investment"),
    "date": ("announced", "date"),
    "kind": ("kind", "action", "designation", "agency", "status"),
    "number": ("capacity_liters", "jobs"),
}
_GROUP_OF = {f: g for g, fields in _GROUPS.items() for f in fields}
_ANCHOR = {"deal": "parties", "regulatory": "product", "facility": "company"}

CELL_FEATURES = (
    ["deal", "regulatory", "facility"] + [f"field_{g}" for g in _GROUPS] + [
        "headline",        # the cell came from a headline (a heading's cell only fills a gap)
        "title_sentence",  # its quote is a heading's sentence
        "lead",            # its quote is in the document's opening
        "position",        # where its quote sits in the document, 0 (first) to 1 (last)
        "table",           # its quote is a table row ("... | ...", or a table element)
        "quoted",          # its quote is someone's quoted words
        "log_words",       # log(1 + words in the quote)
        "with_anchor",     # its quote is the one the record's key cell (parties, product, company) has
        "log_cells",       # log(cells in the record)
        "quotes",          # distinct quotes the record draws on
        "log_records",     # log(1 + records the document yields)
        "log_sentences",   # log(1 + sentences in the document)
        "value_mentions",  # log(1 + times the document writes the value), for a value of words
        "value_in_title",  # the document's title holds the value
        "known_name",      # a name the alias table knows (parties, company, sponsor)
        "value_words",     # log(1 + words in the value), for a value of words
        "value_offset",    # where in its quote the value is first written, 0 (start) to 1 (end)
        "record_money",    # the record has a sum of money
        "record_date",     # the record has a date
        "ner_org",         # spaCy reads the value (a name or product) as an organisation or product
        "ner_other",       # ... as another kind of entity (a person, place, date, law)
    ])


def _sentence_of(doc, quote: str):
    for s in doc.sentences:
        if s.text == quote:
            return s
    return None


def cell_features(name: str, c: dict, fields: dict, record_type: str, weak: bool, doc,
                  n_records: int) -> list[float]:
    """One row of CELL_FEATURES for the cell `name` of a record of `record_type` whose grounded
    cells are `fields`; `weak`: the cell came from a headline; `doc`: the records.Document."""
    s = _sentence_of(doc, c.get("quote", ""))
    quote = c.get("quote", "")
    n_sent = max(1, len(doc.sentences))
    value = c.get("value")
    words = [str(v) for v in value] if isinstance(value, list) else [str(value)] if isinstance(value, str) else []
    text = "\n".join(doc.texts)
    mentions = sum(text.count(w) for w in words if len(w) > 2)
    anchor = fields.get(_ANCHOR[record_type], {}).get("quote")
    category = getattr(doc.elements[s.element], "category", "") if s is not None else ""
    row = [float(record_type == t) for t in ("deal", "regulatory", "facility")]
    row += [float(_GROUP_OF.get(name) == g) for g in _GROUPS]
    row += [
        float(weak),
        float(bool(s and s.title)),
        float(bool(s and s.lead)),
        (s.index / n_sent) if s is not None else 0.5,
        float(" | " in quote or category == "Table" or category == "TableRow"),
        float(any(q in quote for q in ('"', "\u201c", "\u201d"))),
        math.log1p(len(quote.split())),
        float(anchor == quote),
        math.log(max(1, len(fields))),
        float(len({f.get("quote") for f in fields.values()})),
        math.log1p(n_records),
        math.log1p(n_sent),
        math.log1p(mentions),
        float(any(w.lower() in (doc.title or "").lower() for w in words if len(w) > 2)),
        float(_GROUP_OF.get(name) == "name" and any(known(w) for w in words)),
        math.log1p(sum(len(w.split()) for w in words)),
        _offset(quote, words),
        float(any(f in fields for f in _GROUPS["money"])),
        float(any(f in fields for f in _GROUPS["date"])),
        *_entity(name, quote, words),
    ]
    return row


def _entity(name: str, quote: str, words: list[str]) -> tuple[float, float]:
    if _GROUP_OF.get(name) not in ("name", "product", "place") or not words:
        return 0.0, 0.0
    from ingest.records.nlp import parse

    parsed = parse(quote)
    if parsed is None:
        return 0.0, 0.0
    org = other = 0.0
    for e in parsed.ents:
        if any(w in e.text or e.text in w for w in words):
            if e.label_ in ("ORG", "PRODUCT", "NORP"):
                org = 1.0
            else:
                other = 1.0
    return org, other


def _offset(quote: str, words: list[str]) -> float:
    at = [quote.find(w) for w in words if w and quote.find(w) >= 0]
    return min(at) / max(1, len(quote)) if at else 0.5


@dataclass(frozen=True)
class CellModel:
    model: Logistic
    threshold: float
    meta: dict

    def keep(self, rows: dict[str, list[float]]) -> dict[str, float]:
        """P(each cell is right), for the cells at or above the threshold."""
        if not rows:
            return {}
        names = list(rows)
        p = self.model.predict(np.asarray([rows[n] for n in names], dtype=float))
        return {n: float(x) for n, x in zip(names, p) if x >= self.threshold}


@lru_cache(maxsize=2)
def load_cells(path: Path = CELLS_PATH) -> CellModel | None:
    """The shipped cell model, or None when the file is absent (every grounded cell is kept)."""
    if not path.exists():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    model = Logistic.from_dict(d["model"])
    if list(model.features) != CELL_FEATURES:
        raise ValueError(f"{path}: features {list(model.features)} are not CELL_FEATURES; "
                         "retrain with `python -m eval train-cells`")
    return CellModel(model, float(d["threshold"]), d.get("meta", {}))
