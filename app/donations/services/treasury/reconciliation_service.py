"""Reconciliation: the books against themselves and against the payment provider.

Checks, each discrepancy stored with its detail in `reconciliation_discrepancies` under the run
(`reconciliation_runs`); the rules are in app/donations/models/treasury/reconciliation.py:
- WALLET_LEDGER_MISMATCH: a wallet's balance or held amount differs from the sum of its ledger entries.
- DONATION_LEDGER_MISMATCH: a completed donation without its `donated` entry, a refunded one without
  its `refund` entry, or an entry amount that differs from the donation's.
- ONLUS_ALLOCATION_MISMATCH: per ONLUS, the donations' net total differs from the ledger's net total.
- ONLUS_OVER_DISBURSED: more disbursed to an ONLUS than it was allocated.
- PAYOUT_MISMATCH: for an ONLUS and a month a disbursement batch covered, the net donations differ from
  what was disbursed plus what is pending (the disbursement's amount, whatever its status).
- DISBURSEMENT_WITHOUT_REFERENCE: a disbursement marked paid without the transfer that paid it.
- PAYMENT_PROVIDER_MISMATCH: a payment intent whose state or amount disagrees with the provider
  (a succeeded payment we never completed, one we completed that the provider does not show, ...).
- PAYMENT_REFUND_NOT_SENT: a refunded card donation whose money did not go back at the provider.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.core.errors import AppError, NotFound
from app.donations.models.treasury.reconciliation import (
    check_failed,
    donation_discrepancies,
    onlus_discrepancies,
    payment_discrepancies,
    payout_discrepancies,
    provider_unreachable,
    wallet_discrepancies,
)
from app.donations.repositories.payments.intents import PaymentIntentRepository
from app.donations.repositories.treasury.batches import BatchRepository
from app.donations.repositories.treasury.reconciliation import ReconciliationRepository
from app.donations.services.payments.providers import PaymentProvider
from app.donations.services.treasury.disbursement_service import DisbursementService
from app.donations.services.wallet.wallet_service import WalletService

log = logging.getLogger(__name__)


class ReconciliationService:
    def __init__(
        self,
        *,
        repo: ReconciliationRepository,
        wallet: WalletService,
        provider: PaymentProvider,
        intents: PaymentIntentRepository,
        batches: BatchRepository,
        disbursements: DisbursementService,
        clock: Callable[[], datetime] = utcnow,
        payment_window_days: int = 90,
    ):
        self.repo = repo
        self.wallet = wallet  # the wallets' integrity report
        self.provider = provider
        self.intents = intents
        self.batches = batches  # the months a disbursement batch covered
        self.disbursements = disbursements
        self.clock = clock
        self.payment_window = timedelta(days=payment_window_days)

    # -- the run ------------------------------------------------------------------------
    def run(self, *, triggered_by: str | None = None) -> dict:
        run_id = self.repo.start_run(triggered_by=triggered_by, at=self.clock())
        found: list[dict] = []
        checks = {}
        for name, check in (
            ("wallets", self._wallets),
            ("donations", self._donations),
            ("onlus_allocations", self._onlus),
            ("payouts", self._payouts),
            ("payment_intents", self._payments),
        ):
            try:
                checked, problems = check()
                checks[name] = {"checked": checked, "discrepancies": len(problems), "ok": not problems}
            except Exception as exc:  # one failing check must not hide the others
                log.exception("reconciliation check %s failed", name)
                problems = [check_failed(name, str(exc))]
                checks[name] = {"checked": 0, "discrepancies": 1, "ok": False, "error": str(exc)[:300]}
            found.extend(problems)
        if found:
            log.error("reconciliation %s: %d discrepancies", run_id, len(found))
        return self.repo.finish_run(run_id, checks=checks, discrepancies=found, at=self.clock())

    def _wallets(self) -> tuple[int, list[dict]]:
        report = self.wallet.integrity_report()
        return report["wallets_checked"], wallet_discrepancies(report)

    def _donations(self) -> tuple[int, list[dict]]:
        entries = self.repo.donation_entries_by_key()
        donations = self.repo.settled_donations()
        return len(donations), donation_discrepancies(donations, entries)

    def _onlus(self) -> tuple[int, list[dict]]:
        return onlus_discrepancies(
            self.repo.ledger_net_by_onlus(), self.repo.completed_by_onlus(), self.disbursements.scheduled_by_onlus()
        )

    def _payouts(self) -> tuple[int, list[dict]]:
        checked, mismatches, unreferenced = self.disbursements.mismatches(self.batches.disbursement_periods())
        return checked, payout_discrepancies(mismatches, unreferenced)

    def _payments(self) -> tuple[int, list[dict]]:
        problems, checked = [], 0
        for intent in self.intents.updated_since(self.clock() - self.payment_window):
            if not intent.get("provider_intent_id") or intent.get("provider") != self.provider.name:
                continue
            checked += 1
            try:
                remote = self.provider.retrieve_intent(intent["provider_intent_id"])
            except AppError as exc:
                problems.append(provider_unreachable(intent, exc.message))
                continue
            problems.extend(payment_discrepancies(intent, remote, self.repo.donation_state(intent["_id"])))
        return checked, problems

    # -- reads -----------------------------------------------------------------------------
    def page(self, *, skip: int, limit: int) -> tuple[list, int]:
        return self.repo.runs_page(skip=skip, limit=limit)

    def get(self, run_id: str) -> dict:
        run = self.repo.run(run_id)
        if run is None:
            raise NotFound("RECONCILIATION_RUN_NOT_FOUND")
        return run

    def discrepancies_page(self, run_id: str, *, skip: int, limit: int, kind: str | None = None) -> tuple[list, int]:
        run = self.get(run_id)
        rows, total = self.repo.discrepancies_page(run["_id"], skip=skip, limit=limit, kind=kind)
        for r in rows:
            r["run_id"] = str(r["run_id"])
        return rows, total
