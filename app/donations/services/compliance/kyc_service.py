"""KYC records: users submit their identity data, admins approve or reject each submission once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound, not_own_case
from app.donations.models.compliance.rules import KYC_APPROVED, KYC_NONE, KYC_REJECTED
from app.donations.repositories.compliance.kyc import KycRepository


class KycService:
    def __init__(self, kyc: KycRepository, *, clock: Callable[[], datetime] = utcnow):
        self.kyc = kyc
        self.clock = clock

    def status(self, user_id: str) -> str:
        doc = self.kyc.get(user_id)
        return doc["status"] if doc else KYC_NONE

    def record(self, user_id: str) -> dict:
        return self.kyc.get(user_id) or {"user_id": user_id, "status": KYC_NONE}

    def submit(self, user_id: str, data: dict) -> dict:
        # only what a reviewer needs: the document number is kept as its last 4 characters
        number = data.pop("document_number")
        data["document_number_last4"] = number[-4:]
        doc = self.kyc.submit(user_id, data, now=self.clock())
        if doc is None:
            raise Conflict("KYC_ALREADY_APPROVED")
        return doc

    def review(self, user_id: str, *, approve: bool, note: str | None, actor_id: str) -> dict:
        not_own_case(actor_id, user_id)
        status = KYC_APPROVED if approve else KYC_REJECTED
        doc = self.kyc.review(user_id, status=status, note=note, actor_id=actor_id, now=self.clock())
        if doc is None:
            if self.kyc.get(user_id) is None:
                raise NotFound("KYC_NOT_FOUND")
            raise Conflict("KYC_NOT_PENDING")
        return doc

    def page(self, *, status: str | None, skip: int, limit: int) -> tuple[list, int]:
        return self.kyc.page(status=status, skip=skip, limit=limit)

    def reviews_between(self, start: datetime, end: datetime) -> dict[str, int]:
        """How many records were last updated in [start, end), by status (the compliance report)."""
        counts = dict.fromkeys(("pending", "approved", "rejected"), 0)
        for status in self.kyc.statuses_updated_between(start, end):
            counts[status] = counts.get(status, 0) + 1
        return counts
