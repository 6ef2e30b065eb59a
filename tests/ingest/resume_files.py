"""Résumé files written for tests and ``benchmarks/document_text.py``: four PDF layouts (fpdf2)
and a DOCX (python-docx), each with the words a reader should recover in reading order.

Layouts: ``plain`` (one column, bullets, a header and page-numbered footer on two pages),
``two_column`` (a sidebar and a main column written line by line across both, as word
processors and browsers often emit them), ``table`` (experience in a bordered table),
``dense`` (small type, bullets "•", accented names, a three-page career).
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF, FontFace

FONT = Path(__import__("matplotlib").get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"

NAME = "Renée Okafor-Lindqvist"
HEADLINE = "Senior Backend Engineer"
JOBS = [
    ("2019-03 – present", "Senior Backend Engineer", "Northwind Payments"),
    ("2015-06 – 2019-02", "Software Engineer", "Contoso Logistics"),
    ("2012-09 – 2015-05", "Junior Developer", "Fabrikam Retail"),
]
BULLETS = [
    "Designed the ledger API in Kotlin serving 4,000 requests per second",
    "Migrated PostgreSQL clusters to Kubernetes with zero downtime",
    "Mentored six engineers and ran the on-call rotation",
    "Built Kafka pipelines for settlement reconciliation",
]
SIDEBAR = [
    "Contact",
    "renee@example.org",
    "Berlin, Germany",
    "Skills",
    "Kotlin",
    "PostgreSQL",
    "Kafka",
    "Terraform",
    "Languages",
    "English, German, Swedish",
]
SUMMARY = (
    "Backend engineer with twelve years of experience building payment systems, "
    "event pipelines and the teams that run them."
)


def _pdf(header: str | None = None) -> FPDF:
    class Doc(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("body", size=8)
                self.cell(0, 6, header, new_x="LMARGIN", new_y="NEXT", align="R")

        def footer(self) -> None:
            if header:
                self.set_y(-12)
                self.set_font("body", size=8)
                self.cell(0, 6, f"Page {self.page_no()}", align="C")

    pdf = Doc()
    pdf.add_font("body", "", str(FONT))
    pdf.set_font("body", size=11)
    pdf.add_page()
    return pdf


def _line(pdf: FPDF, text: str, size: int = 11, h: float = 6) -> None:
    pdf.set_font("body", size=size)
    pdf.multi_cell(0, h, text, new_x="LMARGIN", new_y="NEXT")


def _body_lines() -> list[str]:
    lines = [NAME, HEADLINE, SUMMARY, "Experience"]
    for period, title, org in JOBS:
        lines.append(f"{title}, {org}, {period}")
        lines += [f"• {b}" for b in BULLETS[:3]]
    return lines


def plain_pdf(path: Path) -> list[str]:
    """One column with a running header and footer; returns the expected body lines."""
    pdf = _pdf(header=f"{NAME} — curriculum vitae")
    lines = _body_lines() + ["Education", "MSc Computer Science, KTH Stockholm, 2012"]
    for i, text in enumerate(lines):
        _line(pdf, text, size=16 if i == 0 else 11)
        if i == 9:
            pdf.add_page()
    pdf.output(str(path))
    return lines


def two_column_pdf(path: Path) -> list[str]:
    """A sidebar (x 10–60 mm) and a main column (x 70–200 mm), written row by row."""
    pdf = _pdf()
    main = _body_lines()
    rows = max(len(SIDEBAR), len(main))
    for i in range(rows):
        y = 15 + i * 7
        if i < len(SIDEBAR):
            pdf.set_xy(10, y)
            pdf.set_font("body", size=9)
            pdf.cell(50, 6, SIDEBAR[i])
        if i < len(main):
            pdf.set_xy(70, y)
            pdf.set_font("body", size=9)
            pdf.cell(130, 6, main[i][:80])
    pdf.output(str(path))
    return SIDEBAR + [m[:80] for m in main]


def table_pdf(path: Path) -> list[str]:
    """Experience as a bordered table (Period | Role | Employer) after a heading."""
    pdf = _pdf()
    _line(pdf, NAME, size=16)
    _line(pdf, HEADLINE)
    _line(pdf, "Experience")
    lines = [NAME, HEADLINE, "Experience", "Period Role Employer"]
    with pdf.table(col_widths=(40, 70, 70), headings_style=FontFace()) as table:
        table.row(("Period", "Role", "Employer"))
        for period, title, org in JOBS:
            table.row((period, title, org))
            lines.append(f"{period} {title} {org}")
    _line(pdf, "Skills")
    _line(pdf, "Kotlin, PostgreSQL, Kafka, Terraform")
    lines += ["Skills", "Kotlin, PostgreSQL, Kafka, Terraform"]
    pdf.output(str(path))
    return lines


def dense_pdf(path: Path) -> list[str]:
    """Small type, wrapped bullet paragraphs, three pages."""
    pdf = _pdf(header=NAME)
    lines = [NAME, HEADLINE, SUMMARY]
    for text in lines:
        _line(pdf, text, size=9, h=4)
    for round_ in range(12):
        for period, title, org in JOBS:
            head = f"{title} ({round_ + 1}), {org} — {period}"
            _line(pdf, head, size=9, h=4)
            lines.append(head)
            body = "• " + "; ".join(BULLETS) + "."
            _line(pdf, body, size=8, h=4)
            lines.append(body)
    pdf.output(str(path))
    return lines


LAYOUTS = {
    "plain": plain_pdf,
    "two_column": two_column_pdf,
    "table": table_pdf,
    "dense": dense_pdf,
}


def resume_docx(path: Path) -> list[str]:
    """Heading, paragraphs, bullets and a table in between; returns the expected lines."""
    from docx import Document

    doc = Document()
    doc.add_heading(NAME, level=1)
    doc.add_paragraph(HEADLINE)
    doc.add_paragraph(SUMMARY)
    doc.add_heading("Experience", level=2)
    table = doc.add_table(rows=0, cols=3)
    lines = [NAME, HEADLINE, SUMMARY, "Experience"]
    for period, title, org in JOBS:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = period, title, org
        lines.append(f"{period} {title} {org}")
    doc.add_heading("Highlights", level=2)
    lines.append("Highlights")
    for b in BULLETS:
        doc.add_paragraph(b, style="List Bullet")
        lines.append(b)
    doc.save(str(path))
    return lines
