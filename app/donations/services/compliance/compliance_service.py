"""Whether a donation may proceed, and whether it must wait for an admin.

`check()` first applies the amount limits of part 1 (a breach is a refusal: 422, nothing changes),
then the part-2 rules: KYC above a threshold, AML single-amount and rolling-window thresholds,
sanctions screening of the donor and the ONLUS, and any extra rules (fraud velocity). Those do not
refuse: the decision says `hold`, and the donation is held for review. Every decision can be
recorded in `compliance_checks` with the result of each rule.

Also owns KYC records (users submit, admins approve/reject) and the sanctions list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.core.cache import CachedValue
from app.core.clock import utcnow
from app.core.errors import AppError, Conflict, NotFound, ValidationFailed
from app.core.money import cents_to_euros
from app.donations.models.compliance.rules import (
    KYC_APPROVED,
    KYC_NONE,
    KYC_NOT_CHECKED,
    KYC_REJECTED,
    SANCTIONS_MATCH,
    ComplianceRules,
    evaluate,
    name_matches,
    normalize_name,
)
from app.donations.models.donations.donation import MIN_DONATION_CENTS

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
    """What an extra rule (e.g. fraud velocity) returns to hold a donation."""
    return ComplianceDecision(
        True,
        "DONATION_HELD_FOR_REVIEW",
        202,
        rule=rule,
        hold=True,
        reasons=(rule,),
        checks=({"rule": rule, "passed": False, "detail": detail},),
    )


SANCTIONS_TTL = 30  # seconds


class ComplianceService:
    def __init__(
        self,
        *,
        min_cents: int = MIN_DONATION_CENTS,
        max_per_donation_cents: int = 50_000,
        max_per_day_cents: int = 100_000,
        rules: list | None = None,
        aml: ComplianceRules | None = None,
        kyc=None,
        checks=None,
        sanctions=None,
        window_total: Callable[[str, datetime], int] | None = None,
        users=None,
        cache=None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.min_cents = min_cents
        self.max_per_donation_cents = max_per_donation_cents
        self.max_per_day_cents = max_per_day_cents
        # extra rules (fraud velocity...): callables request -> ComplianceDecision | None
        self.rules = list(rules or [])
        self.aml = aml  # None: part-1 behaviour (limits only)
        self.kyc = kyc  # KycRepository
        self.checks = checks  # ComplianceCheckRepository
        self.sanctions = sanctions  # SanctionsRepository
        # every donation is screened against the list: kept in the cache, dropped when an admin edits it
        self.listed = CachedValue(
            cache,
            "compliance:sanctions",
            SANCTIONS_TTL,
            lambda: [d["name"] for d in sanctions.all()] if sanctions is not None else [],
        )
        self.window_total = window_total  # (user_id, since) -> cents donated or held since then
        self.users = users  # core users service (donor name for screening)
        self.clock = clock

    # -- the decision -------------------------------------------------------------
    def check(self, request: ComplianceRequest) -> ComplianceDecision:
        amount = request.amount_cents
        if amount < self.min_cents:
            return ComplianceDecision(
                False,
                "DONATION_BELOW_MINIMUM",
                422,
                {"amount": [f"The minimum donation is EUR {cents_to_euros(self.min_cents):.2f}."]},
                "min_amount",
            )
        if amount > self.max_per_donation_cents:
            return ComplianceDecision(
                False,
                "DONATION_ABOVE_MAXIMUM",
                422,
                {"amount": [f"The maximum donation is EUR {cents_to_euros(self.max_per_donation_cents):.2f}."]},
                "max_amount",
            )
        if request.donated_today_cents + amount > self.max_per_day_cents:
            left = max(0, self.max_per_day_cents - request.donated_today_cents)
            return ComplianceDecision(
                False,
                "DAILY_DONATION_LIMIT_EXCEEDED",
                422,
                {"amount": [f"Daily donation limit reached; EUR {cents_to_euros(left):.2f} left today."]},
                "daily_limit",
            )
        checks: list[dict] = []
        if self.aml is not None:
            checks.extend(self._aml_checks(request))
            checks.append(self._sanctions_check(request))
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

    def _aml_checks(self, request: ComplianceRequest) -> list[dict]:
        since = self.clock() - timedelta(days=self.aml.aml_window_days)
        window = self.window_total(request.user_id, since) if self.window_total else 0
        # the KYC status only matters above the threshold: below it, no read
        needs_kyc = window + request.amount_cents > self.aml.kyc_required_above_cents
        return evaluate(
            self.aml,
            amount_cents=request.amount_cents,
            window_total_cents=window,
            kyc_status=self.kyc_status(request.user_id) if needs_kyc else KYC_NOT_CHECKED,
        )

    def _sanctions_check(self, request: ComplianceRequest) -> dict:
        names = {"donor": request.donor_name or self._donor_name(request.user_id), "onlus": request.onlus.get("name")}
        hits = []
        for listed in self.sanctions_names():
            for role, name in names.items():
                if name and name_matches(name, listed):
                    hits.append({"role": role, "name": name, "listed": listed})
        return {"rule": SANCTIONS_MATCH, "passed": not hits, "detail": {"matches": hits}}

    def _donor_name(self, user_id: str) -> str | None:
        if self.users is None:
            return None
        try:
            user = self.users.get(user_id)
        except AppError:
            return None
        return f"{user.get('first_name', '')} {user.get('last_name', '')}".strip() or None

    def record(
        self, request: ComplianceRequest, decision: ComplianceDecision, *, subject_type: str, subject_id: str | None
    ) -> None:
        """Keep the decision and each rule's result (an audit trail, and the compliance reports' source)."""
        if self.checks is None:
            return
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

    # -- KYC -----------------------------------------------------------------------
    def kyc_status(self, user_id: str) -> str:
        if self.kyc is None:
            return KYC_NONE
        doc = self.kyc.get(user_id)
        return doc["status"] if doc else KYC_NONE

    def kyc_record(self, user_id: str) -> dict:
        doc = self.kyc.get(user_id) if self.kyc else None
        return doc or {"user_id": user_id, "status": KYC_NONE}

    def submit_kyc(self, user_id: str, data: dict) -> dict:
        # only what a reviewer needs: the document number is kept as its last 4 characters
        number = data.pop("document_number")
        data["document_number_last4"] = number[-4:]
        doc = self.kyc.submit(user_id, data, now=self.clock())
        if doc is None:
            raise Conflict("KYC_ALREADY_APPROVED")
        return doc

    def review_kyc(self, user_id: str, *, approve: bool, note: str | None, actor_id: str) -> dict:
        status = KYC_APPROVED if approve else KYC_REJECTED
        doc = self.kyc.review(user_id, status=status, note=note, actor_id=actor_id, now=self.clock())
        if doc is None:
            if self.kyc.get(user_id) is None:
                raise NotFound("KYC_NOT_FOUND")
            raise Conflict("KYC_NOT_PENDING")
        return doc

    def kyc_page(self, *, status: str | None, skip: int, limit: int) -> tuple[list, int]:
        return self.kyc.page(status=status, skip=skip, limit=limit)

    # -- sanctions list -------------------------------------------------------------
    def sanctions_names(self) -> list[str]:
        return (list(self.aml.sanctions_list) if self.aml else []) + list(self.listed.get())

    def sanctions_entries(self) -> list[dict]:
        configured = [
            {"id": None, "name": n, "source": "config", "note": None, "created_at": None}
            for n in (self.aml.sanctions_list if self.aml else ())
        ]
        added = [
            {
                "id": str(d["_id"]),
                "name": d["name"],
                "source": "admin",
                "note": d.get("note"),
                "created_at": d["created_at"],
                "added_by": d.get("added_by"),
            }
            for d in self.sanctions.all()
        ]
        return configured + added

    def add_sanction(self, name: str, *, note: str | None, actor_id: str) -> dict:
        normalized = normalize_name(name)
        if not normalized:
            raise ValidationFailed(errors={"name": ["Must contain letters or digits."]})
        doc = self.sanctions.add(name=name.strip(), normalized=normalized, note=note, actor_id=actor_id)
        if doc is None:
            raise Conflict("SANCTIONS_ENTRY_EXISTS")
        self.listed.forget()
        return {
            "id": str(doc["_id"]),
            "name": doc["name"],
            "source": "admin",
            "note": note,
            "created_at": doc["created_at"],
            "added_by": actor_id,
        }

    def remove_sanction(self, entry_id: str) -> None:
        if not self.sanctions.remove(entry_id):
            raise NotFound("SANCTIONS_ENTRY_NOT_FOUND")
        self.listed.forget()

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
        kyc = dict.fromkeys(("pending", "approved", "rejected"), 0)
        for doc in self.kyc.collection.find({"updated_at": {"$gte": start, "$lt": end}}, {"status": 1}):
            kyc[doc["status"]] = kyc.get(doc["status"], 0) + 1
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
            "kyc": kyc,
            "fraud_flags": {"total": len(flags), "by_kind": flag_kinds},
            "generated_at": self.clock(),
        }
