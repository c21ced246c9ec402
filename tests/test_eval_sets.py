"""The frozen trade-press eval set (eval/data/tradepress_eval.jsonl): it loads, has the required
mix of questions, every gold quote is an exact span of its document, none of its documents is one
of the corpus documents, and every document ingests through the real pipeline."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from eval.dataset import load, normalize_ws

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "eval" / "data" / "tradepress_eval.jsonl"
DOCS = ROOT / "eval" / "data" / "tradepress" / "docs"
SOURCES = ROOT / "eval" / "data" / "tradepress" / "SOURCES.md"
CORPUS = ROOT / "corpus"


def document_text(path: Path) -> str:
    """The text a reader sees: HTML without tags (entities decoded), PDF as extracted by
    pdfminer, other files as they are."""
    if path.suffix == ".pdf":
        from pdfminer.high_level import extract_text

        return extract_text(str(path))
    raw = path.read_text(encoding="utf-8")
    if path.suffix in (".html", ".htm"):
        import lxml.html

        return lxml.html.document_fromstring(raw).text_content()
    return raw


QUESTIONS = load(SET)


@pytest.fixture(scope="module")
def questions():
    return QUESTIONS


@pytest.fixture(scope="module")
def texts():
    return {p.name: normalize_ws(document_text(p)) for p in sorted(DOCS.iterdir()) if p.is_file()}


def test_set_loads_with_required_counts(questions):
    cats = Counter(q.category for q in questions)
    assert len(questions) >= 48
    assert cats["unanswerable"] >= 10
    assert cats["list"] + cats["multi_document"] >= 12
    assert all(not q.answerable for q in questions if q.category == "unanswerable")
    # several list / compare questions really span more than one article
    spanning = [q for q in questions if len(q.gold_sources) > 1]
    assert len(spanning) >= 8
    # every answerable item has facts with at least one non-empty variant each
    for q in questions:
        for fact in q.key_facts:
            assert fact and all(v.strip() for v in fact), q.id


def test_at_least_eight_documents_in_several_formats(texts):
    assert len(texts) >= 8
    suffixes = {Path(n).suffix for n in texts}
    assert {".txt", ".md", ".html", ".pdf"} <= suffixes


def test_every_document_is_used_and_listed_in_sources(questions, texts):
    used = {g.source for q in questions for g in q.gold}
    assert used <= set(texts), used - set(texts)
    assert set(texts) <= used, f"documents no question uses: {set(texts) - used}"
    listed = SOURCES.read_text(encoding="utf-8")
    for name in texts:
        assert name in listed, f"{name} missing from SOURCES.md"


def test_documents_carry_their_source_url_and_date(texts):
    for name, text in texts.items():
        path = DOCS / name
        # HTML keeps them in a comment at the top, the others as the first lines
        head = text[:600] if path.suffix == ".pdf" else path.read_text(encoding="utf-8")[:600]
        assert re.search(r"Source: https?://", head), name
        assert "Date:" in head, name


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.id)
def test_gold_quotes_are_exact_spans(q, texts):
    for g in q.gold:
        assert g.source in texts, f"{q.id}: unknown document {g.source}"
        assert normalize_ws(g.quote) in texts[g.source], f"{q.id}: quote not in {g.source}: {g.quote!r}"


@pytest.mark.parametrize("q", [q for q in QUESTIONS if q.answerable], ids=lambda q: q.id)
def test_key_facts_are_in_the_gold_documents(q, texts):
    """A fact no gold document states could never be found in a cited answer."""
    from eval.scoring import normalize

    docs = normalize(" ".join(texts[s] for s in q.gold_sources))
    for fact in q.key_facts:
        assert any(normalize(v) in docs for v in fact), f"{q.id}: {fact} in none of {q.gold_sources}"


def test_no_document_is_in_the_corpus(texts):
    corpus_names = {p.name for p in CORPUS.rglob("*") if p.is_file()}
    assert not corpus_names & set(texts)
    corpus_texts = [normalize_ws(document_text(p)) for p in CORPUS.rglob("*") if p.is_file()]
    for name, text in texts.items():
        # no article body is a corpus article: compare a long sentence-sized window from its middle
        body = text[len(text) // 3: len(text) // 3 + 200]
        assert not any(body in c for c in corpus_texts), name


def test_every_document_ingests(tmp_path, embedder):
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
    expected = {p.name for p in DOCS.iterdir() if p.is_file()}
    assert set(sources) == expected
    assert all(s["chunks"] >= 1 for s in sources.values())


def test_runner_rejects_docs_without_the_gold_sources(tmp_path):
    """`--docs` pointing at the wrong folder fails up front, naming what is missing."""
    from assistant.core.config import Settings
    from eval.corpus import run_corpus_eval

    (tmp_path / "other.txt").write_text("Source: https://example.org\nnothing here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="gold sources not found") as err:
        run_corpus_eval(Settings(chroma_path=tmp_path / "db"), embedder=None, dataset=SET,
                        docs=tmp_path, progress=False)
    assert "bayer-askbio-acquisition-2020.html" in str(err.value)


def test_cli_rejects_a_missing_docs_folder(tmp_path):
    from typer.testing import CliRunner

    from eval.__main__ import app

    result = CliRunner().invoke(app, ["corpus", "--dataset", str(SET), "--docs", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "not a folder" in result.output


def test_category_rows():
    from eval.report import category_rows

    recs = [
        {"category": "list", "answerable": True, "abstained": False, "fact_recall": 0.5,
         "all_facts": False, "citation_hit": True, "numbers_ok": True},
        {"category": "list", "answerable": True, "abstained": True, "fact_recall": 0.0,
         "all_facts": False, "citation_hit": False, "numbers_ok": True},
        {"category": "unanswerable", "answerable": False, "abstained": True, "fact_recall": None,
         "all_facts": None, "citation_hit": None, "numbers_ok": True},
        {"category": "unanswerable", "answerable": False, "abstained": False, "fact_recall": None,
         "all_facts": None, "citation_hit": None, "numbers_ok": False},
    ]
    rows = {r[0]: r[1:] for r in category_rows(recs)}
    assert rows["list"] == [2, 0.25, 0.0, 0.5, 0.5, 1.0]
    assert rows["unanswerable"] == [2, None, None, None, 0.5, 0.0]
