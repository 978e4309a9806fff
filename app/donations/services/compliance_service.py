"""Whether a donation may proceed. Part 1 checks the amount limits; part 2 adds AML, KYC and
sanctions rules behind the same `check()` call (and the same refusal path)."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.core.api import cents_to_euros
from app.core.errors import AppError, ValidationFailed
from app.donations.models.donation import MIN_DONATION_CENTS


@dataclass(frozen=True)
class ComplianceRequest:
    user_id: str
    onlus: dict
    amount_cents: int
    donated_today_cents: int
    source: str = "wallet"


@dataclass(frozen=True)
class ComplianceDecision:
    allowed: bool
    code: str = "APPROVED"
    status_code: int = 200
    errors: dict = field(default_factory=dict)
    rule: str | None = None

    def error(self) -> AppError:
        if self.status_code == 422:
            return ValidationFailed(self.code, errors=self.errors or None)
        return AppError(self.code, errors=self.errors or None, status_code=self.status_code)


class ComplianceService:
    def __init__(self, *, min_cents: int = MIN_DONATION_CENTS, max_per_donation_cents: int = 50_000,
                 max_per_day_cents: int = 100_000, rules: list | None = None):
        self.min_cents = min_cents
        self.max_per_donation_cents = max_per_donation_cents
        self.max_per_day_cents = max_per_day_cents
        # extra rules (part 2: AML, KYC, sanctions): callables request -> ComplianceDecision | None
        self.rules = list(rules or [])

    def check(self, request: ComplianceRequest) -> ComplianceDecision:
        amount = request.amount_cents
        if amount < self.min_cents:
            return ComplianceDecision(False, "DONATION_BELOW_MINIMUM", 422, {
                "amount": [f"The minimum donation is EUR {cents_to_euros(self.min_cents):.2f}."]}, "min_amount")
        if amount > self.max_per_donation_cents:
            return ComplianceDecision(False, "DONATION_ABOVE_MAXIMUM", 422, {
                "amount": [f"The maximum donation is EUR {cents_to_euros(self.max_per_donation_cents):.2f}."]},
                "max_amount")
        if request.donated_today_cents + amount > self.max_per_day_cents:
            left = max(0, self.max_per_day_cents - request.donated_today_cents)
            return ComplianceDecision(False, "DAILY_DONATION_LIMIT_EXCEEDED", 422, {
                "amount": [f"Daily donation limit reached; EUR {cents_to_euros(left):.2f} left today."]},
                "daily_limit")
        for rule in self.rules:
            decision = rule(request)
            if decision is not None and not decision.allowed:
                return decision
        return ComplianceDecision(True)
