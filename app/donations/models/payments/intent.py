"""Card payment rules (pure): the states of a payment intent and the moves allowed between them.

    requires_payment_method -> processing -> succeeded -> refunded
              |  \\-> failed (a declined attempt; may still succeed later) /
              \\-> canceled

States only move forward: a late, repeated or out-of-order report can never undo a completed payment.
"""

from __future__ import annotations

CREATED, REQUIRES_PM, PROCESSING = "created", "requires_payment_method", "processing"
SUCCEEDED, FAILED, CANCELED, REFUNDED = "succeeded", "failed", "canceled", "refunded"
OPEN = (CREATED, REQUIRES_PM, PROCESSING, FAILED)  # may still be paid, declined or cancelled
STATUSES = (CREATED, REQUIRES_PM, PROCESSING, SUCCEEDED, FAILED, CANCELED, REFUNDED)

# the states an intent may move to each state from
MOVES_FROM = {
    REQUIRES_PM: (CREATED,),
    PROCESSING: (CREATED, REQUIRES_PM, FAILED),
    SUCCEEDED: OPEN,
    FAILED: OPEN,
    CANCELED: OPEN,
    REFUNDED: (SUCCEEDED,),
}

HISTORY_KEPT = 50  # the latest state changes and notes kept on an intent


def paid(status: str) -> bool:
    """The money was taken (and possibly given back since)."""
    return status in (SUCCEEDED, REFUNDED)
