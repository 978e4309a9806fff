"""Receipts: every completed donation drafts its receipt in its own transaction; right after that commits,
a three-statement transaction gives it the year's next number `GP-<year>-<000001>` (counter, receipt and
donation together: no gaps, no number used twice).

Numbering runs after the donation, not inside it: every donation serializes on the year's counter, and a
short transaction holds it far less than the donation's would (within a process, numberings queue on a lock
instead of conflicting). A draft left by a process that stopped in between is numbered by the
donations_receipt_numbering job, or as soon as its receipt is asked for, it is refunded or its idempotency
key is replayed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.core.contracts import UserDirectory
from app.core.errors import NotFound
from app.core.models.personal_data import Replacements
from app.core.transactions import Transactions
from app.donations.models.donations import receipt
from app.donations.repositories.donations.donations import DonationRepository
from app.donations.repositories.donations.receipts import ReceiptRepository, ReceiptTaken

log = logging.getLogger(__name__)


class _AlreadyNumbered(Exception):
    """Another run numbered this donation's receipt first (aborts the numbering transaction)."""


class ReceiptService:
    def __init__(
        self,
        *,
        receipts: ReceiptRepository,
        donations: DonationRepository,
        transactions: Transactions,
        users: UserDirectory,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.receipts = receipts
        self.donations = donations
        self.transactions = transactions
        self.users = users  # the donor's name and email on receipts
        self.clock = clock
        self._numbering = threading.Lock()

    def donor(self, user_id: str) -> dict:
        """The donor as receipts and statements name them."""
        return receipt.donor(user_id, self.users.get(user_id))

    # -- numbering --------------------------------------------------------------------
    def number(self, donation: dict) -> str | None:
        """Give a completed donation's drafted receipt the next number of its year (the donation dict is
        updated too); the number it already has otherwise."""
        draft = donation.get("receipt_draft")
        if not draft:
            return donation.get("receipt_number")
        try:
            number = self._take_numbers(draft["issued_at"].year, [donation])[donation["_id"]]
        except (_AlreadyNumbered, ReceiptTaken):
            number = (self.donations.by_id(str(donation["_id"])) or {}).get("receipt_number")
        donation.pop("receipt_draft", None)
        donation["receipt_number"] = number
        return number

    def number_after_commit(self, donation: dict) -> None:
        """The donation is committed whatever happens here: a failure leaves its receipt in draft for the
        donations_receipt_numbering job (the answer then shows no receipt number yet)."""
        try:
            self.number(donation)
        except Exception:  # the donation stands; the job numbers the draft
            log.exception("receipt of donation %s left in draft", donation.get("_id"))

    def number_completed(self, donation_id: str) -> str | None:
        """Number a completed donation's receipt if it is still a draft (a handler after the answer)."""
        donation = self.donations.by_id(donation_id)
        return self.number(donation) if donation is not None else None

    def number_completed_many(self, donation_ids: list[str]) -> None:
        """number_completed for several donations (a dispatcher batch): their receipts take consecutive
        numbers in one transaction. When one was numbered meanwhile (asked for on demand), the transaction
        aborts and they are numbered one by one."""
        drafts = [d for d in self.donations.by_ids(donation_ids) if d.get("receipt_draft")]
        drafts.sort(key=lambda d: (d["receipt_draft"]["issued_at"], str(d["_id"])))
        by_year: dict[int, list[dict]] = {}
        for donation in drafts:
            by_year.setdefault(donation["receipt_draft"]["issued_at"].year, []).append(donation)
        for year, donations in by_year.items():
            try:
                self._take_numbers(year, donations)
            except (_AlreadyNumbered, ReceiptTaken):
                for donation in donations:
                    self.number(donation)

    def _take_numbers(self, year: int, donations: list[dict]) -> dict:
        """The year's next numbers for these drafted receipts, in their order, in one transaction (counter,
        donations and receipts together); {donation _id: number}. _AlreadyNumbered when one was numbered
        meanwhile (nothing is taken then)."""
        self.receipts.ensure_counter(year)

        def take(session) -> dict:
            last = self.receipts.next_numbers(year, len(donations), session=session)
            first = last - len(donations) + 1
            numbers = {d["_id"]: receipt.receipt_number(year, first + i) for i, d in enumerate(donations)}
            if not self.donations.set_receipt_numbers(numbers, session=session):
                raise _AlreadyNumbered()
            self.receipts.insert_many(
                [
                    {**d["receipt_draft"], "receipt_number": numbers[d["_id"]], "year": year, "sequence": first + i}
                    for i, d in enumerate(donations)
                ],
                session=session,
            )
            return numbers

        with self._numbering:
            return self.transactions.run(take)

    def number_pending(self, *, older_than: timedelta = timedelta(minutes=1)) -> int:
        """Number the drafts a stopped process left behind; returns how many it numbered."""
        pending = self.donations.with_receipt_draft(self.clock() - older_than)
        for donation in pending:
            self.number(donation)
        return len(pending)

    def void(self, donation_id: str, *, reason: str, at: datetime, session) -> None:
        """Inside the refunding transaction: the receipt stays, marked void."""
        self.receipts.mark_void(donation_id, at=at, reason=reason, session=session)

    def forget_donor(self, user_id: str, replacements: Replacements) -> int:
        """The donor deleted their account: their receipts stay, marked `deleted`, naming nobody."""
        donor = {"id": user_id, "name": replacements.name, "email": replacements.email, "tax_code": None}
        return self.receipts.pseudonymise_donor(user_id, donor, self.clock())

    # -- reads --------------------------------------------------------------------
    def for_donor(self, user_id: str, donation_id: str) -> dict:
        """A donation's receipt, for its donor (another user's is 404)."""
        donation = self.donations.by_id(donation_id)
        if donation is None or donation["user_id"] != user_id:
            raise NotFound("DONATION_NOT_FOUND")
        self.number(donation)
        found = self.receipts.by_donation(str(donation["_id"]))
        if found is None:
            raise NotFound("RECEIPT_NOT_FOUND")
        return {**found, "donation_status": donation["status"], "donation_id": str(donation["_id"])}
