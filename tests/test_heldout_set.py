"""The frozen held-out eval set (eval/data/heldout/): it loads, has the required mix of questions,
every gold quote is an exact span of its document and carries the question's key facts, every
document is used, listed in SOURCES.md and carries its source, none of its documents is a corpus or
trade-press document, and the folder ingests through the real pipeline."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from eval.dataset import CATEGORIES, load, normalize_ws
from tests.test_eval_sets import document_text
from tests.test_heldout_sets import (  # the schema and value checks shared with the later sets
    DATES,
    ENUMS,
    FIELDS,
    MONEY,
    NUMBERS,
    _number_wordings,
    check_record_values,
)

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "eval" / "data" / "heldout"
SET = HELDOUT / "heldout_eval.jsonl"
DOCS = HELDOUT / "docs"
SOURCES = HELDOUT / "SOURCES.md"
CORPUS = ROOT / "corpus"
TRADEPRESS = ROOT / "eval" / "data" / "tradepress"

QUESTIONS = load(SET)


@pytest.fixture(scope="module")
def texts():
    return {p.name: normalize_ws(document_text(p)) for p in sorted(DOCS.iterdir()) if p.is_file()}


def test_comparison_is_a_category():
    assert "comparison" in CATEGORIES
    assert any(q.category == "comparison" for q in QUESTIONS)


def test_set_loads_with_required_counts():
    cats = Counter(q.category for q in QUESTIONS)
    assert len(QUESTIONS) >= 64
    assert cats["unanswerable"] >= 12
    assert cats["list"] + cats["comparison"] >= 16
    assert cats["multi_document"] >= 4
    assert all(not q.answerable for q in QUESTIONS if q.category == "unanswerable")
    # multi-document questions really cite more than one article
    assert all(len(q.gold_sources) > 1 for q in QUESTIONS if q.category == "multi_document")
    # unanswerable items carry no gold, and say why in the reference answer
    for q in QUESTIONS:
        if not q.answerable:
            assert not q.gold and not q.key_facts and q.reference_answer.strip(), q.id
        for fact in q.key_facts:
            assert fact and all(v.strip() for v in fact), q.id
    assert len({q.question for q in QUESTIONS}) == len(QUESTIONS)


def test_documents_and_formats(texts):
    assert len(texts) >= 13
    suffixes = Counter(Path(n).suffix for n in texts)
    assert set(suffixes) == {".txt", ".html", ".md"}
    assert 2 <= suffixes[".md"] <= 3
    assert suffixes[".txt"] + suffixes[".html"] >= len(texts) - 3


def test_every_document_is_used_and_listed_in_sources(texts):
    used = {g.source for q in QUESTIONS for g in q.gold}
    assert used <= set(texts), used - set(texts)
    assert set(texts) <= used, f"documents no question uses: {set(texts) - used}"
    listed = SOURCES.read_text(encoding="utf-8")
    for name in texts:
        assert f"`{name}`" in listed, f"{name} missing from SOURCES.md"


def test_documents_carry_their_source_url_date_and_publisher(texts):
    sources = SOURCES.read_text(encoding="utf-8")
    for name in texts:
        # HTML keeps them in a comment at the top, the others as the first lines
        head = (DOCS / name).read_text(encoding="utf-8")[:800]
        url = re.search(r"Source: (https?://\S+)", head)
        assert url, name
        assert "Date:" in head and "Publisher:" in head, name
        assert url.group(1) in sources, f"{name}: its URL is not in SOURCES.md"


@pytest.mark.parametrize("q", [q for q in QUESTIONS if q.answerable], ids=lambda q: q.id)
def test_gold_quotes_are_exact_spans(q, texts):
    for g in q.gold:
        assert g.source in texts, f"{q.id}: unknown document {g.source}"
        assert normalize_ws(g.quote) in texts[g.source], f"{q.id}: quote not in {g.source}: {g.quote!r}"


@pytest.mark.parametrize("q", [q for q in QUESTIONS if q.answerable], ids=lambda q: q.id)
def test_key_facts_are_in_the_gold_quotes(q):
    """Each key fact is stated by a gold quote of its question, not just somewhere in the document."""
    from eval.scoring import normalize

    quotes = normalize(" ".join(g.quote for g in q.gold))
    for fact in q.key_facts:
        assert any(normalize(v) in quotes for v in fact), f"{q.id}: {fact} in none of its gold quotes"


def _other_documents() -> dict[str, str]:
    folders = [CORPUS, TRADEPRESS / "docs"]
    return {p.name: normalize_ws(document_text(p)) for f in folders for p in f.rglob("*") if p.is_file()}


def test_no_document_is_a_corpus_or_tradepress_document(texts):
    others = _other_documents()
    assert not set(others) & set(texts)
    for name, text in texts.items():
        # sentence-sized windows from the article body must not occur in any other document
        for start in (len(text) // 3, len(text) // 2):
            body = text[start: start + 160]
            assert not any(body in o for o in others.values()), name
    # and none of the held-out source addresses is a trade-press source
    tp_sources = (TRADEPRESS / "SOURCES.md").read_text(encoding="utf-8")
    for name in texts:
        url = re.search(r"Source: (https?://\S+)", (DOCS / name).read_text(encoding="utf-8")[:800]).group(1)
        bare = re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
        assert bare not in tp_sources, f"{name} reuses a trade-press source"


def test_every_document_ingests(tmp_path, embedder):
    """One ingest of the whole folder through the real pipeline."""
    import shutil

    from assistant.core.config import Settings
    from assistant.index.store import ChunkStore
    from assistant.retrieval.hybrid import HybridRetriever
    from ingest.pipeline import Ingestor

    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    settings = Settings(corpus_dir=docs, chroma_path=tmp_path / "chroma")
    store = ChunkStore(settings)
    summary = Ingestor(settings, store, embedder, progress=False).run([docs])
    assert not summary.failed, summary.failed
    sources = HybridRetriever(store, embedder, settings).sources()
    assert set(sources) == {p.name for p in DOCS.iterdir() if p.is_file()}
    assert all(s["chunks"] >= 1 for s in sources.values())


# --- the gold record table (eval/data/heldout/records_gold.jsonl) ---------------------------------

RECORDS = HELDOUT / "records_gold.jsonl"

# the wording of a normalised value as the documents write it
AGENCY_WORDING = {
    "FDA": ("fda", "food and drug administration"),
    "EMA": ("ema", "european medicines agency", "chmp", "committee for medicinal products for human use"),
    "European Commission": ("european commission", "(ec)", "ec "),
    "NMPA": ("nmpa", "national medical products administration"),
    "EU": ("eu",),
}
RELATIVE_DATE = re.compile(r"January|February|March|April|May|June|July|August|September|October|November"
                           r"|December|Monday|Tuesday|Wednesday|Thursday|Friday|year|month|week|days?\b"
                           r"|20\d\d\.\d\d")
COUNTRY_WORDING = {"US": ("us", "u.s.", "united states"), "South Korea": ("south korea",)}


def _records() -> list[dict]:
    import json

    return [json.loads(line) for line in RECORDS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_records_load_with_valid_types_fields_and_ids(texts):
    records = _records()
    assert len(records) >= 40
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"g\d{3}", i) for i in ids)
    for r in records:
        assert r["source"] in texts, r["id"]
        assert r["type"] in FIELDS, r["id"]
        assert r["fields"] and set(r["fields"]) <= FIELDS[r["type"]], (r["id"], set(r["fields"]) - FIELDS[r["type"]])
        for name, f in r["fields"].items():
            assert set(f) == ({"value", "currency", "quote"} if name in MONEY else {"value", "quote"}), (r["id"], name)
            assert f["quote"].strip(), (r["id"], name)
    # every document states at least one record, and each type is represented
    assert {r["source"] for r in records} == set(texts)
    counts = Counter(r["type"] for r in records)
    assert all(counts[t] >= 8 for t in FIELDS), counts
    # a deal names at least one party; a regulatory event names its agency, action and product
    for r in records:
        if r["type"] == "deal":
            assert isinstance(r["fields"]["parties"]["value"], list) and r["fields"]["parties"]["value"], r["id"]
        if r["type"] == "regulatory":
            assert {"agency", "action", "product"} <= set(r["fields"]), r["id"]
        if r["type"] == "facility":
            assert "company" in r["fields"], r["id"]


def test_record_values_have_valid_formats():
    check_record_values(_records())


def test_record_quotes_are_exact_spans_stating_the_value(texts):
    for r in _records():
        text = texts[r["source"]]
        for name, f in r["fields"].items():
            quote = normalize_ws(f["quote"])
            where = (r["id"], name, f["quote"])
            assert quote in text, f"quote not in {r['source']}: {where}"
            low = quote.lower()
            v = f["value"]
            if name == "parties":
                assert all(p.lower() in low for p in v), where
            elif name == "agency":
                assert any(w in low + " " for w in AGENCY_WORDING.get(v, (v.lower(),))), where
            elif name == "country":
                assert any(w in low for w in COUNTRY_WORDING.get(v, (v.lower(),))), where
            elif name in MONEY or name in NUMBERS:
                assert any(w in quote for w in _number_wordings(float(v))), where
            elif name in DATES:
                year = v[:4]
                # the year, or a relative date the record resolves ("last year", "Monday", "this year")
                assert year in quote or re.search(RELATIVE_DATE, quote), where
            elif name not in ENUMS:
                assert v.lower() in low, where
