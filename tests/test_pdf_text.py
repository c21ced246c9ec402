"""PDF text (issue 10 point 6): lines broken by layout are joined into sentences before chunking,
hyphenation at line ends is repaired, and a page's section label comes from that page. On a PDF
generated here (fpdf2) and ingested by the real pipeline."""

from __future__ import annotations

import json

from fpdf import FPDF

from tests.conftest import make_settings

BODY1 = ("Zeta Biologics agreed to pay Omicron Therapeutics an upfront fee and up to $432 million "
         "in additional milestone payments for the rights to its antibody platform, and the two "
         "companies will build a 5,000 L single-use bioreactor suite for clinical manu-")
BODY1_END = ("facturing in Basel before the end of the year. The deal also covers the United "
             "States and Spain.")
BODY2 = ("Omicron said the Basel suite will start with two 2,000 L bioreactors and grow to a "
         "capacity of 5,000 L by 2027, creating about 120 jobs for operators, analysts and "
         "quality staff at the site.")


def make_pdf(path):
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, "Zeta and Omicron sign platform deal", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    # A narrow column wraps every sentence and figure over several lines; the hyphenated
    # "manu-" ends a line by itself.
    pdf.multi_cell(120, 6, BODY1, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(120, 6, BODY1_END, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, "Manufacturing plans", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(120, 6, BODY2, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def test_pdf_sentences_and_sections(tmp_path, embedder):
    from assistant.index.store import ChunkStore
    from ingest.pipeline import Ingestor

    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "deal.pdf")
    settings = make_settings(tmp_path, docs)
    store = ChunkStore(settings)
    summary = Ingestor(settings, store, embedder, progress=False).run([docs])
    assert not summary.failed
    records = list(store.iter_live())
    assert records, "no chunks stored"
    sentences, by_page = [], {}
    for r in records:
        text, meta = r.text, r.metadata
        spans = json.loads(meta["sentences"])
        sentences.extend(text[a:b] for a, b in spans)
        by_page.setdefault(meta.get("page"), []).append(meta.get("section"))
    joined = " ".join(sentences)
    # Figures that wrapped across lines stay whole, in one sentence.
    assert any("up to $432 million in additional milestone payments" in s for s in sentences), sentences
    assert not any(s.rstrip().endswith("$432") for s in sentences)
    assert not any(s.lstrip().startswith("million") for s in sentences)
    assert any("5,000 L single-use bioreactor suite" in s for s in sentences)
    # The hyphen at the line end is repaired.
    assert "manufacturing in Basel" in joined and "manu- facturing" not in joined
    # Page 2's section label is its own heading, not a line of page 1.
    assert set(by_page[2]) == {"Manufacturing plans"}, by_page
    assert not any(s and "Spain" in s for s in by_page[2])


def test_a_long_pdf_paragraph_is_chunked_at_sentence_ends(tmp_path, embedder):
    from assistant.index.store import ChunkStore
    from ingest.pipeline import Ingestor

    docs = tmp_path / "docs"
    docs.mkdir()
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "", 11)
    sentence = ("Zeta Biologics will pay up to $432 million in milestone payments for the "
                "platform rights, the companies said. ")
    pdf.multi_cell(0, 6, sentence * 20, new_x="LMARGIN", new_y="NEXT")  # about 2,200 characters
    pdf.output(str(docs / "long.pdf"))
    settings = make_settings(tmp_path, docs)
    store = ChunkStore(settings)
    assert not Ingestor(settings, store, embedder, progress=False).run([docs]).failed
    records = list(store.iter_live())
    assert len(records) >= 2
    for r in records:
        assert r.text.strip().endswith("."), r.text[-40:]
        assert "$432 million" in r.text
