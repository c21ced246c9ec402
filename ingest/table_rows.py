"""A table as lines a reader (and the answerer) can quote: one line per row, each cell after its
column's header.

unstructured gives a table's text as all its cells run together ("Company Partner Up-Front
Sangamo Gilead $150 million Nektar ..."), where no sentence says which amount belongs to which
company. Its HTML (`metadata.text_as_html`) still has the rows, so each body row becomes

    Company: Sangamo Therapeutics; Partner: Gilead Sciences; Up-Front Payments: $150 million

(cells without a header are joined by "; "; empty cells are left out). The cell texts are the
document's own; only the header labels and separators are added.
"""

from __future__ import annotations

import re

_WS = re.compile(r"\s+")
MAX_ROWS = 2000  # a table longer than this keeps its rows up to here (the rest as run-on text)


def _cell_text(cell) -> str:
    return _WS.sub(" ", cell.text_content()).strip()


def table_rows(html: str | None) -> list[str]:
    """The rows of an HTML table as labelled lines; [] when there is nothing to read."""
    if not html or "<t" not in html:
        return []
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.LxmlError):  # not parseable: the caller keeps unstructured's text
        return []
    rows = root.xpath(".//tr") if root.tag != "tr" else [root]
    if not rows:
        return []
    header: list[str] = []
    body = rows
    first = rows[0]
    first_cells = first.xpath("./th|./td")
    in_head = first.getparent() is not None and first.getparent().tag == "thead"
    if first_cells and (in_head or all(c.tag == "th" for c in first_cells)):
        header = [_cell_text(c) for c in first_cells]
        body = rows[1:]
    lines = []
    for row in body[:MAX_ROWS]:
        cells = [_cell_text(c) for c in row.xpath("./th|./td")]
        parts = []
        for i, value in enumerate(cells):
            if not value:
                continue
            label = header[i] if i < len(header) else ""
            parts.append(f"{label}: {value}" if label and label != value else value)
        if parts:
            lines.append("; ".join(parts))
    if not lines and header:
        lines = ["; ".join(h for h in header if h)]
    return [line for line in lines if line]
