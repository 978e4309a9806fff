"""PDF rendering of receipts and annual statements (fpdf2; core fonts, so text is latin-1)."""

from __future__ import annotations

from fpdf import FPDF

from app.core.money import euros_text


def _txt(value) -> str:
    return str(value if value is not None else "-").encode("latin-1", "replace").decode("latin-1")


def _doc(title: str, *, compress: bool) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_title(title)
    pdf.set_author("GoodPlay")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "GoodPlay", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, _txt(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    return pdf


def _row(pdf: FPDF, label: str, value) -> None:
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(55, 7, _txt(label))
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 7, _txt(value), new_x="LMARGIN", new_y="NEXT")


TITLES = {"tax_receipt": "Donation receipt", "acknowledgement": "Donation acknowledgement (not a tax receipt)"}


def _banner(pdf: FPDF, text: str) -> None:
    pdf.set_font("Helvetica", "B", 14)
    pdf.set_text_color(200, 0, 0)
    pdf.multi_cell(0, 9, _txt(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "", 11)


def render_receipt(receipt: dict, *, compress: bool = True) -> bytes:
    # receipts drafted before kinds existed were all made out as tax receipts
    pdf = _doc(TITLES.get(receipt.get("kind"), TITLES["tax_receipt"]), compress=compress)
    onlus, donor = receipt.get("onlus") or {}, receipt.get("donor") or {}
    if receipt.get("test_mode"):
        _banner(pdf, "TEST MODE - simulated payment, no money moved")
    if receipt.get("void"):
        _banner(pdf, "VOID - this donation was refunded")
    _row(pdf, "Receipt number", receipt["receipt_number"])
    _row(pdf, "Date", receipt["issued_at"].strftime("%Y-%m-%d %H:%M UTC"))
    _row(pdf, "Donor", donor.get("name") or donor.get("id"))
    if donor.get("tax_code"):
        _row(pdf, "Donor tax code", donor["tax_code"])
    _row(pdf, "Recipient", onlus.get("name"))
    _row(pdf, "Recipient tax code", onlus.get("tax_code"))
    if onlus.get("address"):
        _row(pdf, "Recipient address", onlus["address"])
    _row(pdf, "Amount", euros_text(receipt["amount_cents"]))
    _row(pdf, "Payment method", receipt.get("payment_method_label") or receipt.get("payment_method"))
    _row(pdf, "Donation id", receipt["donation_id"])
    if receipt.get("donation_status") == "refunded":
        _row(pdf, "Status", "REFUNDED - this donation was returned and is not deductible")
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 5, _txt(receipt.get("tax_note")), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_statement(statement: dict, *, compress: bool = True) -> bytes:
    start, end = statement["from"].date().isoformat(), statement["to_inclusive"].isoformat()
    pdf = _doc(f"Donation statement {start} - {end}", compress=compress)
    donor = statement.get("donor") or {}
    _row(pdf, "Donor", donor.get("name") or donor.get("id"))
    _row(pdf, "Period", f"{start} to {end}")
    _row(pdf, "Total donated", euros_text(statement["total_cents"]))
    _row(pdf, "Deductible (paid by card)", euros_text(statement.get("deductible_cents", 0)))
    _row(pdf, "Donations", statement["donation_count"])
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    for label, width in (("Date", 28), ("Receipt", 38), ("Organisation", 70), ("Tax code", 30)):
        pdf.cell(width, 7, label, border=1)
    pdf.cell(0, 7, "Amount", border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for line in statement["donations"]:
        pdf.cell(28, 6, line["completed_at"].strftime("%Y-%m-%d"), border=1)
        pdf.cell(38, 6, _txt(line.get("receipt_number")), border=1)
        pdf.cell(70, 6, _txt(line["onlus_name"])[:40], border=1)
        pdf.cell(30, 6, _txt(line.get("tax_code")), border=1)
        pdf.cell(0, 6, euros_text(line["amount_cents"]), border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 5, _txt(statement.get("tax_note")), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
