"""What the donations module holds about a user, and what an account deletion does to it: the money records
stay (ledger, wallet, donations, receipts: the law keeps them), the network addresses and KYC documents go."""

from __future__ import annotations

from app.core.repositories.personal_data import KEEP, SCRUB, Holding, PersonalRecords


class DonationRecordsOfUser(PersonalRecords):
    holdings = (
        Holding("wallets", erase=KEEP),
        Holding("transactions", erase=KEEP),
        Holding("donations", erase=KEEP, unset=("client_ip",)),
        Holding("receipts", erase=KEEP),  # the donor pseudonymised by ReceiptRepository.pseudonymise_donor
        Holding("payment_intents", erase=KEEP, unset=("client_ip",)),
        Holding("compliance_checks", erase=SCRUB, unset=("client_ip",)),
        Holding("kyc_records", erase=KEEP, unset=("data", "history", "review_note")),
        Holding("fraud_flags", field="subject", erase=KEEP, export=False),
    )
