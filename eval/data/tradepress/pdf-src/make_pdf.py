"""Build the Lonza article PDF from its text (fpdf2, core Helvetica, wrapped lines, two pages)."""
import sys

from fpdf import FPDF

src, out = sys.argv[1], sys.argv[2]
pdf = FPDF(format="A4")
pdf.set_auto_page_break(True, margin=20)
pdf.set_creation_date(__import__("datetime").datetime(2021, 5, 6))
pdf.add_page()
for i, para in enumerate(open(src, encoding="utf-8").read().split("\n\n")):
    para = para.strip()
    if para.startswith("Lonza invests to expand"):
        pdf.set_font("Helvetica", "B", 16)
    else:
        pdf.set_font("Helvetica", "", 11)
    if para.startswith("In Portsmouth"):
        pdf.add_page()
    pdf.multi_cell(0, 6, para)
    pdf.ln(3)
pdf.output(out)
