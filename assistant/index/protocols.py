"""What the layers above ask of the index, as protocols: retrieval reads an index through
`IndexReader` (the manifest's state and documents, a segment's vectors, the keyword segments'
folder). `ChunkStore` is the implementation, on embedded Chroma or a `chroma run` server; a test
or another store can stand in for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class IndexReader(Protocol):
    keyword_dir: Path  # the keyword (BM25) segments, one folder each

    def state(self) -> dict[str, Any]:
        """The manifest's state record: `seq`, the live `segments`, ..."""
        ...

    def docs(self, since_seq: int = 0) -> list[dict[str, Any]]:
        """The live documents' records changed since `since_seq`."""
        ...

    def segment(self, name: str):
        """The Chroma collection of a vector segment."""
        ...

    def legacy_layout(self) -> bool:
        """Does the index predate segments (one collection)?"""
        ...
