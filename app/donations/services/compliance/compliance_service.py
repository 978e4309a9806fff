"""Whether a donation may proceed, and whether it must wait for an admin.

`check()` first applies the amount limits, the operator's runtime settings (a breach is a refusal: 422,
nothing changes), then the screening
rules in order: AML/KYC thresholds (AmlScreening), sanctions (SanctionsService), fraud velocity
(FraudService). Those do not refuse: the decision says `hold`, and the donation is held for review. Every
decision can be recorded in `compliance_checks` with the result of each rule (the compliance report's source).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.core.clock import utcnow
from app.core.contracts import RuntimeConfig
from app.core.errors import AppError, ValidationFailed
from app.core.money import cents_to_euros
from app.donations.repositories.compliance.checks import ComplianceCheckRepository
from app.donations.services.compliance.kyc_service import KycService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComplianceRequest:
    user_id: str
    onlus: dict
    amount_cents: int
    donated_today_cents: int
    source: str = "wallet"
    client_ip: str | None = None
    donor_name: str | None = None  # screened against sanctions; looked up when not given
    wallet: dict | None = None  # as read with the donation: its giving summaries spare the history scans


@dataclass(frozen=True)
class ComplianceDecision:
    allowed: bool
    code: str = "APPROVED"
    status_code: int = 200
    errors: dict = field(default_factory=dict)
    rule: str | None = None
    hold: bool = False  # allowed, but held for an admin's review
    reasons: tuple = ()  # hold reasons (rule names)
    checks: tuple = ()  # every rule evaluated: {rule, passed, detail}

    def error(self) -> AppError:
        if self.status_code == 422:
            return ValidationFailed(self.code, errors=self.errors or None)
        return AppError(self.code, errors=self.errors or None, status_code=self.status_code)

    @property
    def outcome(self) -> str:
        return "refused" if not self.allowed else ("held" if self.hold else "approved")


def hold_decision(rule: str, detail: dict) -> ComplianceDecision:
    """What a screening rule returns to hold a donation."""
    return ComplianceDecision(
        True,
        "DONATION_HELD_FOR_REVIEW",
        202,
        rule=rule,
        hold=True,
        reasons=(rule,),
        checks=({"rule": rule, "passed": False, "detail": detail},),
    )


def passed_checks(checks: list[dict]) -> ComplianceDecision:
    """What a screening rule returns with the results of its checks (failed ones hold the donation)."""
    return ComplianceDecision(True, checks=tuple(checks))


# a screening rule: request -> decision (a refusal stops the check; failed checks hold the donation) or None
Rule = Callable[[ComplianceRequest], "ComplianceDecision | None"]


class ComplianceService:
    def __init__(
        self,
        *,
        rules: list[Rule],
        checks: ComplianceCheckRepository,
        kyc: KycService,
        runtime: RuntimeConfig,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.rules = list(rules)
        self.checks = checks
        self.kyc = kyc
        self.runtime = runtime
        self.clock = clock

    def limits(self) -> dict[str, int]:
        """{min_cents, max_cents, max_per_day_cents} as the operator has set them now."""
        return self.runtime.donation_limits()

    def require_donations_enabled(self) -> None:
        """503 DONATIONS_DISABLED while the operator has paused donations (before anything is read or held)."""
        self.runtime.require_donations_enabled()

    # -- the decision -------------------------------------------------------------
    def check(self, request: ComplianceRequest) -> ComplianceDecision:
        amount = request.amount_cents
        limits = self.limits()
        if amount < limits["min_cents"]:
            return ComplianceDecision(
                False,
                "DONATION_BELOW_MINIMUM",
                422,
                {"amount": [f"The minimum donation is EUR {cents_to_euros(limits['min_cents']):.2f}."]},
                "min_amount",
            )
        if amount > limits["max_cents"]:
            return ComplianceDecision(
                False,
                "DONATION_ABOVE_MAXIMUM",
                422,
                {"amount": [f"The maximum donation is EUR {cents_to_euros(limits['max_cents']):.2f}."]},
                "max_amount",
            )
        if request.donated_today_cents + amount > limits["max_per_day_cents"]:
            left = max(0, limits["max_per_day_cents"] - request.donated_today_cents)
            return ComplianceDecision(
                False,
                "DAILY_DONATION_LIMIT_EXCEEDED",
                422,
                {"amount": [f"Daily donation limit reached; EUR {cents_to_euros(left):.2f} left today."]},
                "daily_limit",
            )
        checks: list[dict] = []
        for rule in self.rules:
            decision = rule(request)
            if decision is None:
                continue
            if not decision.allowed:
                return decision
            checks.extend(decision.checks)
        reasons = tuple(c["rule"] for c in checks if not c["passed"])
        if reasons:
            return ComplianceDecision(
                True, "DONATION_HELD_FOR_REVIEW", 202, rule=reasons[0], hold=True, reasons=reasons, checks=tuple(checks)
            )
        return ComplianceDecision(True, checks=tuple(checks))

    def record(
        self, request: ComplianceRequest, decision: ComplianceDecision, *, subject_type: str, subject_id: str | None
    ) -> None:
        """Keep the decision and each rule's result (an audit trail, and the compliance reports' source)."""
        try:
            self.checks.insert(
                {
                    "user_id": request.user_id,
                    "onlus_id": str(request.onlus.get("_id") or request.onlus.get("id")),
                    "amount_cents": request.amount_cents,
                    "source": request.source,
                    "client_ip": request.client_ip,
                    "outcome": decision.outcome,
                    "code": decision.code,
                    "reasons": list(decision.reasons),
                    "checks": list(decision.checks),
                    "subject": {"type": subject_type, "id": subject_id},
                    "created_at": self.clock(),
                }
            )
        except Exception:  # the audit write must not undo a committed donation
            log.exception("could not record a compliance check for %s", request.user_id)

    # -- reads and reports ------------------------------------------------------------
    def checks_page(self, **filters) -> tuple[list, int]:
        return self.checks.page(**filters)

    def report(self, start: datetime, end: datetime, *, held_donations: list[dict], flags: list[dict]) -> dict:
        """Compliance report for [start, end): checks by outcome and rule, held-donation decisions, KYC, flags."""
        rows = self.checks.between(start, end)
        by_outcome: dict[str, int] = {"approved": 0, "held": 0, "refused": 0}
        by_rule: dict[str, int] = {}
        held_cents = 0
        for row in rows:
            by_outcome[row["outcome"]] = by_outcome.get(row["outcome"], 0) + 1
            for reason in row.get("reasons") or []:
                by_rule[reason] = by_rule.get(reason, 0) + 1
            if row["outcome"] == "held":
                held_cents += row["amount_cents"]
        decisions = {"approved": 0, "rejected": 0, "pending": 0}
        for d in held_donations:
            review = d.get("review") or {}
            decisions[review.get("decision") or "pending"] = decisions.get(review.get("decision") or "pending", 0) + 1
        flag_kinds: dict[str, int] = {}
        for f in flags:
            flag_kinds[f["kind"]] = flag_kinds.get(f["kind"], 0) + 1
        return {
            "from": start,
            "to": end,
            "checks_total": len(rows),
            "by_outcome": by_outcome,
            "by_rule": by_rule,
            "held_amount_cents": held_cents,
            "held_decisions": decisions,
            "kyc": self.kyc.reviews_between(start, end),
            "fraud_flags": {"total": len(flags), "by_kind": flag_kinds},
            "generated_at": self.clock(),
        }
