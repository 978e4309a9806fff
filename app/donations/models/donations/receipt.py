"""Receipt rules (pure): gap-free yearly numbers, the receipt a completed donation drafts, the tax note."""

from __future__ import annotations

from datetime import datetime

from app.donations.models.donations.donation import COMPLETED

TAX_NOTE = (
    "Donations to ONLUS / ETS organisations are deductible or detractable under Italian law "
    "(art. 83 D.Lgs. 117/2017, art. 15 TUIR) within the limits in force. Keep this receipt "
    "with your tax return."
)


def receipt_number(year: int, seq: int) -> str:
    return f"GP-{year}-{seq:06d}"


def donor(user_id: str, user: dict) -> dict:
    """The donor as a receipt names them."""
    return {
        "id": user_id,
        "name": f"{user.get('first_name', '')} {user.get('last_name', '')}".strip(),
        "email": user.get("email"),
    }


def completion(donation: dict, onlus: dict, donor: dict, at: datetime) -> dict:
    """The fields of a donation completing now, its receipt drafted (numbered right after the commit)."""
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
            "payment_method": donation["source"],
            "onlus": {
                "id": donation["onlus_id"],
                "name": onlus["name"],
                "tax_code": onlus["tax_code"],
                "category": onlus["category"],
                "address": onlus.get("address"),
            },
            "tax_note": TAX_NOTE,
        },
    }
