"""Small JSON records (conversations, feedback) kept in Chroma next to the index.

Chroma is the one service that every API process already shares (embedded on one machine, a
`chroma run` server when scaling out), so keeping conversation history and feedback there adds no
infrastructure and leaves the API processes stateless. Records carry a constant one-dimensional
vector: Chroma needs one, and these records are fetched by id or metadata, never by similarity.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

_VECTOR = [1.0]
PAGE = 1000


class JsonRecords:
    def __init__(self, client, name: str) -> None:
        self.client = client
        self.name = name
        self._collection = None

    @property
    def collection(self):
        if self._collection is None:
            self._collection = self.client.get_or_create_collection(self.name, embedding_function=None)
        return self._collection

    def put(self, id_: str, doc: dict, metadata: dict[str, Any]) -> None:
        meta = {k: v for k, v in metadata.items() if v is not None}
        self.collection.upsert(ids=[id_], documents=[json.dumps(doc, ensure_ascii=False)],
                               metadatas=[meta or {"_": 0}], embeddings=[_VECTOR])

    def get(self, id_: str) -> dict | None:
        res = self.collection.get(ids=[id_], include=["documents"])
        return json.loads(res["documents"][0]) if res["ids"] else None

    def find(self, where: dict | None = None) -> Iterator[tuple[str, dict, dict]]:
        offset = 0
        while True:
            res = self.collection.get(where=where, include=["documents", "metadatas"],
                                      limit=PAGE, offset=offset)
            for id_, doc, meta in zip(res["ids"], res["documents"], res["metadatas"]):
                yield id_, json.loads(doc), meta or {}
            if len(res["ids"]) < PAGE:
                return
            offset += PAGE

    def delete(self, where: dict) -> None:
        self.collection.delete(where=where)
