"""Reconciliation rules (pure): which disagreements between the books, and with the payment provider,
are discrepancies, and how each is described."""

from __future__ import annotations

from app.donations.models.payments.intent import paid

WALLET_LEDGER_MISMATCH = "WALLET_LEDGER_MISMATCH"
DONATION_LEDGER_MISMATCH = "DONATION_LEDGER_MISMATCH"
ONLUS_ALLOCATION_MISMATCH = "ONLUS_ALLOCATION_MISMATCH"
ONLUS_OVER_DISBURSED = "ONLUS_OVER_DISBURSED"
PAYOUT_MISMATCH = "PAYOUT_MISMATCH"
DISBURSEMENT_WITHOUT_REFERENCE = "DISBURSEMENT_WITHOUT_REFERENCE"
PAYMENT_PROVIDER_MISMATCH = "PAYMENT_PROVIDER_MISMATCH"
PAYMENT_REFUND_NOT_SENT = "PAYMENT_REFUND_NOT_SENT"
CHECK_FAILED = "CHECK_FAILED"
KINDS = (
    WALLET_LEDGER_MISMATCH,
    DONATION_LEDGER_MISMATCH,
    ONLUS_ALLOCATION_MISMATCH,
    ONLUS_OVER_DISBURSED,
    PAYOUT_MISMATCH,
    DISBURSEMENT_WITHOUT_REFERENCE,
    PAYMENT_PROVIDER_MISMATCH,
    PAYMENT_REFUND_NOT_SENT,
    CHECK_FAILED,
)


def wallet_discrepancies(integrity_report: dict) -> list[dict]:
    """A wallet whose balance or held amount differs from the sum of its ledger entries."""
    return [
        {"kind": WALLET_LEDGER_MISMATCH, "subject": d["user_id"], "detail": d}
        for d in integrity_report["discrepancies"]
    ]


def donation_discrepancies(donations: list[dict], entries: dict[str, dict]) -> list[dict]:
    """A completed donation without its `donated` entry, a refunded one without its `refund` entry, or an
    entry amount that differs from the donation's (`entries` by ledger key)."""
    problems = []
    for d in donations:
        did = str(d["_id"])
        debit = entries.get(f"donation:{did}")
        if debit is None or -debit["amount_cents"] != d["amount_cents"]:
            problems.append(
                {
                    "kind": DONATION_LEDGER_MISMATCH,
                    "subject": did,
                    "detail": {
                        "donation_amount_cents": d["amount_cents"],
                        "status": d["status"],
                        "ledger_entry": f"donation:{did}",
                        "ledger_amount_cents": -debit["amount_cents"] if debit else None,
                    },
                }
            )
        if d["status"] == "refunded":
            credit = entries.get(f"refund:{did}")
            if credit is None or credit["amount_cents"] != d["amount_cents"]:
                problems.append(
                    {
                        "kind": DONATION_LEDGER_MISMATCH,
                        "subject": did,
                        "detail": {
                            "donation_amount_cents": d["amount_cents"],
                            "status": d["status"],
                            "ledger_entry": f"refund:{did}",
                            "ledger_amount_cents": credit["amount_cents"] if credit else None,
                        },
                    }
                )
    return problems


def onlus_discrepancies(
    ledger: dict[str, int], donations: dict[str, int], disbursed: dict[str, int]
) -> tuple[int, list[dict]]:
    """Per ONLUS: the donations' total against the ledger's net, and no more disbursed than allocated.
    Returns (ONLUS checked, discrepancies)."""
    problems = []
    ids = set(ledger) | set(donations)
    for onlus_id in sorted(i for i in ids if i):
        if ledger.get(onlus_id, 0) != donations.get(onlus_id, 0):
            problems.append(
                {
                    "kind": ONLUS_ALLOCATION_MISMATCH,
                    "subject": onlus_id,
                    "detail": {
                        "ledger_net_cents": ledger.get(onlus_id, 0),
                        "donations_cents": donations.get(onlus_id, 0),
                    },
                }
            )
    for onlus_id, cents in disbursed.items():
        if cents > ledger.get(onlus_id, 0):
            problems.append(
                {
                    "kind": ONLUS_OVER_DISBURSED,
                    "subject": onlus_id,
                    "detail": {"disbursed_cents": cents, "allocated_cents": ledger.get(onlus_id, 0)},
                }
            )
    return len(ids), problems


def payout_discrepancies(mismatches: list[tuple[str, str, int, int]], unreferenced: list[str]) -> list[dict]:
    """An ONLUS's month whose net donations differ from its disbursement (disbursed + pending), and a
    disbursement marked paid without the transfer that paid it."""
    return [
        {
            "kind": PAYOUT_MISMATCH,
            "subject": f"{period}:{onlus_id}",
            "detail": {
                "onlus_id": onlus_id,
                "period": period,
                "donated_cents": donated,
                "disbursement_cents": owed,
            },
        }
        for onlus_id, period, donated, owed in mismatches
    ] + [{"kind": DISBURSEMENT_WITHOUT_REFERENCE, "subject": d, "detail": {"disbursement_id": d}} for d in unreferenced]


def provider_unreachable(intent: dict, error: str) -> dict:
    return {
        "kind": PAYMENT_PROVIDER_MISMATCH,
        "subject": str(intent["_id"]),
        "detail": {"error": error, "status": intent["status"]},
    }


def payment_discrepancies(intent: dict, remote, donation: dict | None) -> list[dict]:
    """An intent whose state or amount disagrees with the provider's (`remote`, a ProviderIntent), a paid
    one without its donation, a refunded or rejected card donation whose money did not go back."""
    iid = str(intent["_id"])
    ours = intent["status"]
    paid_here = paid(ours)
    paid_there = remote.status == "succeeded"
    detail = {
        "status": ours,
        "provider_status": remote.status,
        "amount_cents": intent["amount_cents"],
        "provider_amount_cents": remote.amount_cents,
        "provider_intent_id": remote.id,
    }
    problems = []
    if paid_here != paid_there or remote.amount_cents != intent["amount_cents"]:
        problems.append({"kind": PAYMENT_PROVIDER_MISMATCH, "subject": iid, "detail": detail})
    elif paid_here and donation is None:
        problems.append(
            {
                "kind": PAYMENT_PROVIDER_MISMATCH,
                "subject": iid,
                "detail": {**detail, "problem": "no donation for a succeeded payment"},
            }
        )
    refund = intent.get("provider_refund") or {}
    if donation and donation["status"] in ("refunded", "rejected") and refund.get("status") != "succeeded":
        problems.append(
            {
                "kind": PAYMENT_REFUND_NOT_SENT,
                "subject": iid,
                "detail": {**detail, "donation_status": donation["status"], "refund": refund},
            }
        )
    return problems


def check_failed(name: str, error: str) -> dict:
    return {"kind": CHECK_FAILED, "subject": name, "detail": {"error": error[:300]}}
