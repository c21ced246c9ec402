"""Checks the record-extraction tests share: each record's cell values, and every cell's quote a
verbatim span of the elements that states its value."""

from __future__ import annotations

from ingest.loading import Element
from ingest.records.extract import extract_records
from ingest.records.grounding import holds, verbatim


def values(records, type_=None):
    """Each record's cell values ({field: value}), of one type when `type_` is given."""
    return [{k: c["value"] for k, c in r["fields"].items()} for r in records
            if type_ is None or r["type"] == type_]


def grounded(records, els):
    texts = [e.text for e in els]
    for rec in records:
        for name, c in rec["fields"].items():
            assert verbatim(c["quote"], texts) and holds(name, c, None), (name, c)


def extracted(title: str, texts, type_: str):
    """The records of one type a page gives that has `title` as its headline and `texts` as its
    paragraphs (cell values), every quote checked verbatim (`grounded`)."""
    els = [Element(title, "Title")] + [Element(t, "NarrativeText") for t in texts]
    records = extract_records(els, title)
    grounded(records, els)
    return values(records, type_)
