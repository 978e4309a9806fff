"""The money left in a wallet when its account is deleted (app.core.contracts.BalanceSettlement).

The rule, stated to the user before they confirm (OpenAPI of DELETE /api/user): a balance of at least the
minimum donation (EUR 0.50 unless the operator changed it) must be donated, to a verified ONLUS the user
names, as a normal donation with its receipt; a smaller balance cannot be donated and is forfeited by a
ledger entry; money held for a compliance review blocks the deletion until the review ends."""

from __future__ import annotations

from app.core.errors import Conflict
from app.donations.models.donations.donation import HELD
from app.donations.services.compliance.compliance_service import ComplianceService
from app.donations.services.donations.donation_service import DonationService
from app.donations.services.wallet.wallet_service import WalletService

ACTOR = "account_deletion"


class AccountSettlement:
    def __init__(self, *, wallet: WalletService, donations: DonationService, compliance: ComplianceService):
        self.wallet, self.donations, self.compliance = wallet, donations, compliance

    @property
    def minimum_cents(self) -> int:
        """The smallest donation the operator allows now."""
        return self.compliance.limits()["min_cents"]

    def balances(self, user_id: str) -> tuple[int, int]:
        w = self.wallet.get_wallet(user_id)
        return w["balance_cents"], w["held_cents"]

    def donate_balance(self, user_id: str, onlus_id: str, amount_cents: int) -> dict:
        donation, _ = self.donations.process(
            user_id,
            onlus_id=onlus_id,
            amount_cents=amount_cents,
            idempotency_key=f"{ACTOR}:{user_id}:{amount_cents}",
            source="wallet",
        )
        if donation["status"] == HELD:
            raise Conflict("DONATION_UNDER_REVIEW")
        return donation

    def forfeit_balance(self, user_id: str, amount_cents: int) -> None:
        self.wallet.adjust(
            user_id,
            amount_cents=-amount_cents,
            reason="Account deleted: a balance below the minimum donation is forfeited",
            actor_id=ACTOR,
            key=f"{ACTOR}:{user_id}:{amount_cents}",
        )
