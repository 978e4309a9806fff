"""Disbursement rules (pure): the payout lifecycle of what each ONLUS is owed for a month, and its statement.

A monthly disbursement batch schedules one disbursement per ONLUS and month. An operator then records
what the bank (or the payment provider) did with it:

    scheduled -> paid (with a bank reference or a provider transfer id) | failed (with the reason)
    failed    -> paid                                   (the transfer was sent again and went through)
    paid      -> reversed (with the reason)             (the money came back: the ONLUS is owed it again)
    reversed  -> paid                                   (sent again, with a new reference)

Only `paid` money is disbursed; the rest of a month's allocation is pending: scheduled, failed or
reversed disbursements, and donations of months no batch has covered yet (unscheduled).
"""

from __future__ import annotations

from datetime import datetime

SCHEDULED, PAID, FAILED, REVERSED = "scheduled", "paid", "failed", "reversed"
STATUSES = (SCHEDULED, PAID, FAILED, REVERSED)
PENDING_STATUSES = (SCHEDULED, FAILED, REVERSED)

# the states each decision may leave
ALLOWED_FROM = {
    PAID: (SCHEDULED, FAILED, REVERSED),
    FAILED: (SCHEDULED,),
    REVERSED: (PAID,),
}

BANK, PROVIDER = "bank", "provider"
REFERENCE_KINDS = (BANK, PROVIDER)


def disbursement_id(period: str, onlus_id: str) -> str:
    """One disbursement per ONLUS and month: the id is the key that makes scheduling it idempotent."""
    return f"{period}:{onlus_id}"


def new_disbursement(*, period: str, onlus_id: str, onlus_name, amount_cents: int, batch_id: str, now) -> dict:
    return {
        "_id": disbursement_id(period, onlus_id),
        "period": period,
        "onlus_id": onlus_id,
        "onlus_name": onlus_name,
        "amount_cents": amount_cents,
        "batch_id": batch_id,
        "status": SCHEDULED,
        "reference": None,
        "reference_kind": None,
        "paid_at": None,
        "failure_reason": None,
        "reversal_reason": None,
        "history": [{"status": SCHEDULED, "at": now, "actor_id": None}],
        "created_at": now,
        "updated_at": now,
    }


def decision(status: str, *, at: datetime, actor_id: str | None, **fields) -> tuple[dict, dict]:
    """What a decision sets on the disbursement, and the history entry it appends."""
    changes = {"status": status, "updated_at": at, **fields}
    entry = {"status": status, "at": at, "actor_id": actor_id, **{k: v for k, v in fields.items() if v is not None}}
    return changes, entry


def is_replay(current: dict, status: str, *, reference: str | None = None, reason: str | None = None) -> bool:
    """The same decision again (a retried request): answered with the disbursement as it is."""
    if current["status"] != status:
        return False
    if status == PAID:
        return current.get("reference") == reference
    if status == FAILED:
        return current.get("failure_reason") == reason
    return current.get("reversal_reason") == reason


def period_statement(period: str, allocated_cents: int, disbursements: list[dict]) -> dict:
    """One month of an ONLUS's statement: what it was allocated (net donations), what left (paid) and
    what is still owed (scheduled, failed or reversed disbursements, and what no batch covered yet)."""
    disbursed = sum(d["amount_cents"] for d in disbursements if d["status"] == PAID)
    owed = sum(d["amount_cents"] for d in disbursements if d["status"] in PENDING_STATUSES)
    return {
        "period": period,
        "allocated_cents": allocated_cents,
        "disbursed_cents": disbursed,
        "pending_cents": allocated_cents - disbursed,
        "unscheduled_cents": allocated_cents - disbursed - owed,
        "disbursements": disbursements,
    }


def statement_totals(periods: list[dict]) -> dict:
    return {
        key: sum(p[key] for p in periods)
        for key in ("allocated_cents", "disbursed_cents", "pending_cents", "unscheduled_cents")
    }


def payout_mismatches(
    allocated: dict[tuple[str, str], int], scheduled: dict[tuple[str, str], int], covered_periods: set[str]
) -> list[tuple[str, str, int, int]]:
    """(onlus_id, period, allocated, scheduled) for each ONLUS and month a batch covered whose net
    donations are not exactly what its disbursement (paid or pending) says: donations = disbursed + pending."""
    found = []
    for key in sorted(k for k in set(allocated) | set(scheduled) if k[1] in covered_periods and k[0]):
        donated, owed = allocated.get(key, 0), scheduled.get(key)
        if owed is None and donated <= 0:
            continue  # a month whose refunds outweigh its donations schedules nothing
        if donated != (owed or 0):
            found.append((*key, donated, owed or 0))
    return found
