"""Batch rules (pure): batch types, item states, months as periods, CSV amounts.

An item moves pending -> processing -> done | failed; a failure is retryable (an unexpected error, up to
the runner's attempts) or final (a business refusal, or an invalid row).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from app.core.clock import month_span

DISBURSEMENT, IMPORT = "monthly_disbursement", "donation_import"
PENDING, RUNNING = "pending", "running"  # a batch still to run (RUNNING: a runner holds or held its lease)
COMPLETED, COMPLETED_WITH_ERRORS = "completed", "completed_with_errors"
STATUSES = (PENDING, RUNNING, COMPLETED, COMPLETED_WITH_ERRORS)
ITEM_STATES = ("pending", "processing", "done", "failed")
MAX_IMPORT_ROWS = 5000


def month_bounds(period: str) -> tuple[datetime, datetime]:
    year, month = (int(p) for p in period.split("-"))
    return month_span(year, month)


def previous_month(now: datetime) -> str:
    first = now.replace(day=1)
    last = first - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def parse_amount(text: str) -> int:
    """Euros (> 0, at most 2 decimals) as integer cents; InvalidOperation otherwise."""
    amount = Decimal(text.strip())
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) or amount <= 0:
        raise InvalidOperation
    return int(amount * 100)


def new_items(batch_id, payloads: list[dict], *, invalid: dict[int, str], now: datetime) -> list[dict]:
    """One item per payload (seq from 1); an invalid row is a final failure from the start."""
    items = []
    for seq, payload in enumerate(payloads, start=1):
        error = invalid.get(seq)
        items.append(
            {
                "_id": f"{batch_id}:{seq}",
                "batch_id": batch_id,
                "seq": seq,
                "payload": payload,
                "status": "failed" if error else "pending",
                "attempts": 0,
                "retryable": not error,
                "error": error,
                "result": None,
                "updated_at": now,
            }
        )
    return items


def finished_status(counts: dict) -> str:
    """The status of a batch with no item left to do."""
    return COMPLETED_WITH_ERRORS if counts.get("failed") else COMPLETED
