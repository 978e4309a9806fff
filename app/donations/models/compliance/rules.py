"""Compliance rules (pure): AML thresholds, the KYC requirement, sanctions name matching.

A donation that trips a rule here is not refused: it is HELD for an admin's review (the money leaves
the spendable balance and waits in `held`), because a false positive must cost the donor a delay,
not their donation. Refusals stay with the amount limits (models/compliance/decision.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

KYC_NONE, KYC_PENDING, KYC_APPROVED, KYC_REJECTED = "none", "pending", "approved", "rejected"
KYC_STATUSES = (KYC_NONE, KYC_PENDING, KYC_APPROVED, KYC_REJECTED)
KYC_NOT_CHECKED = "not_checked"  # recorded in a check's detail when the amount stayed under the KYC threshold

# hold reasons
KYC_REQUIRED = "KYC_REQUIRED"
AML_SINGLE_AMOUNT = "AML_SINGLE_AMOUNT"
AML_ROLLING_WINDOW = "AML_ROLLING_WINDOW"
SANCTIONS_MATCH = "SANCTIONS_MATCH"


@dataclass(frozen=True)
class ComplianceRules:
    """Thresholds (integer cents). Config key DONATION_COMPLIANCE (a dict) overrides any of them."""

    kyc_required_above_cents: int = 15_000  # rolling-window total (this donation included) above which KYC is needed
    aml_single_amount_cents: int = 25_000  # one donation at/above this is reviewed by an admin
    aml_window_days: int = 30  # the rolling window of both the KYC and the AML totals
    aml_window_amount_cents: int = 75_000  # window total (this donation included) above this is reviewed
    sanctions_list: tuple = ()  # names screened (donor and ONLUS), besides admin-added entries

    @classmethod
    def from_config(cls, value: dict | None) -> ComplianceRules:
        value = dict(value or {})
        if "sanctions_list" in value:
            value["sanctions_list"] = tuple(value["sanctions_list"] or ())
        return cls(**value)


def evaluate(rules: ComplianceRules, *, amount_cents: int, window_total_cents: int, kyc_status: str) -> list[dict]:
    """The AML/KYC checks of one donation: [{rule, passed, detail}] (window total excludes this donation)."""
    total = window_total_cents + amount_cents
    kyc_ok = kyc_status == KYC_APPROVED
    return [
        {
            "rule": KYC_REQUIRED,
            "passed": kyc_ok or total <= rules.kyc_required_above_cents,
            "detail": {
                "kyc_status": kyc_status,
                "window_total_cents": total,
                "threshold_cents": rules.kyc_required_above_cents,
                "window_days": rules.aml_window_days,
            },
        },
        {
            "rule": AML_SINGLE_AMOUNT,
            "passed": amount_cents < rules.aml_single_amount_cents,
            "detail": {"amount_cents": amount_cents, "threshold_cents": rules.aml_single_amount_cents},
        },
        {
            "rule": AML_ROLLING_WINDOW,
            "passed": total <= rules.aml_window_amount_cents,
            "detail": {
                "window_total_cents": total,
                "threshold_cents": rules.aml_window_amount_cents,
                "window_days": rules.aml_window_days,
            },
        },
    ]


def normalize_name(name: str | None) -> str:
    """Case, accents, punctuation and spacing do not matter: 'José  O'Brien' == 'jose obrien'."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[^\w\s]", "", text)
    return " ".join(text.split())


def name_matches(candidate: str | None, listed: str) -> bool:
    """A screened name matches a listed one when the same words appear, in any order
    ('Rossi Mario' matches 'Mario Rossi'); a listed single word must match a whole word."""
    words = set(normalize_name(candidate).split())
    target = set(normalize_name(listed).split())
    return bool(target) and target <= words
