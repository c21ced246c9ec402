"""Checks the record-extraction tests share: each record's cell values, and every cell's quote a
verbatim span of the elements that states its value."""

from __future__ import annotations

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
