"""Donation statements (pure): a donor's completed donations of a period, grouped by ONLUS."""

from __future__ import annotations

from datetime import date, datetime

from app.donations.models.donations.donation import COMPLETED
from app.donations.models.donations.receipt import TAX_RECEIPT, kind_of

STATEMENT_NOTE = (
    "Only donations paid by card (kind tax_receipt) are deductible or detractable under Italian law "
    "(art. 83 D.Lgs. 117/2017, art. 15 TUIR) within the limits in force; donations of credits earned by "
    "playing (kind acknowledgement) are not. Keep this statement with your tax return."
)


def statement(
    *,
    user_id: str,
    donor: dict,
    donations: list[dict],
    receipts: list[dict],
    start: datetime,
    end: datetime,
    to_inclusive: date,
    generated_at: datetime,
) -> dict:
    """Completed (not refunded) donations completed in [start, end), with their receipts' tax codes."""
    rows = [d for d in donations if d["status"] == COMPLETED]
    by_donation = {r["donation_id"]: r for r in receipts}

    def tax_code(d: dict) -> str | None:
        return (by_donation.get(str(d["_id"]), {}).get("onlus") or {}).get("tax_code")

    by_onlus: dict[str, dict] = {}
    for d in rows:
        group = by_onlus.setdefault(
            d["onlus_id"],
            {
                "onlus_id": d["onlus_id"],
                "onlus_name": d["onlus_name"],
                "tax_code": tax_code(d),
                "amount_cents": 0,
                "count": 0,
            },
        )
        group["amount_cents"] += d["amount_cents"]
        group["count"] += 1
    return {
        "user_id": user_id,
        "donor": donor,
        "from": start,
        "to": end,
        "to_inclusive": to_inclusive,
        "total_cents": sum(d["amount_cents"] for d in rows),
        "deductible_cents": sum(d["amount_cents"] for d in rows if kind_of(d.get("source")) == TAX_RECEIPT),
        "donation_count": len(rows),
        "by_onlus": sorted(by_onlus.values(), key=lambda g: -g["amount_cents"]),
        "donations": [
            {
                "id": str(d["_id"]),
                "receipt_number": d.get("receipt_number"),
                "onlus_id": d["onlus_id"],
                "onlus_name": d["onlus_name"],
                "tax_code": tax_code(d),
                "amount_cents": d["amount_cents"],
                "completed_at": d["completed_at"],
                "kind": kind_of(d.get("source")),
            }
            for d in rows
        ],
        "tax_note": STATEMENT_NOTE,
        "generated_at": generated_at,
    }
