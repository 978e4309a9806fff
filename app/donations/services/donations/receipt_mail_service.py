"""Receipts by email: each completed donation's receipt (or acknowledgement) is mailed to its donor once,
with a link to it, when the donor's `donations.receipt_email` preference is on and their address is confirmed
(an unconfirmed address gets account mail only)."""

from __future__ import annotations

from app.core.contracts import MailQueue, UserDirectory, UserPreferences
from app.core.errors import NotFound
from app.donations.models.donations import receipt
from app.donations.services.donations.receipt_service import ReceiptService


class ReceiptMailService:
    def __init__(
        self,
        *,
        receipts: ReceiptService,
        users: UserDirectory,
        preferences: UserPreferences,
        mail: MailQueue,
        frontend_url: str,
    ):
        self.receipts = receipts
        self.users, self.preferences, self.mail = users, preferences, mail
        self.frontend_url = frontend_url.rstrip("/")

    def link(self, donation_id: str) -> str:
        return f"{self.frontend_url}/donations/{donation_id}/receipt"

    def send(self, *, user_id: str, donation_id: str) -> bool:
        """Queue the receipt's email (key `receipt:<donation_id>`: never twice); False when nothing is sent."""
        if not self.preferences.get(user_id)["donations"].get("receipt_email", True):
            return False
        address = self.users.email_of(user_id)
        if address is None:
            return False
        try:
            found = self.receipts.for_donor(user_id, donation_id)  # numbers a receipt still in draft
        except NotFound:
            return False
        if found.get("void") or not found.get("receipt_number"):
            return False
        first_name = self.users.get(user_id).get("first_name", "")
        parts = receipt.mail(found, first_name=first_name, link=self.link(donation_id))
        return self.mail.enqueue(to=address, key=f"receipt:{donation_id}", user_id=user_id, **parts)
