"""Batch operations with progress, per-item status, retries and idempotency per item.

Types:
- `monthly_disbursement` (period YYYY-MM): one item per ONLUS with the month's net donated credits (from
  the ledger); an item schedules the disbursement `<period>:<onlus_id>` (its unique id), whose payout
  is then recorded by an admin (DisbursementService).
- `donation_import` (CSV `user_id,onlus_id,amount[,reference]`): one item per row; an item makes a wallet
  donation (source `batch`) with the idempotency key `batch:<batch_id>:<seq>`.

Each item's effect is idempotent by its own key, and its status moves pending -> processing -> done |
failed. A runner holds a lease on the batch; a runner that dies (or stops at its `max_items` budget)
leaves items pending or `processing`; the next run (or the `donations_batch_runner` job once the lease
expired) picks them up and re-executes them: the effect's key makes a re-execution a no-op, so every
item takes effect exactly once. Business refusals (insufficient balance...) fail an item for good;
unexpected errors are retried up to `max_attempts` times; an admin can retry failed items.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import InvalidOperation

from app.core.clock import utcnow
from app.core.contracts import UserDirectory
from app.core.errors import AppError, Conflict, NotFound, ValidationFailed
from app.core.ids import canonical_id
from app.donations.models.treasury.batch import (
    DISBURSEMENT,
    IMPORT,
    MAX_IMPORT_ROWS,
    PENDING,
    RUNNING,
    finished_status,
    month_bounds,
    new_items,
    parse_amount,
    previous_month,
)
from app.donations.repositories.treasury.batches import BatchRepository
from app.donations.services.donations.donation_service import DonationService
from app.donations.services.donations.onlus_service import OnlusService
from app.donations.services.treasury.disbursement_service import DisbursementService

log = logging.getLogger(__name__)


class BatchService:
    def __init__(
        self,
        *,
        repo: BatchRepository,
        donations: DonationService,
        onlus: OnlusService,
        disbursements: DisbursementService,
        users: UserDirectory,
        max_attempts: int = 3,
        lease_seconds: int = 300,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.repo = repo
        self.donations = donations  # period_summary (disbursements), process (imports)
        self.onlus = onlus
        self.disbursements = disbursements  # what a disbursement item schedules
        self.users = users
        self.max_attempts = max_attempts
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock

    # -- creating -----------------------------------------------------------------------
    def _new(
        self,
        *,
        type: str,
        key: str | None,
        name: str | None,
        params: dict,
        payloads: list[dict],
        actor_id: str | None,
        invalid: dict[int, str] | None = None,
    ) -> tuple[dict, bool]:
        now = self.clock()
        batch_id = self.repo.new_id()
        items = new_items(batch_id, payloads, invalid=invalid or {}, now=now)
        doc = {
            "_id": batch_id,
            "type": type,
            "name": name,
            "params": params,
            "status": PENDING,
            "total": len(items),
            "counts": {},
            "created_by": actor_id,
            "created_at": now,
            "started_at": None,
            "finished_at": None,
            "lease_owner": None,
            "lease_until": None,
            "runs": 0,
        }
        if key:
            doc["key"] = key
        if self.repo.insert(doc, items) is None:
            return self.repo.by_key(key), False
        return self.repo.recount(batch_id), True

    def create_disbursement(self, period: str, *, actor_id: str | None) -> tuple[dict, bool]:
        """One batch per month (key `disbursement:<period>`): creating it again answers the first."""
        existing = self.repo.by_key(f"disbursement:{period}")
        if existing is not None:
            return existing, False
        try:
            start, end = month_bounds(period)
        except ValueError as exc:
            raise ValidationFailed(errors={"period": ["A month as YYYY-MM."]}) from exc
        if end > self.clock():
            raise ValidationFailed("PERIOD_NOT_CLOSED", errors={"period": ["The month has not ended yet."]})
        summary = self.donations.period_summary(start, end)
        names = self.onlus.many([k for k in summary["by_onlus"] if k != "unknown"])
        payloads = [
            {
                "onlus_id": onlus_id,
                "onlus_name": (names.get(onlus_id) or {}).get("name"),
                "amount_cents": cents,
                "period": period,
            }
            for onlus_id, cents in sorted(summary["by_onlus"].items())
            if cents > 0
        ]
        return self._new(
            type=DISBURSEMENT,
            key=f"disbursement:{period}",
            name=f"Disbursement {period}",
            params={"period": period, "total_cents": sum(p["amount_cents"] for p in payloads)},
            payloads=payloads,
            actor_id=actor_id,
        )

    def disburse_previous_month(self) -> dict:
        """The monthly job: the previous month's disbursement batch (one per month, by key), then run it."""
        batch, _ = self.create_disbursement(previous_month(self.clock()), actor_id=None)
        return self.run(batch["_id"]) if batch["status"] in (PENDING, RUNNING) else batch

    def create_import(self, csv_text: str, *, name: str | None, actor_id: str | None) -> dict:
        try:
            return self._create_import(csv_text, name=name, actor_id=actor_id)
        except csv.Error as exc:
            raise ValidationFailed(errors={"csv": [f"Not valid CSV: {exc}."]}) from exc

    def _create_import(self, csv_text: str, *, name: str | None, actor_id: str | None) -> dict:
        reader = csv.DictReader(io.StringIO(csv_text.strip(), newline=""))
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = {"user_id", "onlus_id", "amount"} - set(header)
        if missing:
            raise ValidationFailed(errors={"csv": [f"Missing column(s): {', '.join(sorted(missing))}."]})
        payloads, invalid = [], {}
        for seq, row in enumerate(reader, start=1):
            if seq > MAX_IMPORT_ROWS:
                raise ValidationFailed(errors={"csv": [f"At most {MAX_IMPORT_ROWS} rows."]})
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
            payload = {
                "user_id": canonical_id(row.get("user_id") or ""),
                "onlus_id": canonical_id(row.get("onlus_id") or ""),
                "reference": row.get("reference") or None,
                "row": seq + 1,
            }
            try:
                payload["amount_cents"] = parse_amount(row.get("amount") or "")
            except (InvalidOperation, ValueError):
                payload["amount"] = row.get("amount")
                invalid[seq] = "INVALID_ROW: amount must be euros > 0 with at most 2 decimals"
            if not payload["user_id"] or not payload["onlus_id"]:
                invalid[seq] = "INVALID_ROW: user_id and onlus_id are required"
            elif seq not in invalid and not self.users.exists(payload["user_id"]):
                invalid[seq] = "INVALID_ROW: unknown user"
            payloads.append(payload)
        if not payloads:
            raise ValidationFailed(errors={"csv": ["No rows."]})
        batch, _ = self._new(
            type=IMPORT,
            key=None,
            name=name or "Donation import",
            params={"rows": len(payloads)},
            payloads=payloads,
            actor_id=actor_id,
            invalid=invalid,
        )
        return batch

    # -- running ---------------------------------------------------------------------------
    def run(self, batch_id, *, max_items: int | None = None, owner: str | None = None) -> dict:
        """Process the batch's remaining items (at most `max_items` now). Safe to call again at any time."""
        batch = self.get(batch_id)
        if batch["status"] not in (PENDING, RUNNING):
            return batch
        owner = owner or uuid.uuid4().hex
        now = self.clock()
        leased = self.repo.lease(batch["_id"], owner=owner, now=now, until=now + self.lease)
        if leased is None:
            raise Conflict("BATCH_BUSY")
        self.repo.mark_started(leased["_id"], now=now)
        done_now = 0
        try:
            while max_items is None or done_now < max_items:
                chunk = max(1, min(100, (max_items - done_now) if max_items else 100))
                items = self.repo.next_items(leased["_id"], max_attempts=self.max_attempts, limit=chunk)
                if not items:
                    break
                for item in items:
                    self._run_item(leased, item)
                    done_now += 1
                    self.repo.renew(leased["_id"], owner=owner, until=self.clock() + self.lease)
                    if max_items is not None and done_now >= max_items:
                        break
        finally:
            counts = self.repo.recount(leased["_id"])["counts"]
            remaining = self.repo.next_items(leased["_id"], max_attempts=self.max_attempts, limit=1)
            finished = None if remaining else (finished_status(counts), self.clock())
            result = self.repo.release(leased["_id"], owner=owner, finished=finished)
        return result or self.get(batch_id)

    def _run_item(self, batch: dict, item: dict) -> None:
        started = self.repo.start_item(item["_id"], now=self.clock())
        if started is None:
            return
        try:
            result = self._execute(batch, started)
        except AppError as exc:  # a business refusal: retrying will not help
            self.repo.item_failed(item["_id"], error=exc.message, retryable=False, at=self.clock())
            return
        except Exception as exc:  # noqa: BLE001 - unexpected: retried on a later run
            log.warning("batch %s item %s failed: %s", batch["_id"], item["seq"], exc)
            self.repo.item_failed(
                item["_id"], error=f"{type(exc).__name__}: {exc}"[:300], retryable=True, at=self.clock()
            )
            return
        self.repo.item_done(item["_id"], result=result, at=self.clock())

    def _execute(self, batch: dict, item: dict) -> dict:
        payload = item["payload"]
        if batch["type"] == DISBURSEMENT:
            doc, created = self.disbursements.schedule(
                period=payload["period"],
                onlus_id=payload["onlus_id"],
                onlus_name=payload.get("onlus_name"),
                amount_cents=payload["amount_cents"],
                batch_id=str(batch["_id"]),
            )
            return {"disbursement_id": doc["_id"], "amount_cents": doc["amount_cents"], "replayed": not created}
        if batch["type"] == IMPORT:
            donation, created = self.donations.process(
                payload["user_id"],
                onlus_id=payload["onlus_id"],
                amount_cents=payload["amount_cents"],
                idempotency_key=f"batch:{batch['_id']}:{item['seq']}",
                source="batch",
            )
            return {"donation_id": str(donation["_id"]), "status": donation["status"], "replayed": not created}
        raise ValueError(f"unknown batch type {batch['type']!r}")

    def run_due(self, *, max_items: int = 1000) -> list[dict]:
        """The job: resume every batch left pending/running whose runner is gone (lease expired)."""
        results = []
        for batch in self.repo.resumable(now=self.clock()):
            try:
                results.append(self.run(batch["_id"], max_items=max_items))
            except Conflict:
                continue
        return results

    def retry_failed(self, batch_id) -> dict:
        batch = self.get(batch_id)
        if self.repo.retry_failed(batch["_id"], now=self.clock()) == 0:
            raise Conflict("NO_FAILED_ITEMS")
        self.repo.reopen(batch["_id"])
        return self.repo.recount(batch["_id"])

    # -- reads -------------------------------------------------------------------------------
    def get(self, batch_id) -> dict:
        batch = self.repo.by_id(batch_id)
        if batch is None:
            raise NotFound("BATCH_NOT_FOUND")
        return batch

    def page(self, **filters) -> tuple[list, int]:
        return self.repo.page(**filters)

    def items(self, batch_id, **filters) -> tuple[list, int]:
        batch = self.get(batch_id)
        return self.repo.items_page(batch["_id"], **filters)
