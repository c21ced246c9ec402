"""What adding, changing and removing one 10-chunk document costs as the index grows (issue 11,
step 3 of "which limit binds": the manifest read). `python -m eval.manifest_cost --docs 500 5000`.

For each size N: an index of N tiny documents (2 chunks each, random vectors) is written through
the product's `IndexWriter` (one commit; origin "folder" of a folder that is not ingested here),
then a real 10-paragraph text file is added (`Ingestor.run([file])`: partitioned, chunked, written
as a new segment, switched, merge check), changed and removed (`Ingestor.remove`), `--repeat`
times each after one warm-up round. The embedder is a deterministic hash (no model): what is
timed is the index's cost, not the embedding's (about 1 s for 10 chunks with the real model).
Also reported: the records the manifest's `get` returned during each step (a spy on the
collection), and one whole-manifest read (`ChunkStore.live_docs()`) for reference.

Indexes are built once under `--work` (`base-N`) and copied for each measurement.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import typer

from assistant.core.config import Settings

if TYPE_CHECKING:
    from assistant.index.store import ChunkStore

DIM = 384
NAME = "bench-hash"


def hash_vector(text: str, dim: int = DIM) -> np.ndarray:
    """A normalised random vector seeded by the text (deterministic, no model)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


class HashEmbedder:
    name, dimension = NAME, DIM

    def embed_texts(self, texts, batch_size: int = 32):
        return np.stack([hash_vector(t) for t in texts])

    def embed_query(self, text: str):
        return hash_vector(text)


def settings_for(data: Path) -> Settings:
    from eval.scale import bench_settings

    # (the build's one commit of 10,000 rows is far beyond the store's 10-s default call limit)
    return bench_settings(data).model_copy(update={"store_timeout_seconds": 600.0})


def doc_source(d: int) -> str:
    return f"bench/doc-{d:06d}.txt"


def build_index(settings: Settings, n_docs: int, embedder_name: str = NAME, dim: int = DIM,
                folder: str = "/nonexistent/bench") -> tuple["ChunkStore", float]:
    """An index of `n_docs` two-chunk documents (`doc_source(d)`, hash vectors) from `folder`,
    written by the product's `IndexWriter` in one commit: (the store, the commit's seconds)."""
    from assistant.index.store import ChunkStore
    from assistant.index.writer import IndexWriter, NewChunk
    from ingest.pipeline import pipeline_fingerprint

    store = ChunkStore(settings)
    fp = pipeline_fingerprint(settings, embedder_name)
    writer = IndexWriter(store, embedder_name, dim)
    for d in range(n_docs):
        source = doc_source(d)
        texts = [f"Document {d} part {i}: Acme Bio licensed compound XJ-{d}-{i} to Foo Pharma "
                 f"for {d + i} million dollars in upfront and milestone payments."
                 for i in range(2)]
        chunks = [NewChunk(text=t, metadata={"title": source, "kind": "text", "chunk_index": i},
                           embedding=hash_vector(t, dim)) for i, t in enumerate(texts)]
        writer.add({"source": source, "title": source, "file_hash": hashlib.sha256(
            source.encode()).hexdigest(), "fingerprint": fp, "origin_kind": "folder",
            "origin": folder, "path": f"{folder}/{source}", "ingested_at": time.time()}, chunks)
    t = time.perf_counter()
    writer.commit()
    return store, time.perf_counter() - t


def ten_chunks(tag: str) -> str:
    words = ("licensing milestone royalty upfront equity tranche option territory biologic "
             "antibody manufacturing regulatory filing approval").split()
    paras = []
    for i in range(10):
        body = " ".join(words[(i + j) % len(words)] for j in range(95))
        paras.append(f"Section {i} of the {tag} memo. {body}.")
    return "\n\n".join(paras) + "\n"


class ManifestSpy:
    """Counts the records the manifest collection's `get` returns (every manifest read goes
    through it: the store caches its manifest collection)."""

    def __init__(self, store) -> None:
        self.records = 0
        col = store._manifest()
        real = col.get

        def get(*a, **k):
            got = real(*a, **k)
            self.records += len(got["ids"])
            return got

        col.get = get

    def take(self) -> int:
        """Records read since the last call."""
        n, self.records = self.records, 0
        return n


def measure(data: Path, repeat: int) -> dict:
    from assistant.index.store import ChunkStore
    from ingest.pipeline import Ingestor

    settings = settings_for(data)
    store = ChunkStore(settings)
    spy = ManifestSpy(store)
    ing = Ingestor(settings, store, HashEmbedder(), progress=False)
    folder = data / "added"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "added-memo.txt"
    out: dict[str, list] = {"add": [], "change": [], "remove": []}
    reads: dict[str, list] = {"add": [], "change": [], "remove": []}
    for round_ in range(repeat + 1):  # round 0: warm-up (imports, partitioner)
        for step in ("add", "change", "remove"):
            if step != "remove":
                path.write_text(ten_chunks(f"{step} {round_}"), encoding="utf-8")
            spy.take()
            t = time.perf_counter()
            if step == "remove":
                s = ing.remove(["added-memo.txt"])
            else:
                s = ing.run([path])
            sec = time.perf_counter() - t
            if step == "add":
                assert s.files_new == 1 and s.chunks_added == 10, s
            if step == "change":
                assert s.files_changed == 1, s
            if round_:
                out[step].append(sec)
                reads[step].append(spy.take())
    t = time.perf_counter()
    live = store.live_docs()
    whole = time.perf_counter() - t
    return {"documents": len(live), "live_chunks": store.count(), "whole_manifest_read_s":
            round(whole, 3),
            **{f"{k}_s_median": round(statistics.median(v), 3) for k, v in out.items()},
            **{f"{k}_s_all": [round(x, 3) for x in v] for k, v in out.items()},
            **{f"{k}_manifest_records_read": max(v) for k, v in reads.items()}}


def main(docs: list[int] = typer.Option([500, 5000], help="index sizes in documents"),
         work: Path = typer.Option(Path("/tmp/manifest-cost"), help="scratch folder"),
         repeat: int = typer.Option(3, help="timed rounds after one warm-up"),
         label: str = typer.Option("", help="a name for this run in the output")) -> None:
    results = []
    for n in docs:
        base = work / f"base-{n}"
        if not (base / "chroma").exists():
            shutil.rmtree(base, ignore_errors=True)
            _, secs = build_index(settings_for(base), n)
            print(f"built {n} documents ({2 * n} chunks) in {secs:.1f} s")
        run = work / f"run-{n}"
        shutil.rmtree(run, ignore_errors=True)
        shutil.copytree(base, run)
        r = {"label": label, "documents_before": n, **measure(run, repeat)}
        shutil.rmtree(run, ignore_errors=True)
        print(json.dumps(r))
        results.append(r)


if __name__ == "__main__":
    typer.run(main)
