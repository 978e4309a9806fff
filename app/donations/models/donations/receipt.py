"""Receipt rules (pure): gap-free yearly numbers, the receipt a completed donation drafts, and its kind.

A donation the donor paid by card is a tax receipt, with the deductibility note. A donation of credits
earned by playing is an acknowledgement: the donor did not pay those euros, so nothing is deductible.
A card donation through the simulated provider (no money moved) is marked as test mode.
"""

from __future__ import annotations

from datetime import datetime

from app.core.models.mail_text import compose
from app.core.money import euros_text
from app.donations.models.donations.donation import COMPLETED

TAX_NOTE = (
    "Donations to ONLUS / ETS organisations are deductible or detractable under Italian law "
    "(art. 83 D.Lgs. 117/2017, art. 15 TUIR) within the limits in force. Keep this receipt "
    "with your tax return."
)


ACKNOWLEDGEMENT_NOTE = (
    "This donation was made with GoodPlay credits earned by playing: the donor did not pay these euros, "
    "so this acknowledgement is not a tax receipt and the donation is not deductible."
)
TEST_MODE_NOTE = "TEST MODE: paid through the simulated payment provider. No money moved; not a valid receipt."

TAX_RECEIPT, ACKNOWLEDGEMENT = "tax_receipt", "acknowledgement"
PAYMENT_METHODS = {"card": "Card payment", "wallet": "GoodPlay credits", "auto": "GoodPlay credits (auto-donation)"}


def kind_of(source: str | None) -> str:
    return TAX_RECEIPT if source == "card" else ACKNOWLEDGEMENT


def payment_method(source: str | None) -> str:
    return PAYMENT_METHODS.get(source or "", "GoodPlay credits")


def receipt_number(year: int, seq: int) -> str:
    return f"GP-{year}-{seq:06d}"


def donor(user_id: str, user: dict) -> dict:
    """The donor as a receipt names them."""
    return {
        "id": user_id,
        "name": f"{user.get('first_name', '')} {user.get('last_name', '')}".strip(),
        "email": user.get("email"),
        "tax_code": user.get("tax_code"),
    }


def completion(donation: dict, onlus: dict, donor: dict, at: datetime) -> dict:
    """The fields of a donation completing now, its receipt drafted (numbered right after the commit)."""
    kind = kind_of(donation["source"])
    note = TAX_NOTE if kind == TAX_RECEIPT else ACKNOWLEDGEMENT_NOTE
    test_mode = kind == TAX_RECEIPT and donation.get("provider") == "simulated"
    return {
        "status": COMPLETED,
        "completed_at": at,
        "receipt_number": None,
        "receipt_draft": {
            "donation_id": str(donation["_id"]),
            "user_id": donation["user_id"],
            "issued_at": at,
            "amount_cents": donation["amount_cents"],
            "currency": "EUR",
            "donor": donor,
            "kind": kind,
            "payment_method": donation["source"],
            "payment_method_label": payment_method(donation["source"]),
            "test_mode": test_mode,
            "onlus": {
                "id": donation["onlus_id"],
                "name": onlus["name"],
                "tax_code": onlus["tax_code"],
                "category": onlus["category"],
                "address": onlus.get("address"),
            },
            "tax_note": f"{TEST_MODE_NOTE} {note}" if test_mode else note,
        },
    }


def mail(found: dict, *, first_name: str, link: str) -> dict:
    """The email that sends a numbered receipt (or acknowledgement) to its donor."""
    amount = euros_text(found["amount_cents"])
    onlus = found["onlus"]["name"]
    number = found["receipt_number"]
    if found["kind"] == TAX_RECEIPT:
        subject, what = f"Your donation receipt {number}", "receipt"
    else:
        subject, what = f"Your donation acknowledgement {number}", "acknowledgement"
    paragraphs = [
        f"Thank you for donating {amount} to {onlus}.",
        f"Your {what} number is {number}. {found['tax_note']}",
        "Open it, or download it as a PDF, from your donations page.",
    ]
    return compose(subject, f"Hi {first_name}," if first_name else "Hello,", paragraphs, link, f"View {what} {number}")
