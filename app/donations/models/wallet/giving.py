"""The wallet's rolling giving summaries (pure), kept by the same update as each posting that moves them.

The compliance rules ask two questions on every donation: how much has this donor given in the AML window
(30 days), and how many donations did they make in the last hour. Instead of scanning the ledger and the
donations each time, the wallet carries:

- `giving_days`: {"YYYY-MM-DD": cents} given per UTC day (donated + held - unheld entries, the AML total's
  definition), for the last GIVING_DAYS_KEPT days;
- `donation_minutes`: {"YYYY-MM-DDTHH:MM": donations} made per minute, for the last MINUTES_KEPT minutes;
- `giving_since`: from when both are complete (FROM_THE_START for a wallet created with them; for an older
  wallet, its first posting that kept them). A question reaching back further is answered from the history.

Both are counted by the whole day or minute a window starts in: a window may count a little more, never less.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.donations.models.wallet.ledger import DONATED, HOLD, UNHOLD

GIVING_DAYS_KEPT = 92
MINUTES_KEPT = 61  # an hour's window starts in the minute an hour ago
GIVING_TYPES = (DONATED, HOLD, UNHOLD)  # the entries the AML total counts
FROM_THE_START = datetime(1970, 1, 1)  # no money moved before a wallet existed


def _day(at: datetime) -> str:
    return at.date().isoformat()


def _minute(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M")


def _covers(wallet: dict | None, since: datetime) -> bool:
    start = (wallet or {}).get("giving_since")
    return start is not None and start <= since


def after_giving(wallet: dict, given_cents: int, *, at: datetime) -> dict:
    """The wallet fields to set after an entry giving `given_cents` (negative: given back) at `at`."""
    cutoff = _day(at - timedelta(days=GIVING_DAYS_KEPT))
    days = {d: c for d, c in (wallet.get("giving_days") or {}).items() if d > cutoff}
    days[_day(at)] = days.get(_day(at), 0) + given_cents
    return {"giving_days": days, "giving_since": wallet.get("giving_since") or at}


def after_donation(wallet: dict, *, at: datetime) -> dict:
    """The wallet fields to set when the user makes a donation at `at`."""
    cutoff = _minute(at - timedelta(minutes=MINUTES_KEPT))
    minutes = {m: n for m, n in (wallet.get("donation_minutes") or {}).items() if m > cutoff}
    minutes[_minute(at)] = minutes.get(_minute(at), 0) + 1
    return {"donation_minutes": minutes, "giving_since": wallet.get("giving_since") or at}


def given_since(wallet: dict | None, since: datetime, *, now: datetime) -> int | None:
    """Cents given since the UTC day `since` falls in; None when the wallet's summary does not reach back."""
    if not _covers(wallet, since) or (now - since) > timedelta(days=GIVING_DAYS_KEPT - 1):
        return None
    first = _day(since)
    return sum(c for d, c in (wallet.get("giving_days") or {}).items() if d >= first)


def donations_since(wallet: dict | None, since: datetime, *, now: datetime) -> int | None:
    """Donations made since the minute `since` falls in; None when the wallet's summary does not reach back."""
    if not _covers(wallet, since) or (now - since) > timedelta(minutes=MINUTES_KEPT - 1):
        return None
    first = _minute(since)
    return sum(n for m, n in (wallet.get("donation_minutes") or {}).items() if m >= first)
