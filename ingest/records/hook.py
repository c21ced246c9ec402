"""The pipeline's hook for records: extract when a document is read, store with the version
staged for it (before the manifest switch), carry over on re-embedding, collect after the switch.

`ingest/pipeline.py` calls it at four points; folder ingest, uploads (the ingest worker) and
re-ingest all go through that code, so every way in gets the same records.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Iterable

from assistant.index.records import RecordStore
from ingest.records.extract import extract_records

log = logging.getLogger(__name__)
_HERE = Path(__file__).resolve().parent


def code_fingerprint() -> bytes:
    """The extractor's code and the company table: a change re-extracts every document."""
    files = sorted(_HERE.glob("*.py"))
    core = _HERE.parent.parent / "assistant" / "core"
    files += [core / "aliases.py", core / "data" / "companies.tsv"]
    return hashlib.sha256(b"".join(p.read_bytes() for p in files if p.exists())).digest()


class RecordIndexer:
    def __init__(self, store) -> None:
        self.records = RecordStore(store)
        self._pending: dict[str, list[dict]] = {}
        self.extracted = 0
        self.written = 0

    def extract(self, source: str, doc) -> None:
        """Records of a document just read (a failure yields none: logged, never raised)."""
        try:
            found = extract_records(doc.elements, doc.title)
        except Exception:
            log.exception("record extraction failed for %s", source)
            found = []
        self._pending[source] = found
        self.extracted += len(found)

    def staged(self, source: str, version: str, collection: str) -> None:
        """The document's new version is staged: store its records under that version."""
        found = self._pending.pop(source, [])
        self.written += self.records.write(source, version, collection, found)

    def carry(self, source: str, old_version: str, new_version: str, collection: str) -> None:
        self.written += self.records.carry(source, old_version, new_version, collection)

    def committed(self, sources: Iterable[str]) -> None:
        """After the switch: drop the rows of versions no longer live (failures only delay it)."""
        try:
            self.records.collect(sources)
        except Exception as exc:
            log.warning("could not collect old records (retried on the next change): %s", exc)
