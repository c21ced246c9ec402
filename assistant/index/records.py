"""Records (deals, regulatory events, facilities) stored with the document version they came from.

One Chroma collection `<prefix>-records` beside the index, one row per record: id
`<version>:<i>`, the record's fields as JSON in the document, and metadata to filter on (type,
source, version, collection, event date as a span of days, size in US dollars, one key per
canonical company name) with a constant one-dimensional vector (rows are read by filter, never
by similarity; see `json_records`).

**Atomic with the chunks.** Ingest writes a document version's records before the manifest
switch that makes the version live (`ingest/pipeline.py`), and a reader keeps only rows whose
(source, version) the manifest names now: a document's records appear, change and disappear with
its chunks, in the same one manifest write. Rows of a version that never went live (a run that
died) or that was replaced or removed are never returned, and are deleted after each switch for
the sources it touched (`collect`). A reader that raced a switch (it read a document's old rows,
then the manifest names the new version) reads that document's rows again, so it sees the old
version or the new one, never both, never neither.

**Collections.** Each row carries its document's collection; a caller scoped to collections gets
only theirs (filtered in the store query, and checked against the manifest record).
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

from assistant.core import aliases as company_names
from assistant.core.collections import collection_of

_VECTOR = [1.0]
PAGE = 1000
TYPES = ("deal", "regulatory", "facility")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class RecordQueryError(ValueError):
    """A filter value that is not allowed (unknown type, malformed date, negative amount)."""


def date_span(value: str | None) -> tuple[int, int] | None:
    """A YYYY, YYYY-MM or YYYY-MM-DD date as the days it covers, as (YYYYMMDD, YYYYMMDD)."""
    if not value:
        return None
    m = _DATE.match(value)
    if not m:
        return None
    y, mo, d = m.group(1), m.group(2), m.group(3)
    try:
        datetime.date(int(y), int(mo or 1), int(d or 1))
    except ValueError:
        return None
    if d:
        n = int(f"{y}{mo}{d}")
        return n, n
    if mo:
        return int(f"{y}{mo}01"), int(f"{y}{mo}31")
    return int(f"{y}0101"), int(f"{y}1231")


def company_key(name: str) -> str:
    """The metadata key of a company: its canonical name's comparison key."""
    return "co:" + company_names.key(company_names.canonical(name))[:60]


@dataclass
class StoredRecord:
    id: str
    type: str
    source: str
    version: str
    collection: str
    date: str | None
    fields: dict
    companies: list[str]
    usd: float | None

    def public(self) -> dict[str, Any]:
        """The shape of `GET /v1/records`: id, type, source, date, fields."""
        return {"id": self.id, "type": self.type, "source": self.source, "date": self.date,
                "fields": self.fields}


class RecordStore:
    def __init__(self, store) -> None:
        """`store`: the `ChunkStore` whose manifest decides which versions are live."""
        self.store = store
        self.name = f"{store.prefix}-records"
        self._col = None

    @property
    def collection(self):
        if self._col is None:
            self._col = self.store.client.get_or_create_collection(self.name,
                                                                   embedding_function=None)
        return self._col

    # --- writing (ingest, under the ingest lock) ---
    def write(self, source: str, version: str, collection: str,
              records: Sequence[dict[str, Any]]) -> int:
        """Store a document version's records (before the switch that makes it live)."""
        if not records:
            return 0
        ids, docs, metas = [], [], []
        for i, rec in enumerate(records):
            ids.append(f"{version}:{i}")
            docs.append(json.dumps({"fields": rec["fields"]}, ensure_ascii=False))
            metas.append(_metadata(rec, source, version, collection))
        limit = max(1, min(PAGE, self.store.client.get_max_batch_size()))
        for i in range(0, len(ids), limit):
            self.collection.upsert(ids=ids[i:i + limit], documents=docs[i:i + limit],
                                   metadatas=metas[i:i + limit],
                                   embeddings=[_VECTOR] * len(ids[i:i + limit]))
        return len(ids)

    def carry(self, source: str, old_version: str, new_version: str, collection: str) -> int:
        """Copy a version's records to a new version of the same document (re-embedding makes a
        new version from the stored chunks without reading the file again)."""
        rows = list(self._rows({"version": old_version}))
        records = [{"type": r.type, "fields": r.fields, "date": r.date, "companies": r.companies,
                    "usd": r.usd} for r in sorted(rows, key=lambda r: _index(r.id))]
        return self.write(source, new_version, collection, records)

    def collect(self, sources: Iterable[str]) -> int:
        """Delete the rows of these sources whose version is not live (replaced, removed, or
        written by a run that died before its switch). Returns how many went."""
        sources = sorted(set(sources))
        if not sources:
            return 0
        live = self.store.live_records(sources)
        dead: list[str] = []
        for i in range(0, len(sources), PAGE):
            where = {"source": {"$in": sources[i:i + PAGE]}}
            for id_, meta in self._metas(where):
                src, ver = meta.get("source"), meta.get("version")
                if (live.get(src) or {}).get("version") != ver:
                    dead.append(id_)
        for i in range(0, len(dead), PAGE):
            self.collection.delete(ids=dead[i:i + PAGE])
        return len(dead)

    # --- reading ---
    def query(self, type: str | None = None, company: str | None = None,
              since: str | None = None, until: str | None = None, min_usd: float | None = None,
              source: str | None = None,
              collections: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Live records matching every filter given, as `{"id", "type", "source", "date",
        "fields"}`, newest event first (undated last). `company`: any name of the company
        (aliases resolve); `since` / `until`: YYYY, YYYY-MM or YYYY-MM-DD, a record counts when
        its event date's span reaches into the range (undated records are left out then);
        `min_usd`: the deal's total (else upfront) or the facility's investment in US dollars;
        `collections`: None for every collection, else only these."""
        return [r.public() for r in self.rows(type, company, since, until, min_usd, source,
                                              collections)]

    def rows(self, type: str | None = None, company: str | None = None,
             since: str | None = None, until: str | None = None, min_usd: float | None = None,
             source: str | None = None,
             collections: Sequence[str] | None = None) -> list[StoredRecord]:
        """Like `query`, with the stored metadata (version, collection, companies, usd)."""
        where = _where(type, company, since, until, min_usd, source, collections)
        found = list(self._rows(where))
        live = self.store.live_records({r.source for r in found})
        keep = [r for r in found if _live(r, live, collections)]
        # A switch between the two reads: the sources whose live version was not in the rows
        # read are read again at that version (old or new, never both, never neither).
        raced = {src: d["version"] for src, d in live.items()
                 if any(r.source == src for r in found) and
                 not any(r.source == src and r.version == d["version"] for r in found)}
        for src, ver in raced.items():
            again = _and(where, {"version": ver})
            keep.extend(r for r in self._rows(again) if _live(r, live, collections))
        keep.sort(key=lambda r: (r.date is None, _neg_date(r.date), r.source, _index(r.id)))
        return keep

    def count(self) -> int:
        return self.collection.count()

    # --- internals ---
    def _metas(self, where: dict) -> Iterator[tuple[str, dict]]:
        offset = 0
        while True:
            res = self.collection.get(where=where, include=["metadatas"], limit=PAGE,
                                      offset=offset)
            for id_, meta in zip(res["ids"], res["metadatas"]):
                yield id_, meta or {}
            if len(res["ids"]) < PAGE:
                return
            offset += PAGE

    def _rows(self, where: dict | None) -> Iterator[StoredRecord]:
        offset = 0
        while True:
            res = self.collection.get(where=where, include=["documents", "metadatas"],
                                      limit=PAGE, offset=offset)
            for id_, doc, meta in zip(res["ids"], res["documents"], res["metadatas"]):
                yield _stored(id_, doc, meta or {})
            if len(res["ids"]) < PAGE:
                return
            offset += PAGE


def _metadata(rec: dict, source: str, version: str, collection: str) -> dict[str, Any]:
    span = date_span(rec.get("date"))
    meta: dict[str, Any] = {
        "type": rec["type"], "source": source, "version": version, "collection": collection,
        "date": rec.get("date") or "", "date_from": span[0] if span else 0,
        "date_to": span[1] if span else 0,
        "usd": float(rec["usd"]) if rec.get("usd") is not None else -1.0,
        "companies": json.dumps(rec.get("companies") or [], ensure_ascii=False),
    }
    for name in rec.get("companies") or []:
        meta[company_key(name)] = True
    return meta


def _stored(id_: str, doc: str, meta: dict) -> StoredRecord:
    body = json.loads(doc or "{}")
    usd = meta.get("usd")
    return StoredRecord(
        id=id_, type=meta.get("type", ""), source=meta.get("source", ""),
        version=meta.get("version", ""), collection=meta.get("collection") or "default",
        date=meta.get("date") or None, fields=body.get("fields", {}),
        companies=json.loads(meta.get("companies") or "[]"),
        usd=None if usd is None or usd < 0 else float(usd))


def _live(r: StoredRecord, live: dict[str, dict], collections: Sequence[str] | None) -> bool:
    doc = live.get(r.source)
    if doc is None or doc.get("version") != r.version:
        return False
    return collections is None or collection_of(doc) in collections


def _and(*conds: dict | None) -> dict | None:
    parts = [c for c in conds if c]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _where(type, company, since, until, min_usd, source, collections) -> dict | None:
    conds: list[dict] = []
    if type is not None:
        if type not in TYPES:
            raise RecordQueryError(f"unknown record type {type!r}: use one of {', '.join(TYPES)}")
        conds.append({"type": type})
    if company is not None and str(company).strip():
        conds.append({company_key(str(company)): True})
    for name, value, bound in (("since", since, "date_to"), ("until", until, "date_from")):
        if value is None:
            continue
        span = date_span(str(value).strip())
        if span is None:
            raise RecordQueryError(f"{name} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, "
                                   f"not {value!r}")
        conds.append({bound: {"$gte": span[0]}} if name == "since" else {bound: {"$lte": span[1]}})
        if name == "until":
            conds.append({"date_from": {"$gt": 0}})
    if min_usd is not None:
        try:
            amount = float(min_usd)
        except (TypeError, ValueError):
            raise RecordQueryError(f"min_usd must be a number, not {min_usd!r}") from None
        if not amount >= 0 or amount == float("inf"):
            raise RecordQueryError(f"min_usd must be a number of dollars >= 0, not {min_usd!r}")
        conds.append({"usd": {"$gte": amount}})
    if source is not None:
        conds.append({"source": source})
    if collections is not None:
        names = sorted(set(collections))
        if not names:
            return {"$and": [{"type": "__none__"}, {"type": "__none__"}]}
        conds.append({"collection": {"$in": names}})
    return _and(*conds)


def _index(id_: str) -> int:
    try:
        return int(id_.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return 0


def _neg_date(date: str | None) -> int:
    span = date_span(date)
    return -span[1] if span else 0
