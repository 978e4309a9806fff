"""Payouts: what each ONLUS is owed for a month leaves the platform, and every step is on record.

A monthly disbursement batch schedules the disbursements (`schedule`, idempotent per ONLUS and month).
An admin then records the bank's answer: paid with a bank reference or a provider transfer id, failed
with the reason, or reversed when the money came back (the lifecycle is in
app/donations/models/treasury/disbursement.py). Each decision is guarded by the state it leaves, so two
operators cannot both decide, and the same decision sent twice is answered once. Reconciliation checks,
per ONLUS and month a batch covered, that the net donations equal what was disbursed plus what is
pending; each ONLUS's statement shows the same figures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.donations.models.treasury.batch import month_bounds
from app.donations.models.treasury.disbursement import (
    ALLOWED_FROM,
    FAILED,
    PAID,
    REVERSED,
    decision,
    is_replay,
    new_disbursement,
    payout_mismatches,
    period_statement,
    statement_totals,
)
from app.donations.repositories.treasury.disbursements import DisbursementRepository, DuplicateReference
from app.donations.repositories.wallet.ledger import LedgerRepository
from app.donations.services.donations.onlus_service import OnlusService

log = logging.getLogger(__name__)


class DisbursementService:
    def __init__(
        self,
        *,
        repo: DisbursementRepository,
        entries: LedgerRepository,
        onlus: OnlusService,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.repo = repo
        self.entries = entries  # the net donations of each ONLUS and month
        self.onlus = onlus
        self.clock = clock

    # -- scheduling (the monthly batch) ----------------------------------------------------------
    def schedule(
        self, *, period: str, onlus_id: str, onlus_name, amount_cents: int, batch_id: str
    ) -> tuple[dict, bool]:
        return self.repo.insert(
            new_disbursement(
                period=period,
                onlus_id=onlus_id,
                onlus_name=onlus_name,
                amount_cents=amount_cents,
                batch_id=batch_id,
                now=self.clock(),
            )
        )

    # -- decisions --------------------------------------------------------------------------------
    def mark_paid(
        self,
        disbursement_id: str,
        *,
        reference: str,
        reference_kind: str,
        paid_at: datetime | None,
        actor_id: str | None,
    ) -> tuple[dict, bool]:
        current = self.get(disbursement_id)
        now = self.clock()
        paid_at = paid_at or now
        if paid_at > now:
            raise ValidationFailed(errors={"paid_at": ["Must not be in the future."]})
        if paid_at < month_bounds(current["period"])[1]:
            raise ValidationFailed(errors={"paid_at": ["Must not be before the month it pays has ended."]})
        changes, entry = decision(
            PAID, at=now, actor_id=actor_id, reference=reference, reference_kind=reference_kind, paid_at=paid_at
        )
        try:
            return self._decide(current, PAID, changes, entry, reference=reference)
        except DuplicateReference:
            raise Conflict(
                "REFERENCE_ALREADY_USED", errors={"reference": ["This transfer already pays another disbursement."]}
            ) from None

    def mark_failed(self, disbursement_id: str, *, reason: str, actor_id: str | None) -> tuple[dict, bool]:
        current = self.get(disbursement_id)
        changes, entry = decision(FAILED, at=self.clock(), actor_id=actor_id, failure_reason=reason)
        return self._decide(current, FAILED, changes, entry, reason=reason)

    def reverse(self, disbursement_id: str, *, reason: str, actor_id: str | None) -> tuple[dict, bool]:
        """The money came back: the ONLUS is owed it again (its reference stays in the history)."""
        current = self.get(disbursement_id)
        changes, entry = decision(REVERSED, at=self.clock(), actor_id=actor_id, reversal_reason=reason)
        entry.update(reference=current["reference"], reference_kind=current["reference_kind"])
        changes.update(reference=None, reference_kind=None, paid_at=None)
        return self._decide(current, REVERSED, changes, entry, reason=reason)

    def _decide(self, current: dict, status: str, changes: dict, entry: dict, **same) -> tuple[dict, bool]:
        """(the disbursement, whether this call changed it); a repeat of the decision it holds is a replay."""
        if is_replay(current, status, **same):
            return current, False
        decided = self.repo.decide(current["_id"], expected=ALLOWED_FROM[status], changes=changes, entry=entry)
        if decided is not None:
            log.info("disbursement %s: %s -> %s", current["_id"], current["status"], status)
            return decided, True
        latest = self.get(current["_id"])  # another decision came first
        if is_replay(latest, status, **same):
            return latest, False
        raise Conflict(
            "DISBURSEMENT_STATE_CONFLICT",
            errors={"status": [f"A {latest['status']} disbursement cannot become {status}."]},
        )

    # -- reads ------------------------------------------------------------------------------------
    def get(self, disbursement_id: str) -> dict:
        doc = self.repo.by_id(disbursement_id.lower())  # `<period>:<onlus id>`, the id in its one spelling
        if doc is None:
            raise NotFound("DISBURSEMENT_NOT_FOUND")
        return doc

    def page(self, **filters) -> tuple[list, int]:
        return self.repo.page(**filters)

    def statement(self, onlus_id: str, *, year: int) -> dict:
        """An ONLUS's year, month by month: allocated (net donations), disbursed, pending, unscheduled."""
        onlus = self.onlus.raw(onlus_id)
        if onlus is None:
            raise NotFound("ONLUS_NOT_FOUND")
        allocated = self.entries.net_donated_by_onlus_month(
            onlus_id=onlus_id, start=datetime(year, 1, 1), end=datetime(year + 1, 1, 1)
        )
        by_period: dict[str, list[dict]] = {}
        for d in self.repo.of_onlus(onlus_id, periods_from=f"{year:04d}-01", periods_to=f"{year:04d}-12"):
            by_period.setdefault(d["period"], []).append(d)
        periods = sorted({p for _, p in allocated} | set(by_period))
        months = [period_statement(p, allocated.get((onlus_id, p), 0), by_period.get(p, [])) for p in periods]
        return {
            "onlus_id": onlus_id,
            "onlus_name": onlus.get("name"),
            "year": year,
            "totals": statement_totals(months),
            "periods": months,
            "generated_at": self.clock(),
        }

    # -- reconciliation ---------------------------------------------------------------------------
    def mismatches(self, covered_periods: set[str]) -> tuple[int, list[tuple[str, str, int, int]], list[str]]:
        """(ONLUS-months checked, the months whose donations != disbursed + pending, paid disbursements
        without a reference)."""
        allocated = self.entries.net_donated_by_onlus_month()
        scheduled = self.repo.amounts_by_onlus_period()
        checked = len({k for k in set(allocated) | set(scheduled) if k[1] in covered_periods})
        unreferenced = [d["_id"] for d in self.repo.paid_without_reference()]
        return checked, payout_mismatches(allocated, scheduled, covered_periods), unreferenced

    def scheduled_by_onlus(self) -> dict[str, int]:
        return self.repo.scheduled_by_onlus()
