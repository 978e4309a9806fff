"""The wallet's rolling giving summaries: what they keep, and when they cannot answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.donations.models.wallet.giving import (
    FROM_THE_START,
    after_donation,
    after_giving,
    donations_since,
    given_since,
)

NOW = datetime(2026, 3, 18, 12, 30, 15)


def test_giving_is_kept_by_day_and_old_days_are_dropped():
    wallet = {"giving_since": FROM_THE_START, "giving_days": {"2025-11-01": 900, "2026-03-01": 500}}
    fields = after_giving(wallet, 250, at=NOW)
    assert fields == {"giving_since": FROM_THE_START, "giving_days": {"2026-03-01": 500, "2026-03-18": 250}}
    back = after_giving({**wallet, **fields}, -250, at=NOW)  # a held donation rejected the same day
    assert back["giving_days"]["2026-03-18"] == 0


def test_the_window_counts_from_the_day_it_starts_in():
    wallet = {"giving_since": FROM_THE_START, "giving_days": {"2026-02-16": 100, "2026-02-17": 40, "2026-03-18": 5}}
    assert given_since(wallet, NOW - timedelta(days=30), now=NOW) == 145  # from 2026-02-16 12:30: the whole day
    assert given_since(wallet, datetime(2026, 2, 16, 23, 59), now=NOW) == 145
    assert given_since(wallet, datetime(2026, 2, 17), now=NOW) == 45


def test_a_summary_that_does_not_reach_back_cannot_answer():
    legacy = {"giving_since": NOW - timedelta(days=3), "giving_days": {"2026-03-18": 5}}
    assert given_since(legacy, NOW - timedelta(days=30), now=NOW) is None
    assert given_since(legacy, NOW - timedelta(days=2), now=NOW) == 5
    assert given_since({}, NOW - timedelta(days=1), now=NOW) is None
    assert given_since(None, NOW - timedelta(days=1), now=NOW) is None
    complete = {"giving_since": FROM_THE_START, "giving_days": {}}
    assert given_since(complete, NOW - timedelta(days=400), now=NOW) is None  # longer than the days kept
    assert donations_since(complete, NOW - timedelta(hours=2), now=NOW) is None


def test_donations_are_counted_by_minute_over_the_last_hour():
    wallet: dict = {"giving_since": FROM_THE_START}
    for minutes_ago in (75, 61, 59, 1, 0, 0):
        wallet.update(after_donation(wallet, at=NOW - timedelta(minutes=minutes_ago)))
    assert "2026-03-18T11:15" not in wallet["donation_minutes"]  # older than the minutes kept
    assert donations_since(wallet, NOW - timedelta(hours=1), now=NOW) == 4  # 11:31, 12:29, 12:30 twice
    assert donations_since(wallet, NOW - timedelta(minutes=5), now=NOW) == 3
