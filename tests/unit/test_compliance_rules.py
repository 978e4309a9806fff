"""Pure compliance and fraud rules: thresholds, name screening, farming patterns, month bounds."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import InvalidOperation

import pytest

from app.donations.models.compliance.fraud import (
    VelocityLimits,
    dedupe_key,
    looks_farmed,
    remember_session,
    session_hold_reasons,
)
from app.donations.models.compliance.rules import (
    AML_ROLLING_WINDOW,
    AML_SINGLE_AMOUNT,
    KYC_REQUIRED,
    ComplianceRules,
    evaluate,
    name_matches,
    normalize_name,
)
from app.donations.models.treasury.batch import finished_status, month_bounds, new_items, parse_amount, previous_month
from app.donations.models.treasury.reconciliation import donation_discrepancies, onlus_discrepancies


def failed(checks):
    return {c["rule"] for c in checks if not c["passed"]}


def test_kyc_is_needed_only_above_the_window_threshold():
    rules = ComplianceRules(kyc_required_above_cents=15_000)
    assert failed(evaluate(rules, amount_cents=5_000, window_total_cents=10_000, kyc_status="none")) == set()
    assert failed(evaluate(rules, amount_cents=5_001, window_total_cents=10_000, kyc_status="none")) == {KYC_REQUIRED}
    assert failed(evaluate(rules, amount_cents=5_001, window_total_cents=10_000, kyc_status="approved")) == set()
    assert failed(evaluate(rules, amount_cents=5_001, window_total_cents=10_000, kyc_status="pending")) == {
        KYC_REQUIRED
    }


def test_aml_single_amount_and_window_hold_even_with_kyc():
    rules = ComplianceRules(aml_single_amount_cents=25_000, aml_window_amount_cents=75_000)
    assert failed(evaluate(rules, amount_cents=25_000, window_total_cents=0, kyc_status="approved")) == {
        AML_SINGLE_AMOUNT
    }
    assert failed(evaluate(rules, amount_cents=10_000, window_total_cents=65_001, kyc_status="approved")) == {
        AML_ROLLING_WINDOW
    }


def test_config_overrides_rules():
    rules = ComplianceRules.from_config({"aml_single_amount_cents": 100, "sanctions_list": ["A B"]})
    assert rules.aml_single_amount_cents == 100 and rules.sanctions_list == ("A B",)
    with pytest.raises(TypeError):
        ComplianceRules.from_config({"unknown": 1})


@pytest.mark.parametrize(
    ("candidate", "listed", "hit"),
    [
        ("Mario Rossi", "Rossi Mario", True),
        ("MÁRIO  rossi", "mario rossi", True),
        ("Mario Rossi", "Rossi", True),
        ("Maria Rossi", "Mario Rossi", False),
        ("Rossini Mario", "Rossi Mario", False),
        ("O'Brien Sean", "obrien", True),
        ("", "Mario", False),
        ("Mario", "", False),
    ],
)
def test_sanctions_name_matching(candidate, listed, hit):
    assert name_matches(candidate, listed) is hit


def test_normalize_name():
    assert normalize_name("  José   O'Brien ") == "jose obrien"


def test_farming_needs_many_near_identical_sessions():
    limits = VelocityLimits(farming_min_sessions_day=4, farming_max_spread_seconds=5)
    assert not looks_farmed([600, 601, 603], limits)
    assert looks_farmed([600, 601, 603, 605], limits)
    assert not looks_farmed([600, 601, 603, 606], limits)


def test_session_velocity_counts_the_last_hour_only():
    limits = VelocityLimits(sessions_credited_per_user_hour=3, farming_min_sessions_day=99)
    now = datetime(2026, 5, 10, 12)
    recent = [{"at": now - timedelta(minutes=m), "s": 60 * m} for m in (5, 20, 50, 70, 200)]
    assert session_hold_reasons(recent, now=now, play_seconds=10, limits=limits) == ["SESSION_VELOCITY"]
    assert session_hold_reasons(recent[2:], now=now, play_seconds=10, limits=limits) == []
    kept = remember_session(recent + [{"at": now - timedelta(days=2), "s": 1}], now=now, play_seconds=9)
    assert len(kept) == 6 and kept[-1] == {"at": now, "s": 9}


def test_month_helpers():
    assert month_bounds("2026-02") == (datetime(2026, 2, 1), datetime(2026, 3, 1))
    assert month_bounds("2024-12") == (datetime(2024, 12, 1), datetime(2025, 1, 1))
    assert previous_month(datetime(2026, 1, 15)) == "2025-12"
    assert parse_amount("1.5") == 150 and parse_amount(" 2 ") == 200
    for bad in ("0", "-1", "1.234", "abc", "NaN"):
        with pytest.raises((InvalidOperation, ValueError)):
            parse_amount(bad)


def test_fraud_flags_are_one_per_rule_subject_and_hour():
    at = datetime(2026, 5, 10, 12, 59)
    assert dedupe_key("CARD_TESTING", "ip", "1.2.3.4", at) == dedupe_key(
        "CARD_TESTING", "ip", "1.2.3.4", at - timedelta(minutes=59)
    )
    assert dedupe_key("CARD_TESTING", "ip", "1.2.3.4", at) != dedupe_key(
        "CARD_TESTING", "ip", "1.2.3.4", at + timedelta(minutes=1)
    )


def test_reconciliation_finds_donations_and_allocations_that_disagree_with_the_ledger():
    donations = [
        {"_id": "a", "amount_cents": 100, "status": "completed"},
        {"_id": "b", "amount_cents": 200, "status": "refunded"},
    ]
    entries = {"donation:a": {"amount_cents": -100}, "donation:b": {"amount_cents": -200}}
    found = donation_discrepancies(donations, entries)
    assert [(d["subject"], d["detail"]["ledger_entry"]) for d in found] == [("b", "refund:b")]
    checked, problems = onlus_discrepancies({"o1": 300, "o2": 50}, {"o1": 300}, {"o2": 80})
    assert checked == 2
    assert [(p["kind"], p["subject"]) for p in problems] == [
        ("ONLUS_ALLOCATION_MISMATCH", "o2"),
        ("ONLUS_OVER_DISBURSED", "o2"),
    ]


def test_a_batch_item_for_an_invalid_row_fails_for_good_from_the_start():
    items = new_items(
        "b1", [{"row": 2}, {"row": 3}], invalid={2: "INVALID_ROW: unknown user"}, now=datetime(2026, 1, 1)
    )
    assert [(i["_id"], i["status"], i["retryable"]) for i in items] == [
        ("b1:1", "pending", True),
        ("b1:2", "failed", False),
    ]
    assert finished_status({"failed": 1}) == "completed_with_errors" and finished_status({"done": 2}) == "completed"
