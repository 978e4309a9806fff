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
