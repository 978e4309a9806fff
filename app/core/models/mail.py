"""The mail outbox's rules, free of I/O.

A message is `pending` until a sender claims it (`sending`, with a lease); then `sent`, or back to `pending`
with a later `next_attempt_at` when the server refused it for now (backoff), or `failed` after the last
attempt or a permanent refusal. A message whose lease ran out while `sending` is never sent again by itself
(the server may have accepted it): it becomes `failed` with reason `interrupted` for an operator to look at.
Without a mail server (development), messages are `kept`: listed for a developer, never sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

PENDING, SENDING, SENT, FAILED, KEPT = "pending", "sending", "sent", "failed", "kept"
STATUSES = (PENDING, SENDING, SENT, FAILED, KEPT)
MAX_ATTEMPTS = 6
BACKOFF = timedelta(seconds=30)  # doubled at each attempt: 30 s, 1 min, 2 min, 4 min, 8 min
LEASE = timedelta(minutes=2)
INTERRUPTED = "interrupted while sending: the server may have accepted it, so it is not sent again"


def new_message(
    *, to: str, subject: str, text: str, html: str, key: str, user_id: str | None, domain: str, now: datetime
) -> dict:
    return {
        "key": key,
        "to": to,
        "user_id": user_id,
        "subject": subject,
        "text": text,
        "html": html,
        # one Message-ID for the message's life: a receiving server can tell a copy of it
        "message_id": f"<{uuid.uuid4().hex}@{domain}>",
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "sent_at": None,
        "last_error": None,
    }


def after_refusal(attempts: int, *, permanent: bool, now: datetime) -> dict:
    """The fields of a message the server refused at attempt number `attempts`."""
    if permanent or attempts >= MAX_ATTEMPTS:
        return {"status": FAILED, "next_attempt_at": None}
    return {"status": PENDING, "next_attempt_at": now + BACKOFF * 2 ** (attempts - 1)}
