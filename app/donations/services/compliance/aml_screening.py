"""AML and KYC screening of a donation (a compliance rule): the amount, the donor's rolling-window total
and, above the KYC threshold, whether their identity was verified."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.donations.models.compliance.rules import KYC_NOT_CHECKED, ComplianceRules, evaluate
from app.donations.models.wallet.giving import given_since
from app.donations.repositories.wallet.ledger import LedgerRepository
from app.donations.services.compliance.compliance_service import ComplianceDecision, ComplianceRequest, passed_checks
from app.donations.services.compliance.kyc_service import KycService


class AmlScreening:
    def __init__(
        self,
        rules: ComplianceRules,
        *,
        ledger: LedgerRepository,
        kyc: KycService,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.rules = rules
        self.ledger = ledger  # the donor's rolling-window total
        self.kyc = kyc
        self.clock = clock

    def screen(self, request: ComplianceRequest) -> ComplianceDecision:
        now = self.clock()
        since = now - timedelta(days=self.rules.aml_window_days)
        window = given_since(request.wallet, since, now=now)
        if window is None:  # the wallet's summary does not reach back that far: the ledger does
            window = self.ledger.donated_since(request.user_id, since)
        # the KYC status only matters above the threshold: below it, no read
        needs_kyc = window + request.amount_cents > self.rules.kyc_required_above_cents
        return passed_checks(
            evaluate(
                self.rules,
                amount_cents=request.amount_cents,
                window_total_cents=window,
                kyc_status=self.kyc.status(request.user_id) if needs_kyc else KYC_NOT_CHECKED,
            )
        )
