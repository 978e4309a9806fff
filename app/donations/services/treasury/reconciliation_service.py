"""Reconciliation: the books against themselves and against the payment provider.

Checks, each discrepancy stored with its detail in `reconciliation_discrepancies` under the run
(`reconciliation_runs`):
- WALLET_LEDGER_MISMATCH: a wallet's balance or held amount differs from the sum of its ledger entries.
- DONATION_LEDGER_MISMATCH: a completed donation without its `donated` entry, a refunded one without
  its `refund` entry, or an entry amount that differs from the donation's.
- ONLUS_ALLOCATION_MISMATCH: per ONLUS, the donations' net total differs from the ledger's net total.
- ONLUS_OVER_DISBURSED: more disbursed to an ONLUS than it was allocated.
- PAYMENT_PROVIDER_MISMATCH: a payment intent whose state or amount disagrees with the provider
  (a succeeded payment we never completed, one we completed that the provider does not show, ...).
- PAYMENT_REFUND_NOT_SENT: a refunded card donation whose money did not go back at the provider.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from bson import ObjectId
from pymongo import DESCENDING

from app.core.clock import utcnow
from app.core.errors import AppError, NotFound
from app.donations.models.wallet.ledger import DONATED, REFUND

log = logging.getLogger(__name__)


class ReconciliationService:
    def __init__(
        self,
        *,
        db,
        wallet,
        payments,
        batches_repo,
        clock: Callable[[], datetime] = utcnow,
        payment_window_days: int = 90,
    ):
        self.db = db
        self.runs = db["reconciliation_runs"]
        self.discrepancies = db["reconciliation_discrepancies"]
        self.wallet = wallet  # WalletService (integrity_report)
        self.payments = payments  # PaymentService (provider + intents)
        self.batches_repo = batches_repo  # BatchRepository (disbursements)
        self.clock = clock
        self.payment_window = timedelta(days=payment_window_days)

    # -- the run ------------------------------------------------------------------------
    def run(self, *, triggered_by: str | None = None) -> dict:
        run_id = ObjectId()
        started = self.clock()
        self.runs.insert_one(
            {
                "_id": run_id,
                "started_at": started,
                "finished_at": None,
                "triggered_by": triggered_by,
                "checks": {},
                "discrepancy_count": 0,
            }
        )
        found: list[dict] = []
        checks = {}
        for name, check in (
            ("wallets", self._wallets),
            ("donations", self._donations),
            ("onlus_allocations", self._onlus),
            ("payment_intents", self._payments),
        ):
            try:
                checked, problems = check()
                checks[name] = {"checked": checked, "discrepancies": len(problems), "ok": not problems}
            except Exception as exc:  # one failing check must not hide the others
                log.exception("reconciliation check %s failed", name)
                problems = [{"kind": "CHECK_FAILED", "subject": name, "detail": {"error": str(exc)[:300]}}]
                checks[name] = {"checked": 0, "discrepancies": 1, "ok": False, "error": str(exc)[:300]}
            found.extend(problems)
        now = self.clock()
        if found:
            self.discrepancies.insert_many([{"run_id": run_id, "created_at": now, **p} for p in found])
            log.error("reconciliation %s: %d discrepancies", run_id, len(found))
        self.runs.update_one(
            {"_id": run_id}, {"$set": {"finished_at": now, "checks": checks, "discrepancy_count": len(found)}}
        )
        return self.runs.find_one({"_id": run_id})

    def _wallets(self) -> tuple[int, list[dict]]:
        report = self.wallet.integrity_report()
        return report["wallets_checked"], [
            {"kind": "WALLET_LEDGER_MISMATCH", "subject": d["user_id"], "detail": d} for d in report["discrepancies"]
        ]

    def _donations(self) -> tuple[int, list[dict]]:
        entries = {
            e["key"]: e
            for e in self.db["transactions"].find(
                {"type": {"$in": [DONATED, REFUND]}}, {"key": 1, "amount_cents": 1, "type": 1}
            )
        }
        problems, checked = [], 0
        for d in self.db["donations"].find(
            {"status": {"$in": ["completed", "refunded"]}}, {"amount_cents": 1, "status": 1}
        ):
            checked += 1
            did = str(d["_id"])
            debit = entries.get(f"donation:{did}")
            if debit is None or -debit["amount_cents"] != d["amount_cents"]:
                problems.append(
                    {
                        "kind": "DONATION_LEDGER_MISMATCH",
                        "subject": did,
                        "detail": {
                            "donation_amount_cents": d["amount_cents"],
                            "status": d["status"],
                            "ledger_entry": f"donation:{did}",
                            "ledger_amount_cents": -debit["amount_cents"] if debit else None,
                        },
                    }
                )
            if d["status"] == "refunded":
                credit = entries.get(f"refund:{did}")
                if credit is None or credit["amount_cents"] != d["amount_cents"]:
                    problems.append(
                        {
                            "kind": "DONATION_LEDGER_MISMATCH",
                            "subject": did,
                            "detail": {
                                "donation_amount_cents": d["amount_cents"],
                                "status": d["status"],
                                "ledger_entry": f"refund:{did}",
                                "ledger_amount_cents": credit["amount_cents"] if credit else None,
                            },
                        }
                    )
        return checked, problems

    def _onlus(self) -> tuple[int, list[dict]]:
        ledger: dict[str, int] = defaultdict(int)
        for row in self.db["transactions"].aggregate(
            [
                {"$match": {"type": {"$in": [DONATED, REFUND]}}},
                {"$group": {"_id": "$meta.onlus_id", "net": {"$sum": "$amount_cents"}}},
            ]
        ):
            ledger[row["_id"]] = -row["net"]
        donations: dict[str, int] = defaultdict(int)
        for row in self.db["donations"].aggregate(
            [{"$match": {"status": "completed"}}, {"$group": {"_id": "$onlus_id", "cents": {"$sum": "$amount_cents"}}}]
        ):
            donations[row["_id"]] = row["cents"]
        disbursed = self.batches_repo.disbursed_by_onlus() if self.batches_repo else {}
        problems = []
        ids = set(ledger) | set(donations)
        for onlus_id in sorted(i for i in ids if i):
            if ledger[onlus_id] != donations[onlus_id]:
                problems.append(
                    {
                        "kind": "ONLUS_ALLOCATION_MISMATCH",
                        "subject": onlus_id,
                        "detail": {"ledger_net_cents": ledger[onlus_id], "donations_cents": donations[onlus_id]},
                    }
                )
        for onlus_id, cents in disbursed.items():
            if cents > ledger.get(onlus_id, 0):
                problems.append(
                    {
                        "kind": "ONLUS_OVER_DISBURSED",
                        "subject": onlus_id,
                        "detail": {"disbursed_cents": cents, "allocated_cents": ledger.get(onlus_id, 0)},
                    }
                )
        return len(ids), problems

    def _payments(self) -> tuple[int, list[dict]]:
        if self.payments is None:
            return 0, []
        since = self.clock() - self.payment_window
        provider = self.payments.provider
        problems, checked = [], 0
        for intent in self.payments.intents.for_reconciliation(since=since):
            if not intent.get("provider_intent_id") or intent.get("provider") != provider.name:
                continue
            checked += 1
            iid = str(intent["_id"])
            try:
                remote = provider.retrieve_intent(intent["provider_intent_id"])
            except AppError as exc:
                problems.append(
                    {
                        "kind": "PAYMENT_PROVIDER_MISMATCH",
                        "subject": iid,
                        "detail": {"error": exc.message, "status": intent["status"]},
                    }
                )
                continue
            ours = intent["status"]
            paid_here = ours in ("succeeded", "refunded")
            paid_there = remote.status == "succeeded"
            detail = {
                "status": ours,
                "provider_status": remote.status,
                "amount_cents": intent["amount_cents"],
                "provider_amount_cents": remote.amount_cents,
                "provider_intent_id": remote.id,
            }
            if paid_here != paid_there or remote.amount_cents != intent["amount_cents"]:
                problems.append({"kind": "PAYMENT_PROVIDER_MISMATCH", "subject": iid, "detail": detail})
            elif paid_here and self.db["donations"].count_documents({"_id": intent["_id"]}) == 0:
                problems.append(
                    {
                        "kind": "PAYMENT_PROVIDER_MISMATCH",
                        "subject": iid,
                        "detail": {**detail, "problem": "no donation for a succeeded payment"},
                    }
                )
            refund = intent.get("provider_refund") or {}
            donation = self.db["donations"].find_one({"_id": intent["_id"]}, {"status": 1, "source": 1})
            if donation and donation["status"] in ("refunded", "rejected") and refund.get("status") != "succeeded":
                problems.append(
                    {
                        "kind": "PAYMENT_REFUND_NOT_SENT",
                        "subject": iid,
                        "detail": {**detail, "donation_status": donation["status"], "refund": refund},
                    }
                )
        return checked, problems

    # -- reads -----------------------------------------------------------------------------
    def page(self, *, skip: int, limit: int) -> tuple[list, int]:
        total = self.runs.count_documents({})
        rows = list(self.runs.find({}).sort([("started_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit))
        return rows, total

    def get(self, run_id: str) -> dict:
        from app.donations.repositories.common import to_object_id

        oid = to_object_id(run_id)
        run = self.runs.find_one({"_id": oid}) if oid else None
        if run is None:
            raise NotFound("RECONCILIATION_RUN_NOT_FOUND")
        return run

    def discrepancies_page(self, run_id: str, *, skip: int, limit: int, kind: str | None = None) -> tuple[list, int]:
        run = self.get(run_id)
        query: dict = {"run_id": run["_id"]}
        if kind:
            query["kind"] = kind
        total = self.discrepancies.count_documents(query)
        rows = list(self.discrepancies.find(query).sort("_id", 1).skip(skip).limit(limit))
        for r in rows:
            r["run_id"] = str(r["run_id"])
        return rows, total
