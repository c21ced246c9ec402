"""Small documents of every supported format, written by the tests themselves."""

from __future__ import annotations

from pathlib import Path


def write_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.set_y(60)  # below the header band, so the text is body text
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def write_docx(path: Path, heading: str, paragraphs: list[str], title: str | None = None) -> Path:
    import docx

    d = docx.Document()
    if title:
        d.core_properties.title = title
    d.add_heading(heading, 1)
    for p in paragraphs:
        d.add_paragraph(p)
    d.save(str(path))
    return path


def write_all(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "txt": folder / "deal-note.txt",
        "md": folder / "market.md",
        "html": folder / "news.html",
        "pdf": folder / "licensing.pdf",
        "docx": folder / "checklist.docx",
    }
    files["txt"].write_text(
        "Zentrix Licenses KRT-77 to Halvard\n\nZentrix Bio licensed its KRT-77 antibody to Halvard "
        "Pharma for $310 million upfront in May 2024. Halvard will run the Phase 3 trial.\n",
        encoding="utf-8")
    files["md"].write_text(
        "# Market notes\n\n## Pricing\n\nThe gene therapy Orvexa is priced at $2.9 million per "
        "patient, the highest price in the class.\n", encoding="utf-8")
    files["html"].write_text(
        "<html><head><title>Quillon deal news</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/s'>Subscribe to our newsletter</a></nav>"
        "<header>Pharma Daily header banner</header>"
        "<article><h1>Quillon acquisition</h1><p>Marlow Therapeutics acquired Quillon Cell for "
        "$840 million in January 2025, gaining its allogeneic NK-cell platform.</p></article>"
        "<aside>Related: ten other stories you might like</aside>"
        "<footer>Copyright 2025 Pharma Daily. All rights reserved.</footer>"
        "<form>Sign in with your password</form></body></html>", encoding="utf-8")
    write_pdf(files["pdf"], [
        "Tessaro signed a manufacturing agreement with a CDMO in Basel for its TSR-12 cell therapy.",
        "The Basel site runs grade B clean rooms with HEPA filtration for the TSR-12 Phase 2 batches.",
    ], title="Tessaro manufacturing update")
    write_docx(files["docx"], "CDMO checklist", [
        "Verify that the CDMO has taken a cell therapy through a Phase 3 trial before signing.",
        "Ask for the cold-chain validation records at minus 150 degrees Celsius.",
    ], title="Vendor checklist")
    return files
