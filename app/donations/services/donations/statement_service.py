"""Donation statements: a donor's completed donations of a period (at most a year), by ONLUS."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from app.core.clock import utcnow
from app.donations.models.donations.statement import statement
from app.donations.repositories.donations.donations import DonationRepository
from app.donations.repositories.donations.receipts import ReceiptRepository
from app.donations.services.donations.receipt_service import ReceiptService


class StatementService:
    def __init__(
        self,
        *,
        donations: DonationRepository,
        receipts: ReceiptRepository,
        receipt_service: ReceiptService,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.donations = donations
        self.receipts = receipts  # the ONLUS tax codes the receipts carry
        self.receipt_service = receipt_service  # the donor as receipts name them
        self.clock = clock

    def statement(self, user_id: str, from_date: date, to_date: date) -> dict:
        """Completed (not refunded) donations completed between the two dates (inclusive), by ONLUS."""
        start = datetime.combine(from_date, time.min)
        end = datetime.combine(to_date + timedelta(days=1), time.min)
        return statement(
            user_id=user_id,
            donor=self.receipt_service.donor(user_id),
            donations=self.donations.for_user_between(user_id, start, end),
            receipts=self.receipts.for_user_between(user_id, start, end),
            start=start,
            end=end,
            to_inclusive=to_date,
            generated_at=self.clock(),
        )
