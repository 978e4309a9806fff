"""Scheduled jobs of the donations module (each idempotent)."""

from __future__ import annotations

from app.core.scheduler import Job
from app.donations.services import DonationsServices


def schedule(services: DonationsServices) -> list[Job]:
    batches = services.batches
    return [
        # every wallet balance (and held amount) against the sum of its ledger; one report per UTC day
        Job.cron("donations_integrity_check", services.wallet.run_integrity_check, hour=3, minute=15),
        # wallets vs ledger, donations vs ONLUS allocations, payment intents vs the provider
        Job.cron(
            "donations_reconciliation", lambda: services.reconciliation.run(triggered_by="job"), hour=3, minute=45
        ),
        # resume batches whose runner stopped (lease expired); items already done are skipped
        Job.every("donations_batch_runner", lambda: len(batches.run_due()), minutes=1),
        # number the receipts a process drafted but stopped before numbering
        Job.every("donations_receipt_numbering", services.receipts.number_pending, minutes=1),
        # the previous month's disbursement batch, created and run
        Job.cron("donations_monthly_disbursement", batches.disburse_previous_month, day=1, hour=2, minute=0),
    ]
