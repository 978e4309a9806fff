"""Database set-up of the donations module (run by the init command, never at start-up)."""

from __future__ import annotations

from app.core.infrastructure import Infrastructure
from app.donations.models.donations.onlus import PENDING, VERIFIED, tax_code_check_digit
from app.donations.repositories.compliance.checks import ComplianceCheckRepository
from app.donations.repositories.compliance.fraud_flags import FraudFlagRepository
from app.donations.repositories.compliance.kyc import KycRepository
from app.donations.repositories.compliance.sanctions import SanctionsRepository
from app.donations.repositories.donations.donations import DonationRepository
from app.donations.repositories.donations.onlus import OnlusRepository
from app.donations.repositories.donations.receipts import ReceiptRepository
from app.donations.repositories.payments.intents import PaymentIntentRepository
from app.donations.repositories.payments.providers import ProviderConfigRepository
from app.donations.repositories.payments.webhooks import WebhookEventRepository
from app.donations.repositories.treasury.batches import BatchRepository
from app.donations.repositories.treasury.disbursements import DisbursementRepository
from app.donations.repositories.treasury.reconciliation import ReconciliationRepository
from app.donations.repositories.wallet.ledger import LedgerRepository
from app.donations.repositories.wallet.rates import RatesRepository
from app.donations.repositories.wallet.wallets import WalletRepository
from app.donations.services import DonationsServices

REPOSITORIES = (
    WalletRepository,
    LedgerRepository,
    OnlusRepository,
    RatesRepository,
    DonationRepository,
    ReceiptRepository,
    KycRepository,
    ComplianceCheckRepository,
    SanctionsRepository,
    FraudFlagRepository,
    PaymentIntentRepository,
    WebhookEventRepository,
    ProviderConfigRepository,
    BatchRepository,
    DisbursementRepository,
    ReconciliationRepository,
)


def install_schema(infra: Infrastructure) -> None:
    for repo in REPOSITORIES:
        repo(infra.db).create_indexes()


def install_content(infra: Infrastructure, services: DonationsServices, *, demo: bool) -> None:
    services.payments.register_provider()
    if demo:
        seed_onlus(OnlusRepository(infra.db))


def _code(first_ten: str) -> str:
    return first_ten + str(tax_code_check_digit(first_ten))


DEMO_ONLUS = [
    {
        "name": "Scuole Aperte ONLUS",
        "category": "education",
        "tax_code": _code("9712034015"),
        "description": "After-school tutoring and digital literacy for children in Milan's suburbs.",
        "website": "https://scuoleaperte.example.org",
        "verification_status": VERIFIED,
    },
    {
        "name": "Salute per Tutti ONLUS",
        "category": "health",
        "tax_code": _code("9705518058"),
        "description": "Free medical visits and medicines for families in need in Naples.",
        "website": "https://salutepertutti.example.org",
        "verification_status": VERIFIED,
    },
    {
        "name": "Mare Pulito ETS",
        "category": "environment",
        "tax_code": _code("9403217104"),
        "description": "Beach clean-ups and plastic-free campaigns along the Ligurian coast.",
        "website": "https://marepulito.example.org",
        "verification_status": VERIFIED,
    },
    {
        "name": "Amici a Quattro Zampe ONLUS",
        "category": "animals",
        "tax_code": _code("9208840039"),
        "description": "Shelter, care and adoption for abandoned dogs and cats in Turin.",
        "website": "https://quattrozampe.example.org",
        "verification_status": VERIFIED,
    },
    {
        "name": "Banco Solidale Roma",
        "category": "poverty",
        "tax_code": _code("9719825058"),
        "description": "Food parcels and a community pantry for families in Rome (verification in progress).",
        "website": "https://bancosolidale.example.org",
        "verification_status": PENDING,
    },
]


def seed_onlus(repo: OnlusRepository) -> None:
    """Demo ONLUS, upserted by tax code."""
    for item in DEMO_ONLUS:
        repo.upsert_by_tax_code({**item, "is_active": True, "status_history": [], "created_by": None})
