"""Scheduled jobs of the donations module (plain functions; the scheduler runs them in an app context)."""
from __future__ import annotations

import logging

from app.core.clock import utcnow

log = logging.getLogger(__name__)


def make_integrity_check(wallet_service, db, clock=utcnow):
    def donations_integrity_check() -> dict:
        """Daily: every wallet balance (and held amount) must equal the sum of its ledger entries.

        Records one report per UTC day in `wallet_integrity_reports` (re-running the same day
        replaces that day's report) and returns it."""
        report = wallet_service.integrity_report()
        now = clock()
        day = now.date().isoformat()
        doc = {"_id": day, "checked_at": now, **report}
        db["wallet_integrity_reports"].replace_one({"_id": day}, doc, upsert=True)
        if report["discrepancies"]:
            log.error("wallet integrity check: %d discrepancies", len(report["discrepancies"]))
        return doc

    return donations_integrity_check


def make_reconciliation(reconciliation):
    def donations_reconciliation() -> dict:
        """Daily: wallets vs ledger, donations vs ONLUS allocations, payment intents vs the provider.
        Each run is its own record (re-running only adds a newer report)."""
        return reconciliation.run(triggered_by="job")

    return donations_reconciliation


def make_batch_runner(batches):
    def donations_batch_runner() -> int:
        """Every minute: resume batches whose runner stopped (lease expired); items already done are skipped."""
        return len(batches.run_due())

    return donations_batch_runner


def make_receipt_numbering(donations):
    def donations_receipt_numbering() -> int:
        """Every minute: number the receipts a process drafted but stopped before numbering."""
        return donations.number_pending_receipts()

    return donations_receipt_numbering


def make_monthly_disbursement(batches, clock=utcnow):
    def donations_monthly_disbursement() -> dict:
        """On the 1st: the previous month's disbursement batch (one per month, by key), then run it."""
        from app.donations.services.batch_service import previous_month
        batch, _ = batches.create_disbursement(previous_month(clock()), actor_id=None)
        return batches.run(batch["_id"]) if batch["status"] in ("pending", "running") else batch

    return donations_monthly_disbursement
