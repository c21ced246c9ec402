"""Retrieval eval on the corpus set: several retrievers side by side, metrics from ranx.

Judging is at passage level against the gold spans. Different retrievers cut the documents
differently, so the unit of relevance is the gold span, not a chunk id: a retrieved passage
"finds" every gold span it contains (whitespace-normalised; a span cut by a chunk boundary
counts when at least 60% of it lies in one passage). The ranked list handed to ranx has one entry
per retrieved passage, in rank order: the gold spans it finds, or the passage itself when it
finds none. Recall@k is then the share of a question's gold spans found in the top k passages.
"""

from __future__ import annotations

import re
import warnings
from difflib import SequenceMatcher
from pathlib import Path
from typing import Callable, Sequence

from eval.dataset import EvalQuestion

METRICS = ["recall@1", "recall@3", "recall@5", "recall@10", "recall@20", "mrr@10", "ndcg@10"]
DEPTH = 20

# A retriever takes a question and returns (passage id, source, text), best first.
Retrieved = list[tuple[str, str, str]]
RetrieverFn = Callable[[str, int], Retrieved]


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def finds(passage: str, source: str, q: EvalQuestion) -> list[int]:
    """Indices of the gold spans of `q` that this passage contains."""
    p = _norm(passage)
    out = []
    for i, g in enumerate(q.gold):
        if g.source != source:
            continue
        quote = _norm(g.quote)
        if quote in p:
            out.append(i)
            continue
        m = SequenceMatcher(None, quote, p, autojunk=False).find_longest_match(0, len(quote), 0, len(p))
        if m.size >= 0.6 * len(quote):
            out.append(i)
    return out


def build_run(questions: Sequence[EvalQuestion], retrieve: RetrieverFn,
              depth: int = DEPTH) -> dict[str, dict[str, float]]:
    run: dict[str, dict[str, float]] = {}
    for q in questions:
        entries: dict[str, float] = {}
        score = float(depth * 10)
        for pid, source, text in retrieve(q.question, depth):
            found = finds(text, source, q)
            for i in found or [None]:
                key = f"{q.id}/gold{i}" if i is not None else f"passage:{pid}"
                if key not in entries:
                    entries[key] = score
                    score -= 1e-3  # keep the order within one passage
            score = float(int(score) - 1)
        run[q.id] = entries or {"none": 0.0}
    return run


def qrels_for(questions: Sequence[EvalQuestion]) -> dict[str, dict[str, int]]:
    return {q.id: {f"{q.id}/gold{i}": 1 for i in range(len(q.gold))} for q in questions}


def evaluate(questions: Sequence[EvalQuestion], retrievers: dict[str, RetrieverFn],
             progress: bool = True) -> dict[str, dict[str, float]]:
    """{retriever name: {metric: value}} over the answerable questions."""
    from ranx import Qrels, Run
    from ranx import evaluate as ranx_evaluate
    from tqdm import tqdm

    answerable = [q for q in questions if q.answerable and q.gold]
    qrels = Qrels(qrels_for(answerable))
    results: dict[str, dict[str, float]] = {}
    for name, fn in tqdm(retrievers.items(), desc="retrievers", disable=not progress):
        run = Run(build_run(answerable, fn), name=name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numba's uint64 cast notice
            scores = ranx_evaluate(qrels, run, METRICS, make_comparable=True)
        results[name] = {k: float(v) for k, v in scores.items()}
    return results


def product_retriever(assistant, mode: str) -> RetrieverFn:
    def fn(question: str, k: int) -> Retrieved:
        return [(p.id, p.source, p.text) for p in assistant.retriever.retrieve(question, top_k=k, mode=mode)]

    return fn


def naive_baseline(corpus_dir: Path, embedder) -> RetrieverFn:
    """What a LangChain tutorial builds: RecursiveCharacterTextSplitter(1000, 200) over the raw
    files (page chrome included), embedded into Chroma, dense similarity search."""
    import uuid

    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.retrieval.embedding import LangChainEmbeddings

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = []
    for path in sorted(Path(corpus_dir).rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            if path.suffix.lower() == ".pdf":  # a tutorial would use a PDF loader, not raw bytes
                from pdfminer.high_level import extract_text

                text = extract_text(str(path))
            else:
                text = path.read_text(encoding="utf-8", errors="replace")
            source = path.relative_to(corpus_dir).as_posix()
            docs.extend(splitter.split_documents([Document(page_content=text, metadata={"source": source})]))
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    store = Chroma(collection_name=f"naive-{uuid.uuid4().hex[:8]}", client=client,
                   embedding_function=LangChainEmbeddings(embedder),
                   collection_metadata={"hnsw:space": "cosine"})
    ids = [f"naive-{i}" for i in range(len(docs))]
    store.add_documents(docs, ids=ids)

    def fn(question: str, k: int) -> Retrieved:
        hits = store.similarity_search(question, k=k)
        return [(f"{d.metadata['source']}:{hash(d.page_content)}", d.metadata["source"], d.page_content)
                for d in hits]

    fn.chunks = len(docs)  # type: ignore[attr-defined]
    return fn
