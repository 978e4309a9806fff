"""Pure rules of the donations module: conversion, caps and holds, tax codes, splits, compliance limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.donations.models.donations.donation import COMPLETED, REJECTED, auto_donation_amounts, settled_by_review
from app.donations.models.donations.onlus import is_valid_tax_code, tax_code_check_digit
from app.donations.models.donations.receipt import receipt_number
from app.donations.models.donations.summary import user_summary
from app.donations.models.payments.intent import CANCELED, MOVES_FROM, OPEN, REFUNDED, SUCCEEDED
from app.donations.models.wallet.conversion import DEFAULT_RATES, FraudLimits, Rates, SessionFacts, session_credit
from app.donations.models.wallet.ledger import DONATED, EARNED, REFUND, Posting
from app.donations.services.compliance.compliance_service import (
    ComplianceDecision,
    ComplianceRequest,
    ComplianceService,
)

RATES = Rates.from_doc({**DEFAULT_RATES, "version": 1})


def credit(minutes=10, category="action", earned_today=0, **facts):
    return session_credit(
        SessionFacts(play_seconds=int(minutes * 60), category=category, **facts), RATES, earned_today_cents=earned_today
    )


def test_ten_minutes_at_base_rate_is_ten_cents():
    c = credit(10)
    assert (c.status, c.credited_cents, c.held_cents) == ("credited", 10, 0)
    assert c.breakdown["rate_source"] == "base" and c.breakdown["multipliers"] == {}


def test_category_rate_and_rounding_down():
    c = credit(7, category="educational")  # 7 x 0.015 = 0.105 -> 10 cents
    assert c.credited_cents == 10 and c.breakdown["rate_source"] == "category:educational"
    assert credit(0.99).credited_cents == 0  # 59 seconds: under a cent


def test_multipliers_multiply_and_are_listed():
    c = credit(20, in_tournament=True, streak_days=3, is_weekend=True, mode_multiplier=1.25)
    # 20 x 0.01 x 1.5 x 1.1 x 1.2 x 1.25 = 0.495
    assert c.credited_cents == 49
    assert c.breakdown["multipliers"] == {"tournament": 1.5, "streak": 1.1, "weekend": 1.2, "mode": 1.25}


def test_streak_below_minimum_days_does_not_count():
    assert "streak" not in credit(10, streak_days=2).breakdown["multipliers"]


def test_total_multiplier_is_bounded():
    c = credit(10, mode_multiplier=50)
    assert c.credited_cents == 30 and "MULTIPLIER_LIMIT" in c.breakdown["reasons"] and c.status == "capped"


def test_long_session_counts_only_the_per_session_limit():
    c = credit(200)
    assert c.credited_cents == 120 and c.status == "capped" and "SESSION_MINUTES_LIMIT" in c.breakdown["reasons"]


def test_daily_cap_reduces_and_then_stops():
    assert credit(10, earned_today=295).credited_cents == 5
    c = credit(10, earned_today=300)
    assert (c.status, c.credited_cents) == ("capped", 0) and c.breakdown["reasons"] == ["DAILY_CAP"]


@pytest.mark.parametrize(
    "facts, reason",
    [
        ({"minutes": 400}, "IMPLAUSIBLE_PLAY_TIME"),
        ({"universal_score": 1001}, "IMPLAUSIBLE_SCORE"),
        ({"raw_score": -5}, "IMPLAUSIBLE_SCORE"),
        ({"sessions_last_hour": FraudLimits().max_sessions_per_hour + 1}, "TOO_MANY_SESSIONS"),
    ],
)
def test_fraud_signals_hold_the_whole_credit(facts, reason):
    c = credit(**facts)
    assert c.status == "held" and c.credited_cents == 0 and c.held_cents > 0 and reason in c.breakdown["reasons"]


def test_tax_codes():
    assert tax_code_check_digit("9712034015") == 9
    assert is_valid_tax_code("97120340159") and is_valid_tax_code(" 9712 0340 159 ")
    assert not is_valid_tax_code("97120340158") and not is_valid_tax_code("1234")
    assert is_valid_tax_code("RSSMRA85T10A562S")


def test_auto_donation_split_rounds_down_and_gives_remainder_to_first():
    allocations = [{"onlus_id": "a", "share": 34}, {"onlus_id": "b", "share": 33}, {"onlus_id": "c", "share": 33}]
    assert auto_donation_amounts(1001, 100, allocations) == [("a", 341), ("b", 330), ("c", 330)]
    assert auto_donation_amounts(1000, 10, allocations) == []  # parts under EUR 0.50 are dropped
    assert auto_donation_amounts(0, 100, allocations) == []


def test_receipt_numbers_are_yearly_and_zero_padded():
    assert receipt_number(2026, 42) == "GP-2026-000042"


def test_posting_moves_the_right_totals():
    assert Posting("u", "k", EARNED, 10, {}).wallet_inc() == {"balance_cents": 10, "total_earned_cents": 10}
    assert Posting("u", "k", DONATED, -10, {}).wallet_inc() == {"balance_cents": -10, "total_donated_cents": 10}
    assert Posting("u", "k", REFUND, 10, {}).wallet_inc() == {"balance_cents": 10, "total_donated_cents": -10}


def test_compliance_limits_and_extra_rules():
    class Limits:
        def donation_limits(self):
            return {"min_cents": 50, "max_cents": 1000, "max_per_day_cents": 1500}

    svc = ComplianceService(runtime=Limits(), rules=[], checks=None, kyc=None)
    req = lambda amount, today=0: ComplianceRequest("u", {}, amount, today)  # noqa: E731
    assert svc.check(req(50)).allowed
    assert svc.check(req(49)).code == "DONATION_BELOW_MINIMUM"
    assert svc.check(req(1001)).code == "DONATION_ABOVE_MAXIMUM"
    assert svc.check(req(600, today=1000)).code == "DAILY_DONATION_LIMIT_EXCEEDED"
    svc.rules.append(lambda r: ComplianceDecision(False, "SANCTIONS_MATCH", 403) if r.user_id == "u" else None)
    refused = svc.check(req(100))
    assert not refused.allowed and refused.error().status_code == 403


def test_rates_from_doc_are_exact_decimals():
    assert RATES.base_rate_per_minute == Decimal("0.01") and RATES.daily_cap_cents == 300


def test_payment_intents_only_move_forward():
    assert SUCCEEDED not in MOVES_FROM[CANCELED] and CANCELED not in MOVES_FROM[SUCCEEDED]
    assert MOVES_FROM[REFUNDED] == (SUCCEEDED,) and SUCCEEDED not in OPEN
    assert all(REFUNDED not in sources for sources in MOVES_FROM.values())


def test_summaries_are_net_of_refunds():
    meta = {"onlus_id": "o1", "onlus_category": "health"}
    entries = [
        {"user_id": "u", "type": DONATED, "amount_cents": -300, "meta": meta, "created_at": 1},
        {"user_id": "u", "type": DONATED, "amount_cents": -200, "meta": meta, "created_at": 2},
        {"user_id": "u", "type": REFUND, "amount_cents": 200, "meta": meta, "created_at": 3},
    ]
    mine = user_summary(entries)
    assert (mine["total_donated_cents"], mine["donation_count"], mine["onlus_ids"]) == (300, 1, ["o1"])


def test_a_held_donation_counts_as_settled_only_by_the_same_decision():
    approved = {"status": COMPLETED, "review": {"decision": "approved"}}
    assert settled_by_review(approved, COMPLETED) and not settled_by_review(approved, REJECTED)
    assert not settled_by_review({"status": COMPLETED}, COMPLETED)  # completed without a review: never held
