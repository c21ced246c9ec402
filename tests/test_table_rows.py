"""Tables read as rows (ingest/table_rows.py): each body row one line, each cell after its header.
Pure logic on small HTML tables, then the real loader on a real HTML file."""

from __future__ import annotations

from ingest.table_rows import table_rows

DEALS = """<table>
<thead><tr><th>Company</th><th>Partner</th><th>Up-Front</th></tr></thead>
<tbody>
<tr><td>Sangamo</td><td>Gilead</td><td>$150 million</td></tr>
<tr><td>Nektar</td><td>Bristol-Myers Squibb</td><td>$1 billion</td></tr>
</tbody></table>"""


def test_each_row_labels_its_cells_with_the_header():
    assert table_rows(DEALS) == [
        "Company: Sangamo; Partner: Gilead; Up-Front: $150 million",
        "Company: Nektar; Partner: Bristol-Myers Squibb; Up-Front: $1 billion",
    ]


def test_a_first_row_of_th_cells_is_the_header_and_empty_cells_are_left_out():
    html = ("<table><tr><th>Site</th><th>Liters</th></tr>"
            "<tr><td>Cork</td><td></td></tr><tr><td>Vacaville</td><td>330,000</td></tr></table>")
    assert table_rows(html) == ["Site: Cork", "Site: Vacaville; Liters: 330,000"]


def test_a_table_without_header_joins_its_cells():
    html = "<table><tr><td>Lonza</td><td>Visp</td></tr></table>"
    assert table_rows(html) == ["Lonza; Visp"]


def test_nothing_to_read_gives_no_rows():
    assert table_rows(None) == [] and table_rows("") == [] and table_rows("plain text") == []
    assert table_rows("<table></table>") == []


def test_an_html_document_table_becomes_labelled_row_sentences(tmp_path):
    from assistant.core.config import Settings
    from ingest.chunking import chunk_document
    from ingest.loading import TABLE_ROW
    from ingest.pipeline import load_document

    page = tmp_path / "deal-values.html"
    page.write_text(
        "<html><body><h1>Deal values of 2018</h1>"
        "<p>Three gene and cell therapy deals set the pace for the year in upfront payments.</p>"
        f"{DEALS}</body></html>", encoding="utf-8")
    doc, _ = load_document(page, tmp_path)
    rows = [e for e in doc.elements if e.category == TABLE_ROW]
    assert [e.text for e in rows] == [
        "Company: Sangamo; Partner: Gilead; Up-Front: $150 million.",
        "Company: Nektar; Partner: Bristol-Myers Squibb; Up-Front: $1 billion.",
    ]
    chunks = chunk_document(doc, Settings(), "test-embedder", "0" * 64)
    text = "\n".join(c.text for c in chunks)
    assert "Company: Nektar; Partner: Bristol-Myers Squibb; Up-Front: $1 billion." in text
    assert all(c.metadata.get("section") != "Company" for c in chunks)
